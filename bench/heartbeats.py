"""heartbeats: 7,500 idle workers that call UpdateWorkerSchedule every 15 s (500 calls/s), held by one server
on SQLite, and by one and by two API replicas on one PostgreSQL database.

Owns: for each setup in SETUPS (PostgreSQL ones when a database answers on 127.0.0.1:5432, a fresh
database each), fresh servers (update interval 15 s, worker timeout 60 s: the sweeper runs every 5 s),
a farm, a queue with no work, a Linux fleet and their association (boto3); then WORKERS workers,
each set up as the agent does it (CreateWorker, AssumeFleetRoleForWorker, UpdateWorker STARTED) and
from then on calling UpdateWorkerSchedule with no reports at its own slot of every 15-second interval
(worker i at i/WORKERS of the interval), open loop: a late answer does not move the next call. Each
worker signs its calls with its own fleet-role credentials (botocore SigV4Auth, a new signature per
call, as the agent does), so the server looks up a different key on every call. Calls share a pool
of keep-alive connections from one asyncio process.
Set-up stops after SETUP_SECONDS: a server that cannot set up the rest while serving the heartbeats
of those already STARTED is measured with those (the output says how many).
Figures over the measured intervals (after every worker is STARTED and one more interval has passed):
calls/s, latency p50/p99/max counted from each call's slot (queueing for a connection included) and
from its send, server CPU per call, others' load, non-2xx answers, the longest silence of any worker,
and how many workers the server holds NOT_RESPONDING at the end (any is wrong: none was silent for
the 60 s timeout).
Must not: give the workers work, or run past its intervals (full run ~3 minutes per setup, --quick ~1).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.engine import make_url

from bench.figures import histogram_percentile, table
from bench.launcher import (
    ADMIN_KEY_ID,
    ADMIN_SECRET,
    REGION,
    ProcessStats,
    backend_cpu_seconds,
    backend_delta,
    replica_servers,
)
from bench.machine import OtherLoad
from farmstead.testing import databases
from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET

DESCRIPTION = ("UpdateWorkerSchedule p50/p99 from 7,500 idle workers at a 15 s interval (500 calls/s), SQLite "
               "and PostgreSQL with 1 and 2 API replicas; none wrongly NOT_RESPONDING")
#: (store, API replicas): replicas share one PostgreSQL database; the workers are split between them.
SETUPS = (("sqlite", 1), ("postgresql", 1), ("postgresql", 2))
WORKERS, QUICK_WORKERS = 7_500, 750
INTERVAL = 15.0
WORKER_TIMEOUT = 60
MEASURED_INTERVALS, QUICK_INTERVALS = 4, 2
#: Setting workers up stops after this long: a server that cannot hold them all is measured as it is.
SETUP_SECONDS, QUICK_SETUP_SECONDS = 300.0, 120.0
CONNECTIONS = 64
#: Workers being set up at once (each set-up is three calls in turn).
SETUP_CONCURRENCY = 16
_EMPTY_SCHEDULE = b'{"updatedSessionActions":{}}'


@functools.cache
def _http(operation: str) -> tuple[str, str]:
    http = botocore.session.get_session().get_service_model("deadline").operation_model(operation).http
    return http["method"], http["requestUri"]


def _request(netloc: str, auth: SigV4Auth, operation: str, labels: dict[str, str], body: dict | None) -> bytes:
    """The signed HTTP/1.1 request, signed now by botocore."""
    method, path = _http(operation)
    for name, value in labels.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    payload = _EMPTY_SCHEDULE if operation == "UpdateWorkerSchedule" else (
        json.dumps(body).encode() if body is not None else b"")
    headers = {"Content-Type": "application/json"} if method != "GET" else {}
    request = AWSRequest(method=method, url=f"http://{netloc}{path}", data=payload, headers=headers)
    auth.add_auth(request)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {netloc}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class Pool:
    """Keep-alive connections shared by all workers; a call waits for a free one."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._host, self._port, self._size = host, port, size
        self._free: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self._size):
            self._free.put_nowait(await asyncio.open_connection(self._host, self._port))

    async def call(self, wire: bytes) -> tuple[int, bytes, float]:
        """(status, body, seconds from send to answer)."""
        reader, writer = await self._free.get()
        try:
            sent = time.perf_counter()
            writer.write(wire)
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(_content_length(head))
            self._free.put_nowait((reader, writer))
            return int(head[9:12]), body, time.perf_counter() - sent
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            self._free.put_nowait(await asyncio.open_connection(self._host, self._port))
            raise


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            return int(line[15:])
    raise RuntimeError(f"answer without Content-Length: {head[:200]!r}")


