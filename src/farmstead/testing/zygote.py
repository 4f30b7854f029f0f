"""Test servers and workers forked from a process that has already imported them: a `farmstead server`
start-up spent ~1.65 s of its ~1.8 s of CPU importing (SQLAlchemy, Starlette, OpenJD, botocore, the
web monitor, the API's handlers, Alembic), and `make test` starts a couple of hundred servers and
as many workers on a 2-core machine. Forked, a server starts in ~0.15 s of CPU.

Owns: the zygote, a single-threaded `python -m farmstead.testing.zygote` process per test process that
imports what a server imports, then forks one child per request, each with the environment, working
directory, log file and argv a `python -m MODULE ...` start would have had, and reports each child's exit
status; and `ForkedProcess`, the handle LiveServer keeps, with subprocess.Popen's poll / wait / signal
methods (a forked server is the zygote's child, not the test's).
Must not: be used where a plain start is asked for: FARMSTEAD_TEST_ZYGOTE=0 starts every server and
worker with subprocess.Popen (the benchmarks do: bench/__main__.py).

A forked child starts with what the zygote imported and nothing else of it: the zygote runs no threads
(forking a threaded process can leave a lock held forever in the child) and opens no store, socket or
client before it forks.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

#: What `python -m farmstead server` imports before it serves (the rest is per server and cheap):
#: the API's handler modules are imported by the registry when the app is made, the migrations' by
#: the store when it opens.
PRELOADED = ("farmstead.cli.main", "farmstead.cli.serve", "farmstead.server", "farmstead.store.migrations.runner",
             "farmstead.cli.worker", "farmstead.worker.agent", "openjd.sessions",
             "alembic.command", "alembic.runtime.migration", "alembic.script", "alembic.autogenerate",
             "uvicorn", "uvicorn.config", "uvicorn.server", "uvicorn.loops.auto", "uvicorn.protocols.http.auto",
             "uvicorn.protocols.websockets.auto", "uvicorn.lifespan.off")


def enabled() -> bool:
    return os.environ.get("FARMSTEAD_TEST_ZYGOTE", "1") != "0"


# ---- the zygote process -------------------------------------------------------------------------

def _preload() -> None:
    import importlib

    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part (uvicorn's websockets) this venv lacks: the child imports it
            pass
    from farmstead.api import registry

    registry.handlers()


def _child(request: dict[str, Any], answers: IO[bytes]) -> None:
    """In the forked child: become the process `python -m MODULE ARGS` would have been. Never returns."""
    code = 1
    try:
        os.close(answers.fileno())  # else the test's reader sees no end of the answers while a server lives
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import time

        time.tzset()  # time.timezone and time.tzname of the child's TZ, as a fresh interpreter reads them
        import random

        random.seed()  # not the zygote's sequence again in every server
        import runpy

        sys.argv = [request["module"], *request["args"]]
        try:
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if not isinstance(exit_.code, int | None):
                print(exit_.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001 - said in the log, as an interpreter would
            import traceback

            traceback.print_exc()
        # As the interpreter ends: wait for the threads that are not daemons, then the atexit functions.
        threading._shutdown()  # type: ignore[attr-defined]
        import atexit

        atexit._run_exitfuncs()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Fork a child per request line; say each child's pid, then its exit status once it ends."""
    def say(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message).encode() + b"\n")
        answers.flush()

    pending = b""
    while True:
        readable, _, _ = select.select([requests], [], [], 0.2)
        while True:  # reap every child that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            say({"exited": pid, "returncode": os.waitstatus_to_exitcode(status)})
        if not readable:
            continue
        chunk = os.read(requests.fileno(), 65536)
        if not chunk:
            return  # the test process is gone: so is the zygote (its servers live on, as Popen's would)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = os.fork()
            if pid == 0:
                _child(json.loads(line), answers)
            say({"started": pid})


def main() -> None:
    _preload()
    import gc

    gc.collect()
    gc.freeze()  # the children's collections skip what every one of them shares with the zygote
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # a stray print must not corrupt the answers
    _serve(sys.stdin.buffer, answers)


# ---- the test process's side --------------------------------------------------------------------

class ForkedProcess:
    """A server forked by the zygote: subprocess.Popen's poll / wait / terminate / kill / send_signal."""

    def __init__(self, zygote: _Zygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            code = self._zygote.wait_exit(self.pid, timeout)
            if code is None:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0)
            self.returncode = code
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:  # never a signal to a pid that ended and may be another process's now
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    def __init__(self) -> None:
        self.interpreter_settings = _interpreter_settings(os.environ)
        self._process = subprocess.Popen([sys.executable, "-m", "farmstead.testing.zygote"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=None)
        self._changed = threading.Condition()
        self._started: list[int] = []
        self._exited: dict[int, int] = {}
        self._start_lock = threading.Lock()
        threading.Thread(target=self._read, name="farmstead-zygote-answers", daemon=True).start()

    def alive(self) -> bool:
        return self._process.poll() is None

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            with self._changed:
                if "started" in message:
                    self._started.append(message["started"])
                else:
                    self._exited[message["exited"]] = message["returncode"]
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def start(self, module: str, args: list[str], env: dict[str, str], log: Path) -> ForkedProcess:
        request = {"module": module, "args": args, "env": env, "log": str(log), "cwd": os.getcwd()}
        with self._start_lock:  # one request at a time: the answers come back in order
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            with self._changed:
                if not self._changed.wait_for(lambda: self._started or not self.alive(), timeout=30):
                    raise RuntimeError("the test zygote did not fork a server within 30 s")
                if not self._started:
                    raise RuntimeError("the test zygote exited")
                return ForkedProcess(self, self._started.pop(0))

    def exit_code(self, pid: int) -> int | None:
        with self._changed:
            return self._exited.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exited or not self.alive(), timeout=timeout)
            return self._exited.get(pid)


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()


def _interpreter_settings(env: Mapping[str, str]) -> dict[str, str]:
    """What the interpreter reads as it starts (PYTHONPATH, PYTHONHASHSEED, ...): a forked child has the
    zygote's, so a process asked for with others is started afresh."""
    return {key: value for key, value in env.items() if key.startswith("PYTHON")}


def spawn(module: str, args: list[str], env: Mapping[str, str], log: Path) -> ForkedProcess | subprocess.Popen[bytes]:
    """`python -m MODULE ARGS` with `env`, stdin closed, its output appended to `log`: forked from this
    test process's zygote (started on first use), or started afresh when FARMSTEAD_TEST_ZYGOTE=0 or
    `env` sets the interpreter up differently (a PYTHONPATH of its own)."""
    global _zygote
    with _zygote_lock:
        if enabled() and (_zygote is None or not _zygote.alive()):
            _zygote = _Zygote()
        zygote = _zygote if enabled() else None
    if zygote is not None and _interpreter_settings(env) == zygote.interpreter_settings:
        return zygote.start(module, args, dict(env), log)
    with open(log, "ab") as output:
        return subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdout=output,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
