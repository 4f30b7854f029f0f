"""The machine a benchmark runs on: its description line, and how much of it others are using.

Owns: reading nproc, the CPU model, memory, Python and SQLite versions (the server runs on this same
interpreter), the date, which farmstead source (git commit, local changes) the server will run, and
the CPU other processes use before and during a measurement (a shared machine is noisy; that share
says how much a figure can be trusted).
Must not: start servers or load; it reads /proc and asks only `git` and `wrk -v`.
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


_HZ = os.sysconf("SC_CLK_TCK")
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over its CPUs (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:8]]  # user .. softirq; guest is inside user
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _HZ, sum(values) / _HZ


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over `seconds`: others' load on a shared machine."""
    busy_before, total_before = machine_cpu_seconds()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_seconds()
    return (busy_after - busy_before) / max(1e-9, total_after - total_before)


class OtherLoad:
    """How much of the machine went to processes other than ours while a measurement ran.

    Ours are the server (its CPU is passed in), the load generator (passed in) and this process.
    A share above a few percent means the figures of that measurement were disturbed.
    """

    def __enter__(self) -> OtherLoad:
        self._busy = machine_cpu_seconds()[0]
        self._own = time.process_time()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self._busy = machine_cpu_seconds()[0] - self._busy
        self._own = time.process_time() - self._own
        self._wall = time.monotonic() - self._started

    def share(self, server_cpu_s: float, client_cpu_s: float = 0.0) -> float:
        others = self._busy - self._own - server_cpu_s - client_cpu_s
        return max(0.0, others) / (self._wall * CPUS)


def server_source() -> str:
    """Which farmstead the server processes will run: where it is imported from, and its git state."""
    spec = importlib.util.find_spec("farmstead")
    if spec is None or spec.origin is None:
        return "farmstead not importable"
    package = Path(spec.origin).parent
    git = ["git", "-C", str(package)]
    try:
        head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    except OSError:  # no git on this machine
        return f"farmstead from {package}"
    if head.returncode != 0:
        return f"farmstead from {package} (not a git checkout)"
    changed = subprocess.run(git + ["status", "--porcelain", "--", "."], capture_output=True, text=True)
    count = len(changed.stdout.splitlines())
    state = f"{count} files changed or new under it" if count else "clean"
    return f"farmstead from {package} at {head.stdout.strip()} ({state})"


def describe(busy: float) -> str:
    """The machine line; `busy` is busy_share() measured just before, so others' load is on record."""
    return (f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; nproc {CPUS}; "
            f"{_cpu_model()}; {_memory_gib():.1f} GiB RAM; Python {platform.python_version()}; "
            f"store SQLite {sqlite3.sqlite_version} (WAL); {platform.system()} {platform.release()}; "
            f"load average {os.getloadavg()[0]:.2f}, {busy:.0%} of CPU busy before start")
