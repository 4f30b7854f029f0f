"""fan_outs: UpdateJob CANCELED on a 10^6-task job, and what every other request sees meanwhile.

Owns: for each store (SQLite; PostgreSQL when one answers on 127.0.0.1:5432) and each mode, a fresh
server holding one 10^6-task job (10^5 with --quick); while a thread sends GetFarm back to back on its
own connection, one UpdateJob targetTaskRunStatus=CANCELED; then GetJob until the change is applied.
Reports UpdateJob's response time, the seconds until every task is CANCELED, and GetFarm's latency
before and during the change (p50/p99/max). The modes, side by side in one run:
* queued: the default (changes over 5,000 tasks applied after the answer, 5,000 tasks per batch);
* inline: FARMSTEAD_FAN_OUT_INLINE_TASKS above the job's size, i.e. what every UpdateJob did before
  (the change written in the request's one transaction).
Must not: run longer than its timeouts; a job that is not created or canceled in time is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.farm_setup import Farm, new_farm
from bench.figures import median, table
from bench.launcher import LiveServer, store_name
from bench.lean_client import Connection

# The harness's PostgreSQL helpers make and drop the databases.
from farmstead.testing import databases

DESCRIPTION = "UpdateJob CANCELED of 10^6 tasks: its response time, and GetFarm's latency meanwhile"
MODES = {"queued": {}, "inline": {"FARMSTEAD_FAN_OUT_INLINE_TASKS": "100000000"}}


@dataclass
class Result:
    store: str
    mode: str
    tasks: int
    update_ms: float
    applied_s: float | None
    before_ms: list[float]
    during_ms: list[float]


@contextlib.contextmanager
def _server(store: str, settings: dict[str, str]) -> Iterator[LiveServer]:
    url = databases.create_postgres_database() if store == "postgresql" else None
    data_dir = Path(tempfile.mkdtemp(prefix="farmstead-bench-"))
    # An empty FARMSTEAD_DATABASE_URL means the embedded store, whatever the environment says.
    server = LiveServer(data_dir, database_url=url, extra_env={**settings, "FARMSTEAD_STRICT_OUTPUT": "0",
                                                               "FARMSTEAD_DATABASE_URL": url or ""})
    try:
        server.start()
        if store_name(server) != store:
            raise RuntimeError(f"expected the {store} store, the server says {store_name(server)}")
        yield server
    except BaseException:
        print(f"--- server log (tail) ---\n{server.log_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if url:
            databases.drop_postgres_database(url)


class _Sampler(threading.Thread):
    """GetFarm back to back on one connection; each answer's latency, filed under the current phase."""

    def __init__(self, farm: Farm) -> None:
        super().__init__(daemon=True)
        self._request = farm.sign("GetFarm", {"farmId": farm.farm_id})
        self.phase = "before"
        self.samples: dict[str, list[float]] = {"before": [], "during": [], "after": []}
        self._halt = threading.Event()

    def run(self) -> None:
        connection = Connection(self._request.netloc, timeout=120)
        try:
            while not self._halt.is_set():
                phase = self.phase
                started = time.perf_counter()
                connection.json(self._request)
                self.samples[phase].append((time.perf_counter() - started) * 1000)
                time.sleep(0.005)  # a light, steady load: ~one request in flight
        finally:
            connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=180)


def measure(store: str, mode: str, tasks: int) -> Result:
    with _server(store, MODES[mode]) as server:
        farm = new_farm(server)
        job_id = farm.create_job(tasks)
        created = farm.wait_created(job_id, timeout=max(60.0, tasks * 400e-6))
        if created["lifecycleStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(f"the job ended {created['lifecycleStatus']}")
        ids = {"farmId": farm.farm_id, "queueId": farm.queue_id, "jobId": job_id}
        update = farm.sign("UpdateJob", ids, body={"targetTaskRunStatus": "CANCELED"})
        get_job = farm.get_job_request(job_id)
        sampler = _Sampler(farm)
        sampler.start()
        time.sleep(2.0)
        connection = Connection(update.netloc, timeout=300)
        try:
            sampler.phase = "during"
            started = time.perf_counter()
            connection.json(update)
            update_ms = (time.perf_counter() - started) * 1000
            applied_s: float | None = None
            give_up = time.monotonic() + max(60.0, tasks * 200e-6)
            while time.monotonic() < give_up:
                job = connection.json(get_job)
                if job["lifecycleStatus"] != "UPDATE_IN_PROGRESS":
                    if job["taskRunStatusCounts"]["CANCELED"] != tasks:
                        raise RuntimeError(f"applied, but {job['taskRunStatusCounts']} of {tasks} tasks")
                    applied_s = time.perf_counter() - started
                    break
                time.sleep(0.05)
            sampler.phase = "after"
        finally:
            connection.close()
            sampler.stop()
        return Result(store, mode, tasks, update_ms, applied_s, sampler.samples["before"], sampler.samples["during"])


def _pct(values: list[float], pct: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]:.1f}"


def run(args: argparse.Namespace) -> None:
    tasks = 100_000 if args.quick else 1_000_000
    stores = ["sqlite"] + ([] if databases.postgres_available() else ["postgresql"])
    if len(stores) == 1:
        print(f"  PostgreSQL: {databases.postgres_available()}; SQLite only")
    rows = []
    for store in stores:
        for mode in MODES:
            print(f"  {store}, {mode}: a {tasks:,}-task job, then UpdateJob CANCELED ...", flush=True)
            r = measure(store, mode, tasks)
            rows.append([r.store, r.mode, f"{r.tasks:,}", f"{r.update_ms:,.0f}",
                         f"{r.applied_s:.1f}" if r.applied_s is not None else "timed out",
                         f"{median(r.before_ms):.1f} / {_pct(r.before_ms, 99)}",
                         f"{median(r.during_ms):.1f}" if r.during_ms else "-", _pct(r.during_ms, 99),
                         f"{max(r.during_ms):,.0f}" if r.during_ms else "-", len(r.during_ms)])
    print(table(["store", "mode", "tasks", "UpdateJob ms", "all CANCELED s", "GetFarm before p50/p99 ms",
                 "during p50", "p99", "max ms", "GetFarms during"], rows))
