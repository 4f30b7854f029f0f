"""The one-line description of the machine a benchmark ran on, printed before its figures.

Owns: reading nproc, the CPU model, memory, Python and store versions, the date, how busy the
machine already is, and which farmstead source (git commit, local changes) the server will run.
Must not: start anything; it only reads /proc and the interpreter.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def wrk_version() -> str | None:
    path = shutil.which("wrk")
    if path is None:
        return None
    # `wrk -v` prints its version and exits non-zero; only the first line matters.
    done = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat): others' load on a shared machine."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)
    busy_before, total_before = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    return (busy_after - busy_before) / max(1, total_after - total_before)


def server_source() -> str:
    """Which farmstead the server processes will run: where it is imported from, and its git state."""
    spec = importlib.util.find_spec("farmstead")
    if spec is None or spec.origin is None:
        return "farmstead not importable"
    package = Path(spec.origin).parent
    git = ["git", "-C", str(package)]
    head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"farmstead from {package} (not a git checkout)"
    changed = subprocess.run(git + ["status", "--porcelain", "--", "."], capture_output=True, text=True)
    count = len(changed.stdout.splitlines())
    state = f"{count} files changed or new under it" if count else "clean"
    return f"farmstead from {package} at {head.stdout.strip()} ({state})"


def describe(busy: float, store: str = "sqlite") -> str:
    """The machine line; `busy` is busy_share() measured just before, so others' load is on record."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    store_text = f"SQLite {sqlite3.sqlite_version} (WAL)" if store == "sqlite" else store
    return (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; nproc {cores}; "
            f"{_cpu_model()}; {_memory_gib():.1f} GiB RAM; Python {platform.python_version()}; "
            f"store {store_text}; {platform.system()} {platform.release()}; "
            f"load average {os.getloadavg()[0]:.2f}, {busy:.0%} of CPU busy before start")
