"""concurrency: 200 clients at once, with admission control on and off, on SQLite and PostgreSQL.

Owns: for each store (PostgreSQL when one answers) and each admission setting (the defaults; and
FARMSTEAD_MAX_IN_FLIGHT=0, none), a fresh server with a farm, a queue, a Linux fleet and their
association, a 10-task job, USERS users (MANAGER on the farm, a key each) and WORKERS workers
STARTED as the agent does it (CreateWorker, AssumeFleetRoleForWorker, UpdateWorker); then CLIENTS
user clients (client i on user i mod USERS) replaying a mix of six signed requests back to back
(GetFarm, GetJob, ListJobs, SearchJobs, UpdateJob, CreateJob of one task) and the workers calling
UpdateWorkerSchedule every HEARTBEAT_S, every connection opened at the same moment (bench/crowd.py).
Figures per run: answers, ok, throttled (429), other failures, time-outs (no answer in 60 s),
latency p50/p99/max of every answer (a 429 is an answer), the slowest first answer of a connection,
the workers' heartbeat p99/max and throttled count, server CPU, others' load.
Target (issue 15): max <= 5 s, every request answered or throttled, none timing out.
Must not: run past its time bounds (each run SECONDS, ~1 minute with set-up; --quick: 8 s).
"""

from __future__ import annotations

import argparse
import json

from bench.crowd import CrowdResult, run_crowd
from bench.farm_setup import frame_template
from bench.figures import histogram_percentile, table
from bench.launcher import REGION, ProcessStats, replica_servers
from bench.lean_client import presign
from bench.machine import OtherLoad
from farmstead.testing import databases
from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET

DESCRIPTION = ("200 concurrent clients (10 users' keys) and 20 heartbeating workers, admission control on and off, "
               "SQLite and PostgreSQL: p50/p99/max, throttled, time-outs (target max <= 5 s, none timing out)")
CLIENTS, USERS, WORKERS = 200, 10, 20
SECONDS, QUICK_SECONDS = 30.0, 8.0
HEARTBEAT_S = 2.0
TARGET_MAX_S = 5.0
SETTINGS = {"on (defaults)": {}, "off": {"FARMSTEAD_MAX_IN_FLIGHT": "0"}}


def _setup(server) -> tuple[list[list[bytes]], list[bytes]]:
    """(each user client's request mix, each worker's heartbeat), signed now."""
    admin = server.client()
    farm_id = admin.create_farm(displayName="crowd")["farmId"]
    queue_id = admin.create_queue(farmId=farm_id, displayName="crowd")["queueId"]
    fleet_id = admin.create_fleet(farmId=farm_id, displayName="crowd", roleArn="arn:aws:iam::000000000000:role/f",
                                  maxWorkerCount=WORKERS, configuration=LINUX_FLEET)["fleetId"]
    admin.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    job_id = admin.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                              template=frame_template(10))["jobId"]
    ids = {"farmId": farm_id, "queueId": queue_id}
    mixes = []
    for user in range(USERS):
        principal, key_id, secret = server.new_user(f"crowd{user}")
        admin.associate_member_to_farm(farmId=farm_id, principalId=principal, principalType="USER",
                                       identityStoreId="d-0000000000", membershipLevel="MANAGER")

        def sign(operation, labels, key_id=key_id, secret=secret, **kwargs):
            return presign(server.endpoint, operation, labels, key_id=key_id, secret=secret, region=REGION,
                           **kwargs).wire()
        mixes.append([
            sign("GetFarm", {"farmId": farm_id}),
            sign("GetJob", {**ids, "jobId": job_id}),
            sign("ListJobs", ids),
            sign("SearchJobs", {"farmId": farm_id}, body={"queueIds": [queue_id], "itemOffset": 0}),
            sign("UpdateJob", {**ids, "jobId": job_id}, body={"priority": 60 + user}),
            sign("CreateJob", ids, body={"priority": 50, "templateType": "JSON", "template": frame_template(1)}),
        ])
    heartbeats = []
    for _ in range(WORKERS):
        worker = {"farmId": farm_id, "fleetId": fleet_id}
        worker["workerId"] = admin.create_worker(**worker, hostProperties={"hostName": "crowd"})["workerId"]
        credentials = admin.assume_fleet_role_for_worker(**worker)["credentials"]
        own = server.client(key_id=credentials["accessKeyId"], secret=credentials["secretAccessKey"],
                            session_token=credentials["sessionToken"])
        own.update_worker(**worker, status="STARTED", capabilities=CAPABILITIES)
        heartbeats.append(_with_token(worker, credentials, server.endpoint))
    return [mixes[i % USERS] for i in range(CLIENTS)], heartbeats


