"""A fresh `farmstead server` process for one benchmark, and what /proc says about it.

Owns: starting the server on a temporary data dir with the embedded SQLite store (through
farmstead.testing's LiveServer, so benchmarks and tests start servers the same way), or N replicas on
one fresh PostgreSQL database (`replica_servers`), removing the dirs (and database) afterwards, and
reading the process's memory and CPU time (a process tree's CPU time: `tree_cpu_seconds`; the
PostgreSQL backends' CPU time), and how many requests of one operation it has answered. Output-shape
checking (a tests-only cost) is turned off so it isn't measured.
Must not: reach into the server's store or code; everything else goes through the API.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from farmstead.testing import databases
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from tests.support.scrapes import scrape

__all__ = ["ADMIN_KEY_ID", "ADMIN_SECRET", "REGION", "LiveServer", "running_server", "store_name",
           "ProcessStats", "tree_cpu_seconds", "requests_answered", "replica_servers", "backend_cpu_seconds",
           "backend_delta"]

_TICKS = os.sysconf("SC_CLK_TCK")
#: Seconds a server may take to answer /health: a fresh one runs every migration first, which took
#: over 30 s on a 2-core machine shared with other test suites (load average above 20).
START_TIMEOUT = 120.0


@contextlib.contextmanager
def running_server(settings: dict[str, str] | None = None, entry_module: str = "farmstead") -> Iterator[LiveServer]:
    """`settings`: more FARMSTEAD_* environment for the server (e.g. its update interval);
    `entry_module`: run as `python -m MODULE server` (bench.noop_server adds a signed no-op route)."""
    data_dir = Path(tempfile.mkdtemp(prefix="farmstead-bench-"))
    # Always the embedded store in the temp dir: an inherited FARMSTEAD_DATABASE_URL would make every
    # benchmark share (and fill) one PostgreSQL database. An empty value falls back to SQLite.
    server = LiveServer(data_dir, extra_env={**(settings or {}), "FARMSTEAD_STRICT_OUTPUT": "0",
                                             "FARMSTEAD_DATABASE_URL": ""}, entry_module=entry_module)
    try:
        server.start(timeout=START_TIMEOUT)
        if store_name(server) != "sqlite":
            raise RuntimeError(f"expected the embedded SQLite store, the server says {store_name(server)}")
        yield server
    except BaseException:
        tail = server.log_text()[-3000:]
        if tail:
            print(f"--- server log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def store_name(server: LiveServer) -> str:
    with urllib.request.urlopen(f"{server.endpoint}/health", timeout=5) as response:
        return json.load(response).get("store", "unknown")


class ProcessStats:
    """Memory and CPU time of one process, read from /proc/<pid>."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def _status_kib(self, field: str) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def rss_mib(self) -> float:
        return self._status_kib("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        """VmHWM: the highest RSS since the process started (so a fresh process per measurement)."""
        return self._status_kib("VmHWM") / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU of every thread of the process so far."""
        fields = _stat_fields(self.pid)
        return (int(fields[11]) + int(fields[12])) / _TICKS


def requests_answered(server: LiveServer, operation: str) -> float:
    """How many `operation` requests the server has answered (any outcome), from its GET /metrics."""
    return sum(scrape(server.endpoint).matching("farmstead_api_requests_total", operation=operation).values())


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        # Field 2 (comm) may contain spaces; everything after its closing parenthesis is fixed.
        return stat.read().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for thread in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/task/{thread}/children") as children:
                found += [int(child) for child in children.read().split()]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and every process under it, living or reaped (a worker's tasks, a
    `--slots` process's slot workers and their process guards): each living process's own time plus
    that of the children it has waited for, which the kernel adds to it when they are reaped."""
    try:
        fields = _stat_fields(pid)
        below = _children(pid)
    except (FileNotFoundError, ProcessLookupError):  # ended meanwhile: its parent's reaped time has it
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / _TICKS  # utime stime cutime cstime
    return own + sum(tree_cpu_seconds(child) for child in below)


@contextlib.contextmanager
def replica_servers(store: str, replicas: int = 1, env: dict[str, str] | None = None
             ) -> Iterator[tuple[list[LiveServer], str | None]]:
    """Fresh servers on SQLite in a temp dir (one), or `replicas` servers on one fresh PostgreSQL
    database (dropped after); `env`: more FARMSTEAD_* settings for them."""
    url = databases.create_postgres_database() if store == "postgresql" else None
    servers, dirs = [], []
    try:
        for _ in range(replicas):
            data_dir = Path(tempfile.mkdtemp(prefix="farmstead-bench-"))
            dirs.append(data_dir)
            # An empty FARMSTEAD_DATABASE_URL means the embedded store, whatever the environment says.
            server = LiveServer(data_dir, database_url=url,
                                extra_env={"FARMSTEAD_STRICT_OUTPUT": "0", "FARMSTEAD_DATABASE_URL": url or "",
                                           **(env or {})})
            servers.append(server)
            server.start(timeout=START_TIMEOUT)
            if store_name(server) != store:
                raise RuntimeError(f"expected the {store} store, the server says {store_name(server)}")
        yield servers, url
    except BaseException:
        for server in servers:
            print(f"--- server log (tail) ---\n{server.log_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        for data_dir in dirs:
            shutil.rmtree(data_dir, ignore_errors=True)
        if url:
            databases.drop_postgres_database(url)


def backend_cpu_seconds(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `database` (its ps title names it)."""
    found = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                title = handle.read()
            if not title.startswith(b"postgres:") or f" {database} ".encode() not in title:
                continue
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def backend_delta(before: dict[int, float], after: dict[int, float]) -> float:
    # A backend that appeared meanwhile spent all its CPU inside the window.
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
