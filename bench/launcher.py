"""A fresh `farmstead server` process for one benchmark, and what /proc says about it.

Owns: starting the server on a temporary data dir with the embedded SQLite store (through
farmstead.testing's LiveServer, so benchmarks and tests start servers the same way), removing the dir
afterwards, and reading the process's memory and CPU time. Output-shape checking (a tests-only cost) is turned
off so it isn't measured.
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

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer

__all__ = ["ADMIN_KEY_ID", "ADMIN_SECRET", "REGION", "LiveServer", "running_server", "store_name",
           "ProcessStats"]

_TICKS = os.sysconf("SC_CLK_TCK")


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
        server.start()
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
        with open(f"/proc/{self.pid}/stat") as stat:
            # Field 2 (comm) may contain spaces; everything after its closing parenthesis is fixed.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
