"""dispatch: tasks completed per second by N scripted workers polling UpdateWorkerSchedule back to back.

Owns: for each setup in SETUPS (SQLite; PostgreSQL with 1 and with 2 API replicas on one database,
when one answers on 127.0.0.1:5432, a fresh database per measurement) and each N in WORKER_COUNTS,
fresh servers with a farm, a queue, a Linux fleet, their association and N workers created and
STARTED with boto3, one job of TASKS trivial tasks (one step, `Frame` 1-TASKS) at CREATE_COMPLETE;
then N lean workers (bench.worker_swarm, 2 processes, split between the replicas) each report every
action they hold SUCCEEDED (zero-length tasks: the tasks queued ahead ran too) and take the next ones
in the same call, until the job has run out of work or SECONDS are up. Figures: tasks/s from
GetJob's SUCCEEDED count over the window, p50/p99 latency of UpdateWorkerSchedule, server CPU per
task (and the PostgreSQL backends' CPU per task), the client's CPU, others' load, and an
exactly-once check (no taskId handed out twice, SUCCEEDED count == reports the server acknowledged,
== TASKS when the job finished).
Must not: change the server, or run past its time bounds (the whole run is ~3 minutes)."""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench.fake_schedule import client_capacity
from bench.farm_setup import Farm, frame_template
from bench.figures import table
from bench.launcher import (
    ADMIN_KEY_ID,
    ADMIN_SECRET,
    REGION,
    ProcessStats,
    backend_cpu_seconds,
    backend_delta,
    replica_servers,
)
from bench.machine import CPUS, OtherLoad
from bench.sigv4 import signing_cost_us
from bench.worker_swarm import Swarm, SwarmResult

# Setup uses the harness's scripted worker (boto3) and PostgreSQL databases.
from farmstead.testing import databases
from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

DESCRIPTION = ("tasks/s by 1/4/16 scripted workers on UpdateWorkerSchedule, SQLite, and PostgreSQL with 1 and 2 "
               "API replicas (target >= 1,000/s on SQLite)")
TARGET = 1000.0
WORKER_COUNTS = (1, 4, 16)
#: (store, API replicas): replicas share one PostgreSQL database; the workers are split between them.
SETUPS = (("sqlite", 1), ("postgresql", 1), ("postgresql", 2))
TASKS = 20_000
SECONDS = 20.0
PROCESSES = 2
#: A client process busier than this share of one core may be slowing the workers down.
CLIENT_BUSY_WARNING = 0.5


@dataclass
class Measurement:
    store: str
    replicas: int
    workers: int
    succeeded: int
    seconds: float
    result: SwarmResult
    process_cpu: list[float]
    server_cpu_s: float
    database_cpu_s: float | None
    other_load: float
    job_done: bool
    check: str
    start: float  # time.monotonic() when the clock started

    def quarter_rates(self) -> tuple[float, float]:
        """Tasks/s in the first and in the last quarter of the window: does the rate hold up?"""
        quarter = self.seconds / 4
        if quarter <= 0:
            return float("nan"), float("nan")
        acks = self.result.ack_array()
        first = sum(1 for t in acks if t - self.start <= quarter)
        last = sum(1 for t in acks if t - self.start > 3 * quarter)
        return first / quarter, last / quarter

    @property
    def tasks_per_s(self) -> float:
        return self.succeeded / self.seconds if self.seconds else 0.0

    def percentile_ms(self, pct: float) -> float:
        ordered = sorted(self.result.latency_array())
        if not ordered:
            return float("nan")
        return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1] * 1000  # nearest rank


def _check(result: SwarmResult, succeeded: int, job_done: bool, tasks: int) -> str:
    seen = Counter(result.seen_task_ids)
    twice = [task for task, count in seen.items() if count > 1]
    problems = []
    if twice:
        problems.append(f"{len(twice)} taskIds handed out more than once, e.g. {twice[0]}")
    if len(set(result.succeeded_task_ids)) != len(result.succeeded_task_ids):
        problems.append("a task was reported SUCCEEDED twice")
    if succeeded != len(result.succeeded_task_ids):
        problems.append(f"GetJob says {succeeded} SUCCEEDED, the server acknowledged "
                        f"{len(result.succeeded_task_ids)} reports")
    if job_done and (succeeded != tasks or len(seen) != tasks):
        problems.append(f"job finished with {succeeded} SUCCEEDED and {len(seen)} distinct taskIds seen, "
                        f"of {tasks} tasks")
    if result.failures:
        problems.append(f"{len(result.failures)} failed calls, first: {result.failures[0]}")
    if problems:
        return "NO: " + "; ".join(problems)
    return "yes (all tasks)" if job_done else "yes"


