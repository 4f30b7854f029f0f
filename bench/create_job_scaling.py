"""create_job_scaling: CreateJob of 10^4, 10^5 and 10^6 tasks, to CREATE_COMPLETE, and peak memory.

Owns: for each size, a fresh server (so VmHWM, the process's peak RSS, belongs to that size alone),
one CreateJob of a one-step `Frame` 1-N template, and the seconds from CreateJob's response until
GetJob says CREATE_COMPLETE. Prints time per task and the growth ratio between sizes: linear
materialization means ~10x the time (and a flat peak RSS) per 10x tasks.
Must not: run longer than its per-size timeout; a size that doesn't finish is reported, not waited on.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass
from pathlib import Path

from bench.farm_setup import new_farm
from bench.figures import table
from bench.launcher import ProcessStats, running_server
from bench.machine import OtherLoad

SIZES = (10_000, 100_000, 1_000_000)
DESCRIPTION = "CreateJob of 10^4/10^5/10^6 tasks: seconds to CREATE_COMPLETE and peak server RSS"


@dataclass
class SizeResult:
    tasks: int
    create_ms: float  # CreateJob's own response time (through boto3: ~1 ms of it is the client)
    complete_s: float | None  # CreateJob response -> CREATE_COMPLETE seen by GetJob; None: timed out
    server_cpu_s: float
    rss_before_mib: float
    peak_rss_mib: float  # VmHWM
    db_mib: float
    wal_mib: float
    status: str
    other_load: float  # share of the machine other processes used meanwhile

    @property
    def us_per_task(self) -> float:
        return self.complete_s / self.tasks * 1e6 if self.complete_s is not None else float("nan")

    @property
    def cpu_us_per_task(self) -> float:
        """Server CPU per task: what other processes on a shared machine disturb least."""
        return self.server_cpu_s / self.tasks * 1e6


def _timeout_for(tasks: int) -> float:
    # ~25 us/task was measured; 150 us/task leaves room for a slow machine and still bounds 10^6 at 150 s.
    return max(30.0, tasks * 150e-6)


def _file_mib(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else 0.0


def measure(tasks: int) -> SizeResult:
    with running_server() as server:
        farm = new_farm(server)
        stats = ProcessStats(server.process.pid)
        rss_before = stats.rss_mib()
        cpu_before = stats.cpu_seconds()
        with OtherLoad() as other:
            started = time.monotonic()
            job_id = farm.create_job(tasks)
            answered = time.monotonic()
            try:
                job = farm.wait_created(job_id, timeout=_timeout_for(tasks))
                complete_s: float | None = time.monotonic() - answered
                status = job["lifecycleStatus"]
                counted = sum(job["taskRunStatusCounts"].values())
                if status != "CREATE_COMPLETE" or counted != tasks:
                    raise RuntimeError(f"{tasks} tasks: job ended {status} with {counted} tasks counted")
            except TimeoutError:
                complete_s, status = None, f"not complete after {_timeout_for(tasks):.0f} s"
        server_cpu = stats.cpu_seconds() - cpu_before
        return SizeResult(tasks, (answered - started) * 1000, complete_s, server_cpu,
                          rss_before, stats.peak_rss_mib(), _file_mib(server.data_dir / "farmstead.db"),
                          _file_mib(server.data_dir / "farmstead.db-wal"), status, other.share(server_cpu))


def run(args: argparse.Namespace) -> None:
    sizes = SIZES[:2] if args.quick else SIZES
    results = []
    for tasks in sizes:
        print(f"  CreateJob {tasks:,} tasks on a fresh server ...", flush=True)
        results.append(measure(tasks))
    rows = []
    for r in results:
        done = r.complete_s is not None
        rows.append([f"{r.tasks:,}", f"{r.create_ms:.0f}", f"{r.complete_s:.2f}" if done else r.status,
                     f"{r.us_per_task:.1f}" if done else "-", f"{r.tasks / r.complete_s:,.0f}" if done else "-",
                     f"{r.server_cpu_s:.2f}", f"{r.cpu_us_per_task:.1f}", f"{r.rss_before_mib:.0f}",
                     f"{r.peak_rss_mib:.0f}", f"{r.peak_rss_mib - r.rss_before_mib:+.0f}",
                     f"{r.db_mib:.0f} / {r.wal_mib:.0f}", f"{r.other_load:.0%}"])
    print(table(["tasks", "CreateJob ms", "to COMPLETE s", "us/task", "tasks/s", "server CPU s", "CPU us/task",
                 "RSS idle MiB", "peak RSS MiB", "peak-idle", "db / wal MiB", "others' load"], rows))
    print("\n  growth between sizes (x10 tasks each; linear = 10.0x time and CPU, 1.0x peak RSS):")
    growth = []
    for small, big in itertools.pairwise(results):
        both = big.complete_s is not None and small.complete_s is not None
        added_small = max(small.peak_rss_mib - small.rss_before_mib, 1.0)
        growth.append([f"{small.tasks:,} -> {big.tasks:,}",
                       f"{big.complete_s / small.complete_s:.1f}x" if both else "n/a",
                       f"{big.server_cpu_s / max(small.server_cpu_s, 0.01):.1f}x",
                       f"{big.peak_rss_mib / small.peak_rss_mib:.2f}x",
                       f"{(big.peak_rss_mib - big.rss_before_mib) / added_small:.1f}x"])
    print(table(["sizes", "time", "server CPU", "peak RSS", "RSS added over idle"], growth))