@dataclass
class Run:
    netlocs: list[str]
    farm_id: str
    fleet_id: str
    workers: int
    pools: list[Pool]
    admin: SigV4Auth = field(default_factory=lambda: SigV4Auth(Credentials(ADMIN_KEY_ID, ADMIN_SECRET), "deadline",
                                                                 REGION))
    setup_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SETUP_CONCURRENCY))
    started: int = 0
    started_indexes: set[int] = field(default_factory=set)
    all_started: asyncio.Event = field(default_factory=asyncio.Event)
    t0: float = field(default_factory=time.monotonic)
    measure_from: float = math.inf
    end: float = math.inf
    from_slot_us: Counter = field(default_factory=Counter)
    service_us: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    longest_silence: float = 0.0
    worker_ids: list[str] = field(default_factory=list)

    async def call(self, replica: int, auth: SigV4Auth, operation: str, labels: dict[str, str],
                   body: dict | None = None) -> dict:
        status, answer, _ = await self.pools[replica].call(_request(self.netlocs[replica], auth, operation, labels,
                                                                    body))
        if status != 200:
            raise RuntimeError(f"{operation} answered {status}: {answer[:300]!r}")
        return json.loads(answer)

    async def worker(self, index: int) -> None:
        ids = {"farmId": self.farm_id, "fleetId": self.fleet_id}
        replica = index % len(self.pools)
        pool, netloc = self.pools[replica], self.netlocs[replica]
        async with self.setup_slots:
            ids["workerId"] = (await self.call(replica, self.admin, "CreateWorker", ids, {
                "hostProperties": {"hostName": f"bench-{index}"}}))["workerId"]
            credentials = (await self.call(replica, self.admin, "AssumeFleetRoleForWorker", ids))["credentials"]
            auth = SigV4Auth(Credentials(credentials["accessKeyId"], credentials["secretAccessKey"],
                                         credentials["sessionToken"]), "deadline", REGION)
            await self.call(replica, auth, "UpdateWorker", ids, {"status": "STARTED", "capabilities": CAPABILITIES})
        self.worker_ids.append(ids["workerId"])
        last_answer = time.monotonic()
        self.started += 1
        self.started_indexes.add(index)
        if self.started == self.workers:
            self.all_started.set()
        phase = self.t0 + index / self.workers * INTERVAL
        slot = phase + math.ceil((time.monotonic() - phase) / INTERVAL) * INTERVAL
        while slot < self.end:
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
            status, _, service = await pool.call(_request(netloc, auth, "UpdateWorkerSchedule", ids, None))
            now = time.monotonic()
            self.longest_silence = max(self.longest_silence, now - last_answer)
            last_answer = now
            if slot >= self.measure_from:
                self.statuses[status] += 1
                self.from_slot_us[int((now - slot) * 1e6)] += 1
                self.service_us[int(service * 1e6)] += 1
            slot += INTERVAL