def measure(store: str, workers: int, tasks: int, seconds: float, replicas: int = 1,
            env: dict[str, str] | None = None, prepare: Callable[[LiveServer, str], None] | None = None) -> Measurement:
    """`prepare(server, farm_id)`: run once the farm exists, before its job (e.g. an event subscription)."""
    with replica_servers(store, replicas, env) as (servers, url):
        server = servers[0]
        client = server.client()
        farm_id = client.create_farm(displayName="bench")["farmId"]
        if prepare is not None:
            prepare(server, farm_id)
        queue_id = client.create_queue(farmId=farm_id, displayName="bench")["queueId"]
        fleet_id = client.create_fleet(farmId=farm_id, displayName="bench", maxWorkerCount=workers,
                                       roleArn="arn:aws:iam::000000000000:role/fleet",
                                       configuration=LINUX_FLEET)["fleetId"]
        client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        ids = [(farm_id, fleet_id, ScriptedWorker(client, farm_id, fleet_id).worker_id) for _ in range(workers)]
        farm = Farm(server, farm_id, queue_id, client)
        job_id = client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                   template=frame_template(tasks))["jobId"]
        created = farm.wait_created(job_id)
        if created["lifecycleStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(f"job did not materialize: {created['lifecycleStatus']}")

        swarm = Swarm("127.0.0.1", [s.port for s in servers], (ADMIN_KEY_ID, ADMIN_SECRET, REGION), ids,
                      max(PROCESSES, replicas))
        swarm.warm_up(seconds)
        stats = [ProcessStats(s.process.pid) for s in servers]
        database = make_url(url).database if url else None
        with OtherLoad() as other:
            server_before = sum(each.cpu_seconds() for each in stats)
            backends_before = backend_cpu_seconds(database) if database else {}
            start = swarm.go()
            result, process_cpu = swarm.join()
            server_cpu = sum(each.cpu_seconds() for each in stats) - server_before
            database_cpu = backend_delta(backends_before, backend_cpu_seconds(database)) if database else None
        job = client.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)
    succeeded = job["taskRunStatusCounts"].get("SUCCEEDED", 0)
    job_done = job["taskRunStatus"] == "SUCCEEDED"
    window = max(0.0, result.last_ack - start)
    return Measurement(store, replicas, workers, succeeded, window, result, process_cpu, server_cpu, database_cpu,
                       other.share(server_cpu + (database_cpu or 0.0), sum(process_cpu)), job_done,
                       _check(result, succeeded, job_done, tasks), start)


def _row(m: Measurement) -> list[object]:
    per_task = m.server_cpu_s / m.succeeded * 1e6 if m.succeeded else float("nan")
    database = (f"{m.database_cpu_s / m.succeeded * 1e6:,.0f} µs" if m.database_cpu_s is not None and m.succeeded
                else "-")
    client = "/".join(f"{cpu / m.seconds:.0%}" for cpu in m.process_cpu) if m.seconds else "-"
    client_call = sum(m.process_cpu) / m.result.calls * 1e6 if m.result.calls else float("nan")
    first, last = m.quarter_rates()
    return [m.store, m.replicas, m.workers, f"{m.succeeded:,}", f"{m.seconds:.1f}", f"{m.tasks_per_s:,.0f}",
            f"{first:,.0f} → {last:,.0f}",
            f"{m.percentile_ms(50):.2f}", f"{m.percentile_ms(99):.2f}", f"{per_task:,.0f} µs", database,
            f"{m.server_cpu_s / m.seconds / m.replicas:.0%}" if m.seconds else "-", client, f"{client_call:.0f} µs",
            m.result.retried, f"{m.other_load:.0%}", m.check]


HEADERS = ["store", "replicas", "workers", "tasks done", "s", "tasks/s", "first → last ¼", "p50 ms", "p99 ms",
           "server CPU/task", "PG backends CPU/task", "server busy", "client CPU (per process)", "client CPU/call",
           "429/503", "others' load", "each task exactly once"]


def _print_client_figures() -> None:
    """Signing cost both ways, and what the client does alone: so a reader can rule the client out."""
    netloc, hex32 = "127.0.0.1:8245", "0" * 32
    path = f"/2023-10-12/farms/farm-{hex32}/fleets/fleet-{hex32}/workers/worker-{hex32}/schedule"
    body = (f'{{"updatedSessionActions":{{"sessionaction-{hex32}-0":{{"startedAt":"2026-11-30T00:00:00.000000Z",'
            '"completedStatus":"SUCCEEDED","processExitCode":0,"endedAt":"2026-11-30T00:00:00.000001Z"}}}').encode()
    ours, botocore_us = signing_cost_us(ADMIN_KEY_ID, ADMIN_SECRET, REGION, netloc, path, body)
    print(f"signing each UpdateWorkerSchedule request: bench.sigv4 {ours:.1f} µs of CPU, botocore SigV4Auth "
          f"{botocore_us:.1f} µs (new AWSRequest + add_auth + prepare); the workers use bench.sigv4")
    most = max(WORKER_COUNTS)
    rate, per_call, _ = client_capacity(most, 2.0, PROCESSES)
    paced, paced_per_call, cores = client_capacity(most, 2.0, PROCESSES, service_s=1 / TARGET)
    print(f"the client alone, {most} workers against a stand-in server on this machine: {rate:,.0f} calls/s "
          f"answering at once ({per_call:.0f} µs of client CPU per call); {paced:,.0f} calls/s when each "
          f"answer takes {1e3 / TARGET:.0f} ms of CPU in turn, the target's pace ({paced_per_call:.0f} µs per "
          f"call, {cores:.0%} of one core: the client's CPU per call grows as the rate falls, it is per wake-up)",
          flush=True)


