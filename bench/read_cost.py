"""read_cost: server CPU per API read (GetFarm, GetJob, ListWorkers) on SQLite and on PostgreSQL, for
docs/scaling.md's model.

Owns: for each store (PostgreSQL when one answers on 127.0.0.1:5432, a fresh database), a fresh server
with a farm, a queue, a fleet with WORKERS workers and a one-task job (boto3); then each read,
signed once (bench.lean_client), replayed REQUESTS times back to back over one keep-alive
connection, in rounds that rotate the order of the reads. Figures: server CPU per request (from
/proc, the replica's own), the PostgreSQL backends' CPU per request, and requests per second.
Must not: change the server, or run long (~1 minute, `python -m bench.read_cost`). Not part of
`python -m bench all`: it feeds the scaling model, it has no target of its own.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import make_url

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
from bench.lean_client import Connection, presign
from farmstead.testing import databases
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

REQUESTS = 1_000
ROUNDS = 3
WORKERS = 20


def measure(store: str) -> list[list[object]]:
    with replica_servers(store, 1) as (servers, url):
        server = servers[0]
        client = server.client()
        farm_id = client.create_farm(displayName="reads")["farmId"]
        queue_id = client.create_queue(farmId=farm_id, displayName="reads")["queueId"]
        fleet_id = client.create_fleet(farmId=farm_id, displayName="reads", maxWorkerCount=WORKERS,
                                       roleArn="arn:aws:iam::000000000000:role/fleet",
                                       configuration=LINUX_FLEET)["fleetId"]
        for _ in range(WORKERS):
            ScriptedWorker(client, farm_id, fleet_id)
        job_id = client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                   template=frame_template(1))["jobId"]
        Farm(server, farm_id, queue_id, client).wait_created(job_id)
        keys = {"key_id": ADMIN_KEY_ID, "secret": ADMIN_SECRET, "region": REGION}
        reads = [presign(server.endpoint, "GetFarm", {"farmId": farm_id}, **keys),
                 presign(server.endpoint, "GetJob", {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}, **keys),
                 presign(server.endpoint, "ListWorkers", {"farmId": farm_id, "fleetId": fleet_id}, **keys)]
        connection = Connection(server.endpoint.removeprefix("http://"))
        for request in reads:  # warm: the key cache, the statement caches, psycopg's prepared statements
            for _ in range(50):
                connection.json(request)
        stats = ProcessStats(server.process.pid)
        database = make_url(url).database if url else None
        totals = {request.label: [0.0, 0.0, 0.0] for request in reads}  # server CPU, backends CPU, seconds
        for round_index in range(ROUNDS):
            for request in reads[round_index % len(reads):] + reads[:round_index % len(reads)]:
                cpu, backends, started = stats.cpu_seconds(), backend_cpu_seconds(database) if database else {}, \
                    time.perf_counter()
                for _ in range(REQUESTS):
                    status, body = connection.send(request)
                    if status != 200:
                        raise RuntimeError(f"{request.label} answered {status}: {body[:300]!r}")
                total = totals[request.label]
                total[2] += time.perf_counter() - started
                total[0] += stats.cpu_seconds() - cpu
                if database:
                    total[1] += backend_delta(backends, backend_cpu_seconds(database))
        connection.close()
    count = REQUESTS * ROUNDS
    return [[store, label, f"{server_cpu / count * 1e6:,.0f}", f"{backends_cpu / count * 1e6:,.0f}" if url else "-",
             f"{count / seconds:,.0f}"] for label, (server_cpu, backends_cpu, seconds) in totals.items()]


def main() -> None:
    rows = measure("sqlite")
    missing = databases.postgres_available()
    if missing:
        print(f"PostgreSQL skipped: {missing}")
    else:
        rows += measure("postgresql")
    print(f"{REQUESTS:,} requests × {ROUNDS} rounds per read, one keep-alive connection, admin key, {WORKERS} "
          "workers in the fleet, a one-task job")
    print(table(["store", "read", "server CPU µs/request", "PG backends µs/request", "requests/s"], rows))


if __name__ == "__main__":
    main()
