"""metrics_scrape: the server CPU of one GET /metrics with 10^6 tasks and 7,500 workers stored (target < 5 ms).

Owns: one server (SQLite), scraped in rounds while it is empty, then again after it holds JOBS jobs of
TASKS_PER_JOB tasks (10^6, materialized by the server as for any CreateJob) and WORKERS STARTED
workers (CreateWorker and UpdateWorker through pre-signed requests on one keep-alive connection).
Each round scrapes SCRAPES times back to back; server CPU comes from /proc around the round, divided
by the scrapes (the clock-tick resolution, 10 ms, spread over the round). GET /health is measured
the same way beside it: what any request costs the server, HTTP and the event loop included.
Must not: scrape while the materializer is still writing tasks (it waits for every job's
CREATE_COMPLETE), or keep the server once measured.
"""

from __future__ import annotations

import argparse
import time
import urllib.request

from bench.farm_setup import Farm, new_farm
from bench.figures import median, table
from bench.launcher import ProcessStats, running_server
from bench.lean_client import Connection
from bench.machine import OtherLoad
from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET

JOBS, TASKS_PER_JOB, WORKERS = 1_000, 1_000, 7_500
QUICK_JOBS, QUICK_WORKERS = 100, 750
SCRAPES, ROUNDS = 100, 5
TARGET_MS = 5.0
DESCRIPTION = "server CPU of one GET /metrics, empty and with 10^6 tasks + 7,500 workers (target < 5 ms)"


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(response.read())


def _round(stats: ProcessStats, url: str) -> tuple[float, float, int, float]:
    """(server CPU ms per request, wall ms per request, bytes of the last answer, others' load share)."""
    size = _get(url)  # warm: the connection pool, statement caches
    cpu_before, started = stats.cpu_seconds(), time.perf_counter()
    with OtherLoad() as other:  # this process (the client) is counted as ours by OtherLoad itself
        for _ in range(SCRAPES):
            size = _get(url)
        wall = time.perf_counter() - started
        cpu = stats.cpu_seconds() - cpu_before
    return cpu / SCRAPES * 1e3, wall / SCRAPES * 1e3, size, other.share(cpu)


def _measure(label: str, stats: ProcessStats, endpoint: str) -> list[list[str]]:
    rows = []
    for path in ("/metrics", "/health"):
        rounds = [_round(stats, endpoint + path) for _ in range(ROUNDS)]
        rows.append([label, path, f"{median([r[0] for r in rounds]):.2f}", f"{min(r[0] for r in rounds):.2f}",
                     f"{max(r[0] for r in rounds):.2f}", f"{median([r[1] for r in rounds]):.2f}",
                     f"{rounds[-1][2]:,}", f"{max(r[3] for r in rounds):.0%}"])
    return rows


def _workers(farm: Farm, fleet_id: str, count: int) -> None:
    connection = Connection(farm.server.endpoint.removeprefix("http://"))
    ids = {"farmId": farm.farm_id, "fleetId": fleet_id}
    try:
        for index in range(count):
            worker_id = connection.json(farm.sign("CreateWorker", ids, body={
                "hostProperties": {"hostName": f"bench-{index}"}}))["workerId"]
            connection.json(farm.sign("UpdateWorker", {**ids, "workerId": worker_id},
                                      body={"status": "STARTED", "capabilities": CAPABILITIES}))
    finally:
        connection.close()


def run(args: argparse.Namespace) -> None:
    jobs, workers = (QUICK_JOBS, QUICK_WORKERS) if args.quick else (JOBS, WORKERS)
    with running_server() as server:
        farm = new_farm(server)
        stats = ProcessStats(server.process.pid)
        rows = _measure("empty farm", stats, server.endpoint)
        fleet_id = farm.client.create_fleet(farmId=farm.farm_id, displayName="bench",
                                            roleArn="arn:aws:iam::000000000000:role/f", maxWorkerCount=workers,
                                            configuration=LINUX_FLEET)["fleetId"]
        started = time.monotonic()
        job_ids = [farm.create_job(TASKS_PER_JOB) for _ in range(jobs)]
        for job_id in job_ids:
            farm.wait_created(job_id, timeout=600)
        print(f"  {jobs:,} jobs x {TASKS_PER_JOB:,} tasks = {jobs * TASKS_PER_JOB:,} tasks created in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        _workers(farm, fleet_id, workers)
        print(f"  {workers:,} workers STARTED in {time.monotonic() - started:.0f} s", flush=True)
        rows += _measure(f"{jobs * TASKS_PER_JOB:,} tasks, {workers:,} workers", stats, server.endpoint)
    print(f"\n  {ROUNDS} rounds x {SCRAPES} requests each, one at a time; server CPU from /proc per request")
    print(table(["stored", "route", "CPU ms/req (median)", "min", "max", "wall ms/req", "bytes", "others' load"],
                rows))
    full = float(rows[2][2])
    verdict = "meets" if full < TARGET_MS else "MISSES"
    print(f"\n  a scrape at full size costs {full:.2f} ms of server CPU: {verdict} the target < {TARGET_MS:.0f} ms; "
          f"empty {float(rows[0][2]):.2f} ms (x{full / max(float(rows[0][2]), 1e-9):.2f})")
