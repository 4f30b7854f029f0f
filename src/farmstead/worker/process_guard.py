"""Session processes die with the worker, even when it is SIGKILLed.

openjd-sessions starts every action in a session of its own (`setsid`), so nothing ties it to the
worker: a worker killed with SIGKILL (or by the OOM killer) used to leave its running task behind,
and the server, having requeued the task, had the frame rendered twice.

Owns: the mark every process of this worker instance's sessions carries (`FARMSTEAD_WORKER_INSTANCE`
in its environment; openjd passes it to each action, through `sudo` too, and children inherit it);
the guard, a small process started in its own session, which blocks on a pipe from the worker and,
when the worker's end closes (a clean exit, a crash, SIGKILL), ends every marked process and every
process in a session a marked process led (SIGTERM, then SIGKILL after `TERM_GRACE`); and, when a
worker starts, ending what earlier instances left (their marks are recorded in
`<work-dir>/instances/`, removed once their guard has cleaned up).
Must not: run actions or know about sessions of the server; kill anything not marked by this work dir.

Why not the alternatives: PR_SET_PDEATHSIG reaches only a direct child, is cleared when `sudo`
(setuid) runs, fires when the *thread* that forked exits (openjd forks from pool threads), and
openjd-sessions has no hook to set it; a cgroup needs a delegated cgroup tree most hosts don't give
a worker. Linux only (it reads /proc); elsewhere the worker runs without it and says so.

Run as `python -m farmstead.worker.process_guard TOKEN` with the record and log paths in its
environment (not on its command line: a `pgrep -f <work dir>` for the worker must not find it):
the guard itself (stdlib only, so it starts in milliseconds).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("farmstead.worker")

ENV_NAME = "FARMSTEAD_WORKER_INSTANCE"
INSTANCES = "instances"
#: How long a marked process has between SIGTERM and SIGKILL.
TERM_GRACE = 2.0
#: How often the guard notes which sessions marked processes lead (so that a child that dropped the
#: mark, e.g. through `env -i`, still goes when its leader has already exited).
WATCH_SECONDS = 5.0
_PROC = Path("/proc")
_RECORD_ENV = "FARMSTEAD_PROCESS_GUARD_RECORD"
_LOG_ENV = "FARMSTEAD_PROCESS_GUARD_LOG"


def supported() -> bool:
    return sys.platform.startswith("linux") and (_PROC / "self" / "environ").exists()


@dataclass(frozen=True)
class _Process:
    pid: int
    sid: int
    marked: bool


def _processes(mark: bytes) -> list[_Process]:
    """Every process this user may inspect: its session and whether it carries `mark`."""
    found = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = (_PROC / entry.name / "stat").read_text()
            # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z":
                continue  # already dead, waiting for its parent
            sid = int(fields[3])
        except (OSError, ValueError, IndexError):
            continue
        try:
            marked = mark in (_PROC / entry.name / "environ").read_bytes().split(b"\0")
        except OSError:
            marked = False  # another user's process: not ours to judge
        found.append(_Process(pid, sid, marked))
    return found


def _mark(token: str) -> bytes:
    return f"{ENV_NAME}={token}".encode()


def sessions_led(token: str) -> set[int]:
    """The sessions whose leader carries the mark (each openjd action is one)."""
    return {p.sid for p in _processes(_mark(token)) if p.marked and p.pid == p.sid}


def end_marked(token: str, known_sessions: Iterable[int] = ()) -> list[int]:
    """End every process carrying the mark and every process in a session a marked one leads (or
    led: `known_sessions`); the pids signalled."""
    mark, me = _mark(token), os.getpid()
    own_session = os.getsid(0)
    sessions = set(known_sessions)
    signalled: list[int] = []
    deadline = time.monotonic() + TERM_GRACE
    signal_to_send = signal.SIGTERM
    for _ in range(200):  # bounded: a process that forks faster than this is stopped by SIGKILL rounds
        processes = _processes(mark)
        sessions |= {p.sid for p in processes if p.marked and p.pid == p.sid}
        targets = [p.pid for p in processes if p.pid != me and p.sid != own_session and
                   (p.marked or p.sid in sessions)]
        if not targets:
            break
        if signal_to_send == signal.SIGTERM or time.monotonic() >= deadline:
            for pid in targets:
                try:
                    os.kill(pid, signal_to_send)
                except (ProcessLookupError, PermissionError):
                    continue
                if pid not in signalled:
                    signalled.append(pid)
            if signal_to_send == signal.SIGTERM:
                signal_to_send = signal.SIGKILL  # for the next round past the grace
        time.sleep(0.1)
    return signalled


class ProcessGuard:
    """This worker instance's mark and its guard; `environment` goes to every session's actions."""

    def __init__(self, token: str, guard: subprocess.Popen, record: Path) -> None:
        self.token = token
        self._guard = guard
        self.record = record

    @property
    def environment(self) -> dict[str, str]:
        return {ENV_NAME: self.token}

    @classmethod
    def start(cls, work_dir: Path) -> ProcessGuard | None:
        """End what earlier instances of this work dir left, then start this instance's guard."""
        if not supported():
            log.warning("this platform has no /proc: the processes of a session are not ended if the worker "
                        "is killed (a SIGKILLed worker's running task keeps running)")
            return None
        directory = work_dir / INSTANCES
        directory.mkdir(exist_ok=True)
        cleanup_left_by_earlier_instances(directory)
        token = secrets.token_hex(16)
        record = directory / f"{token}.json"
        guard = subprocess.Popen(
            [sys.executable, "-m", "farmstead.worker.process_guard", token],
            env={**os.environ, _RECORD_ENV: str(record), _LOG_ENV: str(work_dir / "worker.log")},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # a signal to the worker's process group must not reach it
        temporary = record.with_suffix(".tmp")
        temporary.write_text(json.dumps({"token": token, "workerPid": os.getpid(), "guardPid": guard.pid}) + "\n")
        os.replace(temporary, record)
        log.info("process guard %d started: this instance's session processes end with it", guard.pid)
        return cls(token, guard, record)

    def close(self) -> None:
        """A clean stop: the guard ends whatever is left and exits (the sessions have wound down)."""
        if self._guard.stdin is not None:
            self._guard.stdin.close()
        try:
            self._guard.wait(TERM_GRACE + 5)
        except subprocess.TimeoutExpired:
            log.warning("process guard %d is still cleaning up", self._guard.pid)


def cleanup_left_by_earlier_instances(directory: Path) -> None:
    """Processes of earlier instances whose guard never finished (it was killed too): end them."""
    for record in sorted(directory.glob("*.json")):
        try:
            token = json.loads(record.read_text())["token"]
        except (OSError, ValueError, KeyError):
            record.unlink(missing_ok=True)
            continue
        ended = end_marked(token)
        if ended:
            log.warning("ended %d process(es) left by an earlier instance of this worker: pids %s",
                        len(ended), " ".join(map(str, ended)))
        record.unlink(missing_ok=True)


def _guard(token: str, record: Path, log_file: Path) -> None:
    """Wait for the worker's end of stdin to close, then end its instance's processes."""
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s process guard: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the worker is the worker's to handle
    known: set[int] = set()
    stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
    while True:
        ready, _, _ = select.select([stdin], [], [], WATCH_SECONDS)
        if ready and not os.read(stdin.fileno(), 4096):
            break  # EOF: the worker is gone
        if not ready:
            known |= sessions_led(token)
    ended = end_marked(token, known)
    if ended:
        log.warning("the worker is gone; ended %d process(es) of its sessions: pids %s", len(ended),
                    " ".join(map(str, ended)))
    record.unlink(missing_ok=True)


if __name__ == "__main__":
    _guard(sys.argv[1], Path(os.environ[_RECORD_ENV]), Path(os.environ[_LOG_ENV]))
