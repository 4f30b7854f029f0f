"""A real `farmstead worker` process: it takes a fleet's tasks from a server and runs their commands.

Owns: starting the worker as `python -m farmstead worker` with the running interpreter (forked from
the test process's zygote, farmstead/testing/zygote.py, unless FARMSTEAD_TEST_ZYGOTE=0), in a work
directory of its own with its output in `output.txt` there, and stopping it as a service manager
does: SIGTERM, which lets it end its session actions and tell the server it STOPPED, and a kill only
if that takes longer than the grace time.
Must not: import pytest, or know what the jobs are; waiting for a job to end is the farm's (farms.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from farmstead.testing import zygote


class WorkerProcess:
    def __init__(self, endpoint: str, farm_id: str, fleet_id: str, work_dir: Path, env: Mapping[str, str],
                 extra_args: Sequence[str] = ()) -> None:
        """`env`: the whole environment, with credentials the worker bootstraps with (AWS_ACCESS_KEY_ID
        and AWS_SECRET_ACCESS_KEY, or a profile); `extra_args`: more `farmstead worker` flags, such as
        `--attribute NAME=VALUE` or `--amount NAME=VALUE` (docs/worker.md)."""
        self.endpoint, self.farm_id, self.fleet_id = endpoint, farm_id, fleet_id
        self.work_dir = Path(work_dir)
        self.env = dict(env)
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | zygote.ForkedProcess | None = None

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", self.endpoint,
                "--farm-id", self.farm_id, "--fleet-id", self.fleet_id, "--work-dir", str(self.work_dir),
                *self.extra_args]

    def start(self) -> WorkerProcess:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.process = zygote.spawn("farmstead", self.command[3:], self.env, self.work_dir / "output.txt")
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit status (None if it never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> WorkerProcess:
        return self if self.process is not None else self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def output(self, tail: int = 4000) -> str:
        """The last `tail` characters the worker printed (its log)."""
        path = self.work_dir / "output.txt"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    @property
    def worker_id(self) -> str | None:
        """The id the server gave it, once it has registered (the worker keeps it in worker.json)."""
        try:
            worker_id: str = json.loads((self.work_dir / "worker.json").read_text())["workerId"]
        except (OSError, ValueError, KeyError):
            return None
        return worker_id
