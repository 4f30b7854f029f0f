"""`farmstead worker --slots N`: one `farmstead worker --slot K/N` process per slot, run and stopped together.

Owns: starting the slot processes (each with its own work dir `<work-dir>/slot-K`, so its own
identity, lock, logs and process guard), passing SIGTERM and SIGINT on to them (a second signal too,
so a second Ctrl-C hurries them as it hurries one worker), ending them when this process dies
(PR_SET_PDEATHSIG on Linux: they are its direct children, forked from its only thread), and the exit:
a slot that exits 0 (the service told it to stop) leaves the others running; one that fails stops
the others (each drains as on SIGTERM) and this process exits with its status, so a service manager
restarts the host's worker as a whole. Must not: talk to the server or know what a slot reports
(slots.py, agent.py).

Why processes and not threads: a slot is a whole worker (its signals, logging, process guard and
work dir lock are per process), one slot's crash can't take the others down, and its sessions' CPU
work does not share one interpreter lock with the other slots' reporting.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("farmstead.worker")

#: How often the slots are looked at for one that exited.
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def slot_dir(work_dir: Path, number: int) -> Path:
    return work_dir / f"slot-{number}"


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child before exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class SlotProcesses:
    """The slot processes of one host, from their command lines (slot K's is `commands[K-1]`)."""

    def __init__(self, commands: Sequence[Sequence[str]]) -> None:
        self._commands = [list(command) for command in commands]
        self._processes: list[subprocess.Popen[bytes]] = []
        self._signals: list[int] = []

    def run(self) -> int:
        """Start every slot, wait until all have exited; the exit status (see the module's docstring)."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            for command in self._commands:
                # A signal that came while the earlier slots started is passed to this one too.
                self._processes.append(subprocess.Popen(
                    command, preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None))
                for signum in self._signals:
                    self._processes[-1].send_signal(signum)
            return self._wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._signals.append(signum)
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signum)

    def _wait(self) -> int:
        status = 0
        while True:
            running = [process for process in self._processes if process.poll() is None]
            failed = [process for process in self._processes if process.returncode not in (None, 0)]
            if failed and status == 0:
                status = failed[0].returncode if failed[0].returncode > 0 else 1
                number = self._processes.index(failed[0]) + 1
                log.error("slot %d exited with status %s; stopping the other slots", number, failed[0].returncode)
                for process in running:
                    process.send_signal(signal.SIGTERM)
            if not running:
                return status
            time.sleep(POLL_SECONDS)
