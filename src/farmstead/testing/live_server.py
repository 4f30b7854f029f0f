"""A real `farmstead server` process on an ephemeral loopback port, and real boto3 clients for it.

Owns: starting the server as `python -m farmstead server` with the running interpreter (so it works
from an installed wheel as well as from a checkout; forked from the test process's zygote,
farmstead/testing/zygote.py), on the embedded SQLite store in its data dir or
on PostgreSQL (a database URL given, or FARMSTEAD_TEST_STORE=postgresql: databases.py); a fixed
administrator key the clients sign with; stopping it; and running `farmstead` admin commands on its
store.
Must not: import pytest, or reach into the server process: everything a test sees goes through the
API, as a studio's tools would.

Every answer is checked against the model's output shape (FARMSTEAD_STRICT_OUTPUT=1): a response
Farmstead should not send fails the request instead of reaching the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from farmstead.testing import zygote
from farmstead.testing.databases import database_for

if TYPE_CHECKING:
    from click.testing import Result

ADMIN_KEY_ID = "AKIAFARMSTEADTESTADM"
ADMIN_SECRET = "farmstead-test-admin-secret-0123456789ab"
REGION = "us-west-2"

#: Per thread, boto3 sessions by the AWS_* environment they were made under (see `_session`).
_sessions = threading.local()


def _session() -> boto3.session.Session:
    """A boto3 session kept per thread, whose loader keeps the parsed service models: a client from a new
    session parses the `deadline` model again (~100 ms of CPU per client, measured), one from a kept
    session takes ~4 ms. Sessions are not thread-safe, hence one per thread; one per AWS_* environment,
    so a test that points AWS_CONFIG_FILE or AWS_PROFILE elsewhere gets a session that reads it."""
    kept: dict[tuple[tuple[str, str], ...], boto3.session.Session] = _sessions.__dict__.setdefault("by_env", {})
    environment = tuple(sorted((key, value) for key, value in os.environ.items() if key.startswith("AWS_")))
    if environment not in kept:
        kept[environment] = boto3.session.Session(region_name=REGION)
    return kept[environment]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    data_dir: Path
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | zygote.ForkedProcess | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    #: On the embedded store even when the tests run on PostgreSQL (a test of the SQLite file itself).
    embedded_only: bool = False
    #: The address it listens on (another address than loopback, for workers on other hosts).
    host: str = "127.0.0.1"
    #: False: the caller's AWS_* and DEADLINE_* variables are not passed on, so a profile of the
    #: developer's can't change (or, naming a profile this machine lacks, stop) a throwaway server.
    inherit_aws_settings: bool = True
    #: The module run as `python -m MODULE server`: benchmarks serve the same app with a route of their own.
    entry_module: str = "farmstead"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if self.inherit_aws_settings or not key.startswith(("AWS_", "DEADLINE_"))}
        env.update({
            "FARMSTEAD_ADMIN_ACCESS_KEY_ID": ADMIN_KEY_ID,
            "FARMSTEAD_ADMIN_SECRET_ACCESS_KEY": ADMIN_SECRET,
            "FARMSTEAD_STRICT_OUTPUT": "1",
        })
        if self.database_url:
            env["FARMSTEAD_DATABASE_URL"] = self.database_url
        elif self.embedded_only:
            env["FARMSTEAD_DATABASE_URL"] = ""  # an empty URL is the embedded store
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> LiveServer:
        if self.database_url is None and not self.embedded_only and "FARMSTEAD_DATABASE_URL" not in self.extra_env:
            self.database_url = database_for(self.data_dir)  # PostgreSQL when FARMSTEAD_TEST_STORE says so
        args = ["server", "--host", self.host, "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.process = zygote.spawn(self.entry_module, args, self.env(), self.data_dir / "server.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not come up: {self.log_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LiveServer:
        return self if self.process is not None else self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def log_text(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def admin(self, *args: str, stdin: str | None = None) -> Result:
        """Run a `farmstead` admin command against this server's store: the real click command, in this
        process (a Python start-up per call costs ~0.7 s). Returns click's Result."""
        from click.testing import CliRunner

        from farmstead.cli.main import cli

        database = ["--database-url", self.database_url] if self.database_url else []
        # An empty URL is the embedded store, whatever the environment says.
        return CliRunner().invoke(cli, [*args, "--data-dir", str(self.data_dir), *database], input=stdin,
                                  env={"FARMSTEAD_DATABASE_URL": self.database_url or ""})

    def cli(self, *args: str) -> str:
        """`admin`, its stdout, or RuntimeError with its output."""
        result = self.admin(*args)
        if result.exit_code != 0:
            raise RuntimeError(f"{args} failed: {result.output}") from result.exception
        return result.stdout

    def client(self, service: str = "deadline", key_id: str = ADMIN_KEY_ID, secret: str = ADMIN_SECRET,
               session_token: str | None = None) -> Any:
        """A boto3 client of `service` (deadline, logs) for this server, signed with the administrator's
        key unless given another; no retries, so a test sees the first answer."""
        return _session().client(service, endpoint_url=self.endpoint, region_name=REGION,
                                 aws_access_key_id=key_id, aws_secret_access_key=secret,
                                 aws_session_token=session_token,
                                 config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))

    def new_user(self, name: str) -> tuple[str, str, str]:
        """Create a user and a key with the real CLI; returns (principal id, key id, secret)."""
        principal_id = self.cli("users", "create", name).split()[1]
        lines = dict(line.split(" = ") for line in self.cli("keys", "create", name).splitlines() if " = " in line)
        return principal_id, lines["aws_access_key_id"], lines["aws_secret_access_key"]
