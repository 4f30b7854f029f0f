"""The processes `farmstead up` runs: the S3 store, one `farmstead server` and N `farmstead worker`s, and
stopping them.

Owns: starting children (each in its own session, so a terminal's Ctrl-C reaches `up` alone and
`up` decides the order: workers first, then the server, then the store), their log files, restarting a worker that
exits on its own (with backoff, giving up on one that keeps dying at once), and the signal handling.
Must not: call the API (up.py does), or decide what a worker is configured with.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# A worker asked to stop finishes or interrupts its running action and reports before it exits.
WORKER_STOP_SECONDS = 60
SERVER_STOP_SECONDS = 20
# A worker that dies this soon after starting, this many times in a row, is broken, not unlucky.
QUICK_EXIT_SECONDS = 30
MAX_QUICK_EXITS = 5


class Stopping(Exception):
    """Raised inside startup when a stop signal arrived; the caller shuts everything down."""


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_exits: int = 0
    restart_at: float | None = None
    given_up: bool = False
    # How long a SIGTERM is given before the kill.
    stop_seconds: float = SERVER_STOP_SECONDS

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def started(self) -> subprocess.Popen[bytes]:
        """The process of a child that was started (running or exited)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.process

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Supervisor:
    say: Callable[[str], None]
    server: Child | None = None
    workers: list[Child] = field(default_factory=list)
    #: What the server needs running before it starts and after it stops (the S3 store).
    services: list[Child] = field(default_factory=list)
    stop_requested: bool = False
    hurry: bool = False

    # ----- signals -----

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self.stop_requested:
            # A second Ctrl-C while workers drain: don't wait for them.
            self.hurry = True
            return
        self.stop_requested = True

    def check(self) -> None:
        if self.stop_requested:
            raise Stopping()

    # ----- starting -----

    def start_service(self, child: Child, ready: Callable[[Callable[[], bool]], None]) -> None:
        """Start `child` and call `ready(alive)`, which returns once it serves or raises."""
        self.services.append(child)
        child.start()
        ready(lambda: child.running and not self.stop_requested)
        self.check()

    def start_server(self, child: Child, health_url: str, timeout: float = 60.0) -> None:
        self.server = child
        child.start()
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            self.check()
            if not child.running:
                raise RuntimeError(f"the server exited with code {child.started.returncode}:\n{child.log_tail()}")
            try:
                with urllib.request.urlopen(health_url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer {health_url} within {timeout:.0f}s:\n{child.log_tail()}")

    def start_worker(self, child: Child) -> None:
        self.workers.append(child)
        child.start()

    # ----- running -----

    def watch(self, poll_seconds: float = 0.25) -> int:
        """Until a stop signal: restart workers that exit; returns 1 if the server died, else 0."""
        server = self.server
        if server is None:
            raise RuntimeError("watch() before start_server()")
        while not self.stop_requested:
            if not server.running:
                self.say(f"The server exited (code {server.started.returncode}); stopping.\n"
                         f"{server.log_tail()}")
                return 1
            for service in self.services:
                if not service.running:
                    self.say(f"The {service.name} exited (code {service.started.returncode}); stopping.\n"
                             f"{service.log_tail()}")
                    return 1
            now = time.monotonic()
            for worker in self.workers:
                self._tend(worker, now)
            time.sleep(poll_seconds)
        return 0

    def _tend(self, worker: Child, now: float) -> None:
        if worker.given_up or worker.running:
            return
        if worker.restart_at is None:
            code = worker.started.returncode
            lived = now - worker.started_at
            worker.quick_exits = worker.quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
            if worker.quick_exits >= MAX_QUICK_EXITS:
                worker.given_up = True
                self.say(f"{worker.name} keeps exiting (code {code}); not restarting it. "
                         f"Its log: {worker.log_path}\n{worker.log_tail(10)}")
                return
            delay = min(2 ** worker.quick_exits, 60)
            worker.restart_at = now + delay
            self.say(f"{worker.name} exited (code {code}); restarting it in {delay}s (log: {worker.log_path})")
        elif now >= worker.restart_at:
            worker.start()

    # ----- stopping -----

    def shutdown(self) -> None:
        """Workers first (SIGTERM, then wait so they report STOPPED to a live server), then the server."""
        alive = [w for w in self.workers if w.running]
        if alive:
            self.say(f"Stopping {len(alive)} worker{'s' if len(alive) != 1 else ''} "
                     "(Ctrl-C again to kill them now)…")
        for worker in alive:
            worker.started.send_signal(signal.SIGTERM)
        give_up = time.monotonic() + WORKER_STOP_SECONDS
        while any(w.running for w in alive) and time.monotonic() < give_up and not self.hurry:
            time.sleep(0.1)
        for worker in alive:
            if worker.running:
                worker.started.kill()
                worker.started.wait()
        if self.server is not None and self.server.running:
            self.say("Stopping the server…")
            self.server.started.send_signal(signal.SIGTERM)
            try:
                self.server.started.wait(SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.server.started.kill()
                self.server.started.wait()
        for service in reversed(self.services):
            if service.running:
                self.say(f"Stopping the {service.name}…")
                service.started.send_signal(signal.SIGTERM)
                try:
                    service.started.wait(service.stop_seconds)
                except subprocess.TimeoutExpired:
                    service.started.kill()
                    service.started.wait()


def _die_with_parent() -> None:
    # Runs in the child before exec. Children live in their own sessions, so a terminal hang-up
    # doesn't reach them; if `up` itself is killed outright they get SIGTERM instead of living on
    # as orphans holding the port.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def farmstead_command(*args: str) -> list[str]:
    """`farmstead ARGS` with this interpreter, so children run the same installation as `up`."""
    return [sys.executable, "-m", "farmstead", *args]


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As the server will bind: a port only in TIME_WAIT from the last run is free to use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def child_env(base: dict[str, str] | None = None, **overrides: str | None) -> dict[str, str]:
    """The environment for a child: `base` (default os.environ) with overrides; None removes a key."""
    env = dict(os.environ if base is None else base)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