async def _drive(run: Run, intervals: int, setup_seconds: float, stats: list[ProcessStats],
                 database: str | None) -> dict:
    for pool in run.pools:
        await pool.open()
    # Set up in a shuffled order: if set-up is cut short, the workers that did start still have
    # slots spread over the whole interval (worker i's slot is at i/WORKERS of it).
    order = list(range(run.workers))
    random.Random(7).shuffle(order)
    tasks = [asyncio.create_task(run.worker(i)) for i in order]
    waiting = asyncio.create_task(run.all_started.wait())
    setup_deadline = run.t0 + setup_seconds
    while not run.all_started.is_set() and time.monotonic() < setup_deadline:
        await asyncio.wait([waiting, *tasks], timeout=max(0.0, setup_deadline - time.monotonic()),
                           return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:  # a set-up failure surfaces here instead of hanging the run
            if task.done() and not task.cancelled() and task.exception():
                raise task.exception()
    setup_s = time.monotonic() - run.t0
    if not run.all_started.is_set():
        # The server could not set the rest up while serving the started workers' heartbeats.
        for index, task in zip(order, tasks, strict=False):  # tasks made so far
            if index not in run.started_indexes:
                task.cancel()
        print(f"  only {run.started:,} of {run.workers:,} workers STARTED within {setup_seconds:.0f} s: the "
              "server is saturated; measuring those", flush=True)
    waiting.cancel()
    print(f"  {run.started:,} workers STARTED in {setup_s:.0f} s; one interval of warm-up, then "
          f"{intervals} measured intervals of {INTERVAL:.0f} s", flush=True)
    run.measure_from = time.monotonic() + INTERVAL
    run.end = run.measure_from + intervals * INTERVAL
    await asyncio.sleep(run.measure_from - time.monotonic())
    cpu_before, client_before = sum(each.cpu_seconds() for each in stats), time.process_time()
    backends_before = backend_cpu_seconds(database) if database else {}
    with OtherLoad() as other:
        await asyncio.sleep(run.end - time.monotonic())
    server_cpu = sum(each.cpu_seconds() for each in stats) - cpu_before
    database_cpu = backend_delta(backends_before, backend_cpu_seconds(database)) if database else None
    client_cpu = time.process_time() - client_before
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"setup_s": setup_s, "server_cpu": server_cpu, "database_cpu": database_cpu, "client_cpu": client_cpu,
            "other": other.share(server_cpu + (database_cpu or 0.0), client_cpu), "window": run.end - run.measure_from}


def _statuses(client, farm_id: str, fleet_id: str, worker_ids: list[str]) -> Counter:
    """The statuses the server gives the heartbeating workers (not those whose set-up was cut short)."""
    heartbeating = set(worker_ids)
    statuses: Counter = Counter()
    for page in client.get_paginator("list_workers").paginate(farmId=farm_id, fleetId=fleet_id):
        statuses.update(w["status"] for w in page["workers"] if w["workerId"] in heartbeating)
    return statuses


def run(args: argparse.Namespace) -> None:
    workers = QUICK_WORKERS if args.quick else WORKERS
    intervals = QUICK_INTERVALS if args.quick else MEASURED_INTERVALS
    setup_seconds = QUICK_SETUP_SECONDS if args.quick else SETUP_SECONDS
    postgres_missing = databases.postgres_available()
    if postgres_missing:
        print(f"  PostgreSQL skipped: {postgres_missing}")
    # The PostgreSQL setups take ~7 minutes more: run when the bench is named, not in `all`, so that
    # `make bench` stays under 15 minutes.
    named = getattr(args, "name", "heartbeats") == "heartbeats"
    if not named:
        print("  PostgreSQL setups left out of `all`: `python -m bench heartbeats` runs them")
    rows = []
    for store, replicas in SETUPS:
        if store == "postgresql" and (postgres_missing or not named):
            continue
        print(f"  {store} ×{replicas}:", flush=True)
        rows.append(measure(store, replicas, workers, intervals, setup_seconds))
    print()
    print(table(HEADERS, rows))


