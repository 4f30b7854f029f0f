"""api_rps: GetJob requests/s and p50/p99 against the server's cheapest signed route (GetFarm), with
1,000,000 tasks in the store (target: GetJob req/s >= 0.5 x GetFarm req/s).

Owns: one server holding one 1,000,000-task job (100,000 with --quick), two pre-signed requests
(GetFarm; GetJob on that job, its counts checked) replayed by the machinery of get_job_flatness:
rounds of back-to-back segments in rotating order, paired per-round ratios, latencies pooled over
rounds, rounds disturbed by other load left out when enough are quiet. get_job_flatness already shows
GetJob does not grow with a job's size (100,000 vs 1 task); this one asks the absolute question at
the issue's scale: how much of the server's cheapest throughput does GetJob keep.
Must not: create more than the one job, or run past its rounds.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from bench.farm_setup import new_farm
from bench.figures import histogram_percentile, median, spread, table
from bench.get_job_flatness import _check, _rounds, _route_table
from bench.launcher import ProcessStats, running_server
from bench.load import LoadGenerator

TASKS, QUICK_TASKS = 1_000_000, 100_000
TARGET = 0.5
DESCRIPTION = "GetJob req/s and p50/p99 / GetFarm's with 1,000,000 tasks in the store (target req/s ratio >= 0.5)"


def run(args: argparse.Namespace) -> None:
    tasks = QUICK_TASKS if args.quick else TASKS
    rounds, seconds = (2, 1.0) if args.quick else (8, 2.0)
    load = LoadGenerator(prefer=args.client, connections=32)
    try:
        with running_server() as server:
            farm = new_farm(server)
            stats = ProcessStats(server.process.pid)
            print(f"  client: {load.tool}; creating a {tasks:,}-task job ...", flush=True)
            started = time.monotonic()
            job_id = farm.create_job(tasks)
            farm.wait_created(job_id, timeout=max(120.0, tasks * 300e-6))
            print(f"  {tasks:,} tasks materialized in {time.monotonic() - started:.0f} s", flush=True)
            requests = [farm.sign("GetFarm", {"farmId": farm.farm_id}, label="GetFarm"),
                        farm.get_job_request(job_id, f"GetJob {tasks:,} tasks")]
            for request, expect in zip(requests, (None, tasks), strict=True):
                _check(request, expect)
            for request in requests:  # warm-up: connections, caches, the key lookup
                load.run(request, 1.0, connections=load.connections)
            print(f"  saturated: {load.connections} connections, {rounds} rounds x 2 routes x {seconds:.0f} s")
            saturated = _rounds(load, stats, requests, rounds, seconds, load.connections)
            single_rounds = max(2, rounds // 2)
            print(f"  one connection: {single_rounds} rounds x 2 routes x {seconds:.0f} s")
            single = _rounds(load, stats, requests, single_rounds, seconds, 1)
    finally:
        load.close()
    labels = [r.label for r in requests]
    worst = min(_report(f"saturated, {load.connections} connections", labels, saturated),
                _report("one connection", labels, single))
    verdict = "meets" if worst >= TARGET else "MISSES"
    print(f"\n  GetJob req/s / GetFarm req/s, the lower of the two load shapes: {worst:.2f}; {verdict} the "
          f"target >= {TARGET}")


def _report(title: str, labels: list[str], all_rounds) -> float:
    """Prints the routes and their ratios; returns GetJob's req/s as a share of GetFarm's."""
    rounds, pooled = _route_table(title, labels, all_rounds)
    baseline, job = labels
    per_round = defaultdict(list)
    for r in rounds:
        per_round["req/s"].append(r[job].rps / r[baseline].rps)
        per_round["p50"].append(r[job].p50_ms / r[baseline].p50_ms)
        per_round["server CPU/req"].append(r[job].server_cpu_us / r[baseline].server_cpu_us)
    p99 = histogram_percentile(pooled[job][0], 99) / histogram_percentile(pooled[baseline][0], 99)
    print(table(["GetJob / GetFarm", "req/s (target >= 0.5)", "p50", "p99 (pooled)", "server CPU/req"],
                [[title, *(f"{median(per_round[k]):.2f} ({spread(per_round[k])})" for k in ("req/s", "p50")),
                  f"{p99:.2f}", f"{median(per_round['server CPU/req']):.2f}"]]))
    return median(per_round["req/s"])
