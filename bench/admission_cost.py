"""admission_cost: what admission control costs the server's throughput, measured A/B in one run.

Owns: first the cost in µs per request, in this process: the same app with its admission control
swapped in and out between alternating blocks of GetFarm requests (no HTTP, no other process); then
two questions about throughput, each answered by two fresh servers side by side, one with admission control
at its defaults and one without (FARMSTEAD_MAX_IN_FLIGHT=0), in alternating order:
- api_rps's: GetJob (a 2,000-task job) and GetFarm req/s saturated by 32 keep-alive connections of
  one key (within the per-caller limit, so nothing is refused: what is measured is the bookkeeping),
  ROUNDS rounds of 2 s per route and server, paired per round;
- dispatch's: tasks/s by 16 scripted workers on UpdateWorkerSchedule (bench.dispatch.measure on
  SQLite, a fresh server and job each time), PAIRS pairs.
Figures: per-round ratios on/off (req/s and server CPU per request; tasks/s), their median and
spread, and others' load, so a noisy round can be told. Target (issue 15): the cost is <= 5 %.
Must not: change what the servers do beyond that one setting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time

from bench import dispatch
from bench.farm_setup import new_farm
from bench.figures import median, spread, table
from bench.launcher import ProcessStats, running_server
from bench.load import LoadGenerator
from bench.machine import OtherLoad

DESCRIPTION = (
    "admission control on vs off: GetJob/GetFarm req/s and dispatch tasks/s, A/B in one run (target cost <= 5 %)")
SETTINGS = {"on": {}, "off": {"FARMSTEAD_MAX_IN_FLIGHT": "0"}}
ROUNDS, QUICK_ROUNDS = 8, 2
PAIRS, QUICK_PAIRS = 3, 1
TARGET_COST = 0.05


def _api_rounds(rounds: int) -> list[tuple[str, float, float, float]]:
    """(route, req/s ratio on/off, server CPU per request ratio on/off, others' load) per route and round."""
    load = LoadGenerator(connections=32)
    out = []
    try:
        with contextlib.ExitStack() as stack:
            servers = {}
            for name, env in SETTINGS.items():
                server = stack.enter_context(running_server(env))
                farm = new_farm(server)
                job_id = farm.create_job(2_000)
                farm.wait_created(job_id)
                servers[name] = (ProcessStats(server.process.pid), {
                    "GetJob": farm.get_job_request(job_id), "GetFarm": farm.sign("GetFarm", {"farmId": farm.farm_id})})
            for _stats, requests in servers.values():  # warm-up
                for request in requests.values():
                    load.run(request, 1.0)
            for index in range(rounds):
                for route in ("GetJob", "GetFarm"):
                    measured = {}
                    order = list(servers) if index % 2 == 0 else list(servers)[::-1]
                    for name in order:
                        stats, requests = servers[name]
                        before = stats.cpu_seconds()
                        with OtherLoad() as other:
                            result = load.run(requests[route], 2.0)
                        result.server_cpu_s = stats.cpu_seconds() - before
                        result.other_load = other.share(result.server_cpu_s, result.client_cpu_s)
                        if result.failures:
                            raise RuntimeError(f"{route} on {name}: {result.failures} failures")
                        measured[name] = result
                    on, off = measured["on"], measured["off"]
                    out.append((route, on.rps / off.rps, on.server_cpu_us / off.server_cpu_us,
                                max(on.other_load, off.other_load)))
                    print(f"    round {index + 1}/{rounds} {route}: on {on.rps:,.0f}/s ({on.server_cpu_us:.0f} µs), "
                          f"off {off.rps:,.0f}/s ({off.server_cpu_us:.0f} µs); others used "
                          f"{out[-1][3]:.0%}", flush=True)
    finally:
        load.close()
    return out


def _in_process(blocks: int, requests_per_block: int = 3_000) -> tuple[float, float, list[float]]:
    """The pipeline's own CPU per GetFarm, with and without admission control, in this process:
    the same app object, its admission control swapped in and out between alternating blocks of
    requests (no HTTP server, no other process in the measurement). Returns (µs on, µs off, the
    per-block differences on - off in µs)."""
    from farmstead.config import Settings
    from farmstead.protocol.admission import Admission, Limits
    from farmstead.server import create_app

    with running_server() as server:  # a store with the administrator and a farm in it
        farm = new_farm(server)
        request = farm.sign("GetFarm", {"farmId": farm.farm_id})
        data_dir = server.data_dir
        server.stop()
        os.environ["FARMSTEAD_ADMIN_ACCESS_KEY_ID"], os.environ["FARMSTEAD_ADMIN_SECRET_ACCESS_KEY"] = (
            server.env()["FARMSTEAD_ADMIN_ACCESS_KEY_ID"], server.env()["FARMSTEAD_ADMIN_SECRET_ACCESS_KEY"])
        app = create_app(Settings.from_env(data_dir, database_url=f"sqlite:///{data_dir / 'farmstead.db'}"))
        path, _, query = request.target.partition("?")
        scope = {"type": "http", "method": request.method, "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers]}
        on, off = Admission(Limits(128, 32, 1.0)), None
        statuses: list[int] = []

        async def receive():
            return {"type": "http.request", "body": request.body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async def block(admission) -> float:
            app.api._admission = admission
            started = time.process_time()
            for _ in range(requests_per_block):
                await app.api(scope, receive, send)
            return (time.process_time() - started) / requests_per_block * 1e6

        async def measure() -> tuple[list[float], list[float]]:
            await block(on), await block(off)  # warm-up
            times_on, times_off = [], []
            for index in range(blocks):
                pair = [(on, times_on), (off, times_off)]
                for admission, into in (pair if index % 2 == 0 else pair[::-1]):
                    into.append(await block(admission))
            return times_on, times_off

        times_on, times_off = asyncio.run(measure())
        app.store.dispose()
        if set(statuses) != {200}:
            raise RuntimeError(f"GetFarm answered {sorted(set(statuses))} in process")
    return median(times_on), median(times_off), [a - b for a, b in zip(times_on, times_off, strict=True)]


def run(args: argparse.Namespace) -> None:
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    pairs = QUICK_PAIRS if args.quick else PAIRS
    tasks, seconds = (3_000, 5.0) if args.quick else (dispatch.TASKS, dispatch.SECONDS)
    blocks = 4 if args.quick else 20
    print(f"  in process: {blocks} blocks of 3,000 GetFarm requests each way, alternating")
    cpu_on, cpu_off, differences = _in_process(blocks)
    print(f"    pipeline CPU per GetFarm: on {cpu_on:.1f} µs, off {cpu_off:.1f} µs; admission control costs "
          f"{median(differences):.1f} µs per request (median of paired blocks; {spread(differences)})", flush=True)
    print(f"  api_rps routes: {rounds} rounds x 2 routes x 2 servers x 2 s, 32 connections")
    api = _api_rounds(rounds)
    print(f"  dispatch: {pairs} pairs of 16-worker runs on SQLite ({tasks:,} tasks, at most {seconds:.0f} s each)")
    paired = dispatch.on_off_pairs("admission_cost", SETTINGS, pairs, tasks, seconds)
    rows = []
    for route in ("GetJob", "GetFarm"):
        rps = [r[1] for r in api if r[0] == route]
        cpu = [r[2] for r in api if r[0] == route]
        rows.append([f"{route} req/s", f"{median(rps):.3f}", spread(rps), f"{median(cpu):.3f}", spread(cpu),
                     f"{max(r[3] for r in api if r[0] == route):.0%}"])
    ratios = [p[0] for p in paired]
    cpu_ratios = [p[1] for p in paired]
    rows.append(["dispatch tasks/s (16 workers)", f"{median(ratios):.3f}", spread(ratios), f"{median(cpu_ratios):.3f}",
                 spread(cpu_ratios), f"{max(p[2] for p in paired):.0%}"])
    print()
    print(table(["measure", "on ÷ off (median)", "per round", "server CPU/request (task) on ÷ off", "per round",
                 "others' load (max)"], rows))
    worst = min(median([r[1] for r in api if r[0] == route]) for route in ("GetJob", "GetFarm"))
    worst = min(worst, median(ratios))
    print(f"admission control keeps {worst:.1%} of the throughput at worst (median ratios); target cost "
          f"<= {TARGET_COST:.0%}: {'met' if worst >= 1 - TARGET_COST else 'NOT met'}")
    print(f"in process it costs {median(differences):.1f} µs of the pipeline's {cpu_off:.0f} µs per GetFarm "
          f"({median(differences) / cpu_off:.1%}), without the HTTP server's share of a request")