def run(args: argparse.Namespace) -> None:
    tasks = 3_000 if args.quick else TASKS
    seconds = 5.0 if args.quick else SECONDS
    print(f"{tasks:,} tasks per job, at most {seconds:.0f} s per measurement, workers in {PROCESSES} "
          f"processes (asyncio, uvloop when installed), one keep-alive connection per worker, admin key; "
          f"{CPUS} CPUs shared by server, database and client")
    _print_client_figures()
    print()
    measurements = []
    postgres_missing = databases.postgres_available()
    if postgres_missing:
        print(f"PostgreSQL skipped: {postgres_missing}")
    # The PostgreSQL setups (5 measurements, ~2 minutes) run when the bench is named, not in `all`,
    # so that `make bench` stays under 15 minutes.
    named = getattr(args, "name", "dispatch") == "dispatch"
    if not named:
        print("PostgreSQL setups left out of `all`: `python -m bench dispatch` runs them")
    for store, replicas in SETUPS:
        if store == "postgresql" and (postgres_missing or not named):
            continue
        for workers in WORKER_COUNTS:
            if workers < replicas:
                continue
            started = time.monotonic()
            m = measure(store, workers, tasks, seconds, replicas)
            measurements.append(m)
            print(f"  {store} ×{replicas}, {workers} workers: {m.tasks_per_s:,.0f} tasks/s ({m.succeeded:,} tasks "
                  f"in {m.seconds:.1f} s; {time.monotonic() - started:.0f} s with setup); exactly once: {m.check}",
                  flush=True)
    print()
    print(table(HEADERS, [_row(m) for m in measurements]))
    best: dict[str, float] = {}
    for m in measurements:
        key = f"{m.store} ×{m.replicas}"
        best[key] = max(best.get(key, 0.0), m.tasks_per_s)
    for store, rate in best.items():
        if not store.startswith("sqlite"):  # the issue sets no target there
            print(f"{store}: best {rate:,.0f} tasks/s ({rate / TARGET:.2f}× the SQLite target)")
            continue
        verdict = "met" if rate >= TARGET else "NOT met"
        print(f"{store}: best {rate:,.0f} tasks/s; target {TARGET:,.0f} tasks/s {verdict} ({rate / TARGET:.2f}×)")
    busy = [m for m in measurements if m.seconds and max(m.process_cpu) / m.seconds > CLIENT_BUSY_WARNING]
    if busy:
        print(f"WARNING: a client process used more than {CLIENT_BUSY_WARNING:.0%} of a core in "
              f"{len(busy)} measurement(s): the client may be part of the limit there")
    if any(not m.check.startswith("yes") for m in measurements):
        raise SystemExit("dispatch: a task ran other than exactly once (see the table)")


def on_off_pairs(bench: str, settings: dict[str, dict[str, str]], pairs: int, tasks: int,
                 seconds: float, prepare: dict[str, Callable[[LiveServer, str], None]] | None = None
                 ) -> list[tuple[float, float, float]]:
    """A feature's cost to dispatch, A/B in one run: 16 workers on SQLite under `settings` "on" and "off"
    (server environments; `prepare`: what `measure` runs on each side's farm first), alternating which
    goes first. (tasks/s ratio on/off, server CPU per task ratio on/off, others' load) per pair."""
    out = []
    for index in range(pairs):
        order = list(settings) if index % 2 == 0 else list(settings)[::-1]
        rates, cpu, others = {}, {}, 0.0
        for name in order:
            m = measure("sqlite", 16, tasks, seconds, env=settings[name], prepare=(prepare or {}).get(name))
            if not m.check.startswith("yes"):
                raise SystemExit(f"{bench}: dispatch ran a task other than exactly once: {m.check}")
            rates[name], others = m.tasks_per_s, max(others, m.other_load)
            cpu[name] = m.server_cpu_s / m.succeeded * 1e6 if m.succeeded else float("nan")
        out.append((rates["on"] / rates["off"], cpu["on"] / cpu["off"], others))
        print(f"    pair {index + 1}/{pairs} ({' first, '.join(order)} second): on {rates['on']:,.0f} tasks/s "
              f"({cpu['on']:.0f} µs/task), off {rates['off']:,.0f} tasks/s ({cpu['off']:.0f} µs/task); "
              f"others used {others:.0%}", flush=True)
    return out