def _with_token(worker: dict, credentials: dict, endpoint: str) -> bytes:
    """UpdateWorkerSchedule signed once with the worker's fleet-role credentials (lean_client.presign
    signs with a key alone; these need their session token signed too)."""
    from urllib.parse import quote, urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    path = (f"/2023-10-12/farms/{quote(worker['farmId'])}/fleets/{quote(worker['fleetId'])}"
            f"/workers/{quote(worker['workerId'])}/schedule")
    body = json.dumps({"updatedSessionActions": {}}).encode()
    request = AWSRequest(method="PATCH", url=endpoint + path, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(credentials["accessKeyId"], credentials["secretAccessKey"], credentials["sessionToken"]),
              "deadline", REGION).add_auth(request)
    netloc = urlsplit(endpoint).netloc
    lines = [f"PATCH {path} HTTP/1.1", f"Host: {netloc}", *(f"{k}: {v}" for k, v in request.headers.items()),
             f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def measure(store: str, setting: str, seconds: float) -> tuple[CrowdResult, float, float]:
    """(the crowd's result, server CPU seconds, others' load share)."""
    with replica_servers(store, 1, SETTINGS[setting]) as (servers, _url):
        server = servers[0]
        mixes, heartbeats = _setup(server)
        stats = ProcessStats(server.process.pid)
        with OtherLoad() as other:
            cpu = stats.cpu_seconds()
            result = run_crowd("127.0.0.1", server.port, mixes, heartbeats, seconds, HEARTBEAT_S)
            cpu = stats.cpu_seconds() - cpu
        if "Traceback" in server.log_text():
            print(f"--- server log (tail) ---\n{server.log_text()[-3000:]}")
    return result, cpu, other.share(cpu, result.client_cpu_s)


def _ms(histogram, pct: float) -> str:
    return f"{histogram_percentile(histogram, pct) / 1000:,.0f}" if histogram else "-"


def _max_s(histogram) -> str:
    return f"{max(histogram) / 1e6:.2f}" if histogram else "-"


def _row(store: str, setting: str, result: CrowdResult, cpu: float, others: float) -> list[object]:
    users, workers = result.users, result.workers
    return [store, setting, f"{users.answers / result.seconds:,.0f}", f"{users.ok:,}", f"{users.throttled:,}",
            users.failed, users.timeouts, _ms(users.latency_us, 50), _ms(users.latency_us, 99),
            _max_s(users.latency_us), f"{users.first_answer_s:.2f}",
            f"{workers.ok}/{workers.answers + workers.timeouts}", workers.throttled, _ms(workers.latency_us, 99),
            _max_s(workers.latency_us), f"{cpu / result.seconds:.0%}", f"{others:.0%}"]


HEADERS = ["store", "admission", "answers/s", "ok", "429", "failed", "time-outs", "p50 ms", "p99 ms", "max s",
           "first answer max s", "heartbeats ok", "heartbeats 429", "heartbeat p99 ms", "heartbeat max s",
           "server CPU", "others' load"]


def run(args: argparse.Namespace) -> None:
    seconds = QUICK_SECONDS if args.quick else SECONDS
    stores = ["sqlite"]
    missing = databases.postgres_available()
    if missing:
        print(f"PostgreSQL skipped: {missing}")
    else:
        stores.append("postgresql")
    print(f"{CLIENTS} user clients over {USERS} keys, {WORKERS} workers heartbeating every {HEARTBEAT_S:.0f} s, "
          f"{seconds:.0f} s per run, clients in 2 processes; a throttled user waits Retry-After x 0.5-1.5")
    rows, verdicts = [], []
    for store in stores:
        for setting in SETTINGS:
            result, cpu, others = measure(store, setting, seconds)
            rows.append(_row(store, setting, result, cpu, others))
            worst = max([*result.users.latency_us, *result.workers.latency_us], default=0) / 1e6
            timeouts = result.users.timeouts + result.workers.timeouts
            met = worst <= TARGET_MAX_S and timeouts == 0
            verdicts.append(f"{store}, admission {setting}: max {worst:.2f} s, {timeouts} time-outs: "
                            f"target {'met' if met else 'NOT met'}")
            print(f"  {verdicts[-1]}", flush=True)
    print()
    print(table(HEADERS, rows))
