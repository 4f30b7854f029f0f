"""request_path: server CPU per request of GetFarm, GetJob and ListJobs against a signed no-op route on
the same server (target: GetFarm <= 2.5x the no-op).

Owns: one server started through bench.noop_server (the real app plus `GET /bench/noop`, which
verifies the SigV4 signature through the same edge and key cache and answers `{}`), a farm, a queue
and a 1-task job; four pre-signed requests replayed by get_job_flatness's machinery (rounds of
back-to-back segments in rotating order, 32 connections) and server CPU per request read from /proc.
The ratio to the no-op is what the request path adds on top of HTTP and SigV4: routing, parsing,
validation, authorization, the store transaction and read, serialization.
Must not: create more than the one job, or run past its rounds.
"""

from __future__ import annotations

import argparse

from bench.farm_setup import new_farm
from bench.figures import median, spread, table
from bench.get_job_flatness import _check, _rounds, _route_table
from bench.launcher import ADMIN_KEY_ID, ADMIN_SECRET, REGION, ProcessStats, running_server
from bench.lean_client import presign_target
from bench.load import LoadGenerator
from bench.noop_server import NOOP_PATH

TARGET = 2.5
DESCRIPTION = "server CPU per GetFarm / GetJob / ListJobs request / a signed no-op route's (target GetFarm <= 2.5)"


def run(args: argparse.Namespace) -> None:
    rounds, seconds = (2, 1.0) if args.quick else (6, 2.0)
    load = LoadGenerator(prefer=args.client, connections=32)
    try:
        with running_server(entry_module="bench.noop_server") as server:
            farm = new_farm(server)
            stats = ProcessStats(server.process.pid)
            job_id = farm.create_job(1)
            farm.wait_created(job_id, timeout=30)
            requests = [
                presign_target(server.endpoint, "GET", NOOP_PATH, key_id=ADMIN_KEY_ID, secret=ADMIN_SECRET,
                               region=REGION, label="signed no-op"),
                farm.sign("GetFarm", {"farmId": farm.farm_id}, label="GetFarm"),
                farm.get_job_request(job_id, "GetJob"),
                farm.sign("ListJobs", {"farmId": farm.farm_id, "queueId": farm.queue_id}, label="ListJobs"),
            ]
            for request in requests:
                _check(request, 1 if request.label == "GetJob" else None)
            for request in requests:  # warm-up: connections, caches, the key lookup
                load.run(request, 1.0, connections=load.connections)
            print(f"  client: {load.tool}; {load.connections} connections, {rounds} rounds x "
                  f"{len(requests)} routes x {seconds:.0f} s")
            measured = _rounds(load, stats, requests, rounds, seconds, load.connections)
    finally:
        load.close()
    labels = [r.label for r in requests]
    quiet, _pooled = _route_table(f"saturated, {load.connections} connections", labels, measured)
    noop, *routes = labels
    rows, ratios = [], {}
    for label in routes:
        per_round = [r[label].server_cpu_us / r[noop].server_cpu_us for r in quiet]
        ratios[label] = median(per_round)
        rows.append([f"{label} / {noop}", f"{ratios[label]:.2f} ({spread(per_round)})",
                     f"{median([r[label].server_cpu_us - r[noop].server_cpu_us for r in quiet]):.0f}"])
    print("\n  server CPU per request: median of per-round ratios (min-max), and what the route adds")
    print(table(["ratio", "server CPU/req", "added us/req"], rows))
    verdict = "meets" if ratios["GetFarm"] <= TARGET else "MISSES"
    print(f"\n  GetFarm / signed no-op: {ratios['GetFarm']:.2f}; {verdict} the target <= {TARGET}")
