"""Workers a previous scaler started and left running (it was killed, SIGKILL or a crash, and could not
stop them): found again by the pid file each start leaves beside the worker's work dir, and handled
like the scaler's own child processes.

Owns: the pid file of worker N (`<work-root>/<host>-worker-<n>.scaler.pid`: the process the scaler started,
`farmstead worker` itself on this host, the `ssh` client for another), and telling whether the pid in
it is still that process (its command line names the work dir: a pid the system reused for something
else is not adopted). Must not: decide anything about the fleet's size (scaler/loop.py) or start
workers (scaler/pool.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def pid_file(work_root: Path, host: str, number: int) -> Path:
    # Not `<work dir>.pid`: over SSH the remote shell writes that one, on the same path of its host.
    return work_root / f"{host}-worker-{number}.scaler.pid"


def running_pid(path: Path, work_dir: str) -> int | None:
    """The pid in `path` when that process is alive and is the one started for `work_dir`; else None."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _runs(pid, work_dir) else None


def _runs(pid: int, work_dir: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    # Z: it has exited and waits for its new parent to reap it.
    return state != "Z" and work_dir.encode() in cmdline


class AdoptedProcess:
    """A process this scaler did not start, with the part of subprocess.Popen's interface the pool uses.
    Its exit status is not ours to read: an exit reads as returncode 0."""

    def __init__(self, pid: int, work_dir: str) -> None:
        self.pid = pid
        self._work_dir = work_dir
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _runs(self.pid, self._work_dir):
            self.returncode = 0
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                self.returncode = 0

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.2)
        return 0
