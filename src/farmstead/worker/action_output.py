"""Forwarding an action's output to its log without waking a thousand times a second.

Owns: the loop that hands each line a session's process prints to openjd's logger (and so to the
session log), in place of openjd-sessions' own (`LoggingSubprocess._log_subproc_stdout`), and
installing it.

Why: openjd-sessions (0.14, upstream too) reads the output on a thread into a queue and pumps that
queue with `Queue.get(timeout=0.001)` and `Popen.poll()` for the process's whole life: a thousand
wake-ups a second while the command runs, measured at 0.07-0.09 CPU s per second of task on a
2-core host. On a render farm that is 2-3 % of every core a render leaves the worker, whatever the
frame's length (docs/benchmarks.md, "render"). Here the reading thread wakes the pump itself, with
each line and once more at the end of the output, so the pump sleeps in between; it still wakes
every WAKE_SECONDS to notice a command that exited while a process it left behind keeps the output
open, and then ends the action as openjd does: a second to drain, a warning, openjd's grace period,
a second warning.

Must not: change what is logged (the same lines, in order, with openjd's log extras and warnings)
or how an action ends. Pinned to openjd-sessions <0.15: a new version's pump must be read again
before this replaces it (`install` leaves a version without it alone).
"""

from __future__ import annotations

import time
from queue import Empty, Queue
from threading import Event, Thread

from openjd.sessions import _subprocess
from openjd.sessions._logging import LogContent, LogExtraInfo

#: How often the pump looks at the process while no output comes: only a command that exited and
#: left a process holding its output open is noticed this late, against a grace of seconds.
WAKE_SECONDS = 0.1
#: The drain openjd allows after the command exits before it warns about the output still being open.
DRAIN_SECONDS = 1.0

_END = object()


def forward_output(runner: _subprocess.LoggingSubprocess) -> None:
    """Log the running process's output line by line until it ends (openjd's `_log_subproc_stdout`)."""
    process = runner._process
    if process is None or process.stdout is None:
        raise RuntimeError("Internal error: no running subprocess with an output pipe to forward.")
    stream = process.stdout
    lines: Queue[object] = Queue()
    give_up = Event()

    def read() -> None:
        try:
            while not give_up.is_set():
                line = stream.readline(_subprocess.LOG_LINE_MAX_LENGTH)
                if not line or give_up.is_set():
                    break
                lines.put(line.rstrip("\n\r"))
            stream.close()
        finally:
            lines.put(_END)

    def log(line: object) -> None:
        runner._logger.info(line, extra=LogExtraInfo(openjd_log_content=LogContent.COMMAND_OUTPUT))

    # A daemon that is never joined, as openjd's: a process the command left behind may keep the
    # output open, and a read can't be given up on; the thread ends with that process's output.
    Thread(target=read, name="action-output", daemon=True).start()
    exited_at: float | None = None
    warned_at: float | None = None
    grace = _subprocess.STDOUT_END_GRACETIME_SECONDS
    while True:
        try:
            line = lines.get(timeout=WAKE_SECONDS)
        except Empty:
            pass
        else:
            if line is _END:
                return
            log(line)
        if process.poll() is None:
            continue
        now = time.monotonic()
        if exited_at is None:
            exited_at = now
        elif now - exited_at < DRAIN_SECONDS:
            continue
        elif warned_at is None:
            runner._logger.warning(
                f"Command exited but STDOUT stream is still open. Waiting gracetime of {grace} seconds for the "
                "STDOUT stream to close before ending action.",
                extra=LogExtraInfo(openjd_log_content=LogContent.PROCESS_CONTROL))
            warned_at = now
        elif now - warned_at > grace:
            runner._logger.warning(
                f"Gracetime of {grace} seconds elapsed but the STDOUT stream is still open. Ending action.",
                extra=LogExtraInfo(openjd_log_content=LogContent.PROCESS_CONTROL))
            give_up.set()
            break
    while True:  # what was read before giving up
        try:
            line = lines.get_nowait()
        except Empty:
            return
        if line is not _END:
            log(line)


def install() -> None:
    """Use `forward_output` for every openjd action of this process (openjd's own pump stays when
    openjd-sessions no longer has the method this replaces: it works, at its cost)."""
    runner = _subprocess.LoggingSubprocess
    if callable(getattr(runner, "_log_subproc_stdout", None)):
        runner._log_subproc_stdout = forward_output  # type: ignore[assignment,method-assign]