def measure(store: str, replicas: int, workers: int, intervals: int, setup_seconds: float) -> list[object]:
    """One setup: its servers, farm and workers; the row of figures."""
    settings = {"FARMSTEAD_UPDATE_INTERVAL_SECONDS": str(int(INTERVAL)),
                "FARMSTEAD_WORKER_TIMEOUT_SECONDS": str(WORKER_TIMEOUT)}
    with replica_servers(store, replicas, settings) as (servers, url):
        client = servers[0].client()
        farm_id = client.create_farm(displayName="heartbeats")["farmId"]
        queue_id = client.create_queue(farmId=farm_id, displayName="idle")["queueId"]
        fleet_id = client.create_fleet(farmId=farm_id, displayName="idle", roleArn="arn:aws:iam::000000000000:role/f",
                                       maxWorkerCount=workers, configuration=LINUX_FLEET)["fleetId"]
        client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        netlocs = [server.endpoint.removeprefix("http://") for server in servers]
        pools = [Pool(host, int(port), CONNECTIONS // replicas)
                 for host, _, port in (netloc.partition(":") for netloc in netlocs)]
        run_state = Run(netlocs, farm_id, fleet_id, workers, pools)
        print(f"  {workers:,} workers, one call each per {INTERVAL:.0f} s = {workers / INTERVAL:,.0f} calls/s; "
              f"{CONNECTIONS} keep-alive connections; worker timeout {WORKER_TIMEOUT} s", flush=True)
        try:
            import uvloop
            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        database = make_url(url).database if url else None
        measured = runner(_drive(run_state, intervals, setup_seconds,
                                 [ProcessStats(server.process.pid) for server in servers], database))
        statuses = _statuses(client, farm_id, fleet_id, run_state.worker_ids)
    return _report(store, replicas, run_state, measured, statuses)


HEADERS = ["store", "replicas", "workers", "target calls/s", "calls/s", "p50 ms", "p99 ms", "max ms",
           "p99 from send ms", "server CPU us/call", "PG backends us/call", "server busy (per replica)",
           "client busy", "others' load", "non-2xx", "NOT_RESPONDING"]


def _report(store: str, replicas: int, run: Run, measured: dict, statuses: Counter) -> list[object]:
    calls = sum(run.statuses.values())
    window = measured["window"]
    failed = calls - run.statuses.get(200, 0)
    database_cpu = measured["database_cpu"]
    lost = statuses.get("NOT_RESPONDING", 0)
    print(f"  latency is counted from each call's slot (waiting for a connection included); set-up took "
          f"{measured['setup_s']:.0f} s; answers: {dict(run.statuses)}")
    print(f"  longest silence of any worker: {run.longest_silence:.1f} s (interval {INTERVAL:.0f} s, timeout "
          f"{WORKER_TIMEOUT} s); worker statuses at the end: {dict(statuses)}")
    verdict = "none" if lost == 0 else f"{lost} WRONGLY (no worker was silent for {WORKER_TIMEOUT} s)"
    if lost and run.longest_silence >= WORKER_TIMEOUT:
        verdict = f"{lost} (some worker went {run.longest_silence:.0f} s unanswered: the server fell behind)"
    print(f"  workers declared NOT_RESPONDING: {verdict}", flush=True)
    return [store, replicas, f"{run.started:,} of {run.workers:,}", f"{run.workers / INTERVAL:,.0f}",
            f"{calls / window:,.0f}",
            f"{histogram_percentile(run.from_slot_us, 50) / 1000:.1f}",
            f"{histogram_percentile(run.from_slot_us, 99) / 1000:.1f}",
            f"{max(run.from_slot_us, default=0) / 1000:.0f}",
            f"{histogram_percentile(run.service_us, 99) / 1000:.1f}",
            f"{measured['server_cpu'] / max(1, calls) * 1e6:,.0f}",
            f"{database_cpu / max(1, calls) * 1e6:,.0f}" if database_cpu is not None else "-",
            f"{measured['server_cpu'] / window / replicas:.0%}", f"{measured['client_cpu'] / window:.0%}",
            f"{measured['other']:.0%}", f"{failed}", lost]
