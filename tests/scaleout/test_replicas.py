"""Three `farmstead server` replicas on one PostgreSQL database, 30 workers spread over them.

Pins what scale-out promises (docs/operations.md): every task of a 5,000-task job runs exactly once,
every counter adds up, clientTokens and pagination tokens are good on any replica, and the background
duties (materializer, liveness sweeper) run once for the farm, not once per replica.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import sqlalchemy as sa
from botocore.config import Config

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

REPLICAS = 3
WORKERS = 30
TASKS = 5_000
STATUSES = ("PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING", "RUNNING", "SUSPENDED",
            "CANCELED", "FAILED", "SUCCEEDED", "NOT_COMPATIBLE")
TEMPLATE = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "five thousand frames",
    "steps": [{"name": "Render",
               "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT",
                                                                "range": f"1-{TASKS}"}]},
               "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}],
})


def replica_client(server: LiveServer):
    """A client shared by the worker threads: a pool as large as they are, and retries on throttling
    (a deadlock or serialization failure is answered 429, as the official agent expects)."""
    session = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                    region_name=REGION)
    return session.client("deadline", endpoint_url=server.endpoint, config=Config(
        inject_host_prefix=False, max_pool_connections=WORKERS + 2,
        retries={"mode": "standard", "max_attempts": 10}))


class RoundRobin:
    """A client whose every call goes to the next replica, like a load balancer in front of them."""

    def __init__(self, clients, start: int) -> None:
        self._clients = clients
        self._turn = itertools.count(start)

    def __getattr__(self, name):
        return getattr(self._clients[next(self._turn) % len(self._clients)], name)


@pytest.fixture
def replicas(postgres_url, tmp_path):
    """Three replicas started at the same moment (migrations and first-start writes race)."""
    servers = [LiveServer(tmp_path / f"replica{i}", database_url=postgres_url,
                          extra_env={"FARMSTEAD_DB_POOL_SIZE": "4", "FARMSTEAD_DB_MAX_OVERFLOW": "8"})
               for i in range(REPLICAS)]
    for server in servers:
        server.data_dir.mkdir()
    try:
        with ThreadPoolExecutor(REPLICAS) as pool:
            list(pool.map(lambda s: s.start(timeout=60), servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# ~2.5 minutes alone on 2 cores (5,000 heartbeats on PostgreSQL); more under a loaded `make test -n 2`.
@pytest.mark.timeout(600)
def test_three_replicas_run_every_task_of_a_5000_task_job_exactly_once(replicas, postgres_url):
    clients = [replica_client(server) for server in replicas]
    admin = clients[0]
    farm_id = admin.create_farm(displayName="scale-out")["farmId"]
    queue_id = admin.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = admin.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                  maxWorkerCount=WORKERS, configuration=LINUX_FLEET)["fleetId"]
    admin.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    ids = {"farmId": farm_id, "queueId": queue_id}

    # The same clientToken on two replicas: one job, the second answer is the first one's.
    job_id = clients[1].create_job(**ids, priority=50, templateType="JSON", template=TEMPLATE,
                                   clientToken="scale-out-once")["jobId"]
    assert clients[2].create_job(**ids, priority=50, templateType="JSON", template=TEMPLATE,
                                 clientToken="scale-out-once")["jobId"] == job_id
    job = wait_for(lambda: (j := clients[0].get_job(**ids, jobId=job_id))["lifecycleStatus"] == "CREATE_COMPLETE"
                   and j, 60, "the job's tasks to be materialized")
    assert job["taskRunStatusCounts"]["READY"] == TASKS

    ran: list[str] = []
    ran_lock = threading.Lock()

    def record(action):
        with ran_lock:
            ran.append(action["definition"]["taskRun"]["taskId"])
        return "SUCCEEDED"

    def work(index: int) -> int:
        worker = ScriptedWorker(RoundRobin(clients, index), farm_id, fleet_id)
        return worker.run(outcome=record, max_polls=3 * TASKS // WORKERS + 100)

    with ThreadPoolExecutor(WORKERS) as pool:
        polls = list(pool.map(work, range(WORKERS)))

    # Every task ran once, as the workers saw it ...
    assert len(ran) == TASKS and len(set(ran)) == TASKS
    assert sum(polls) >= TASKS
    # ... and as the store recorded it: one taskRun action per task, and it SUCCEEDED.
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        actions = conn.execute(sa.text(
            "SELECT task_id, status, session_id FROM session_actions WHERE job_id = :job AND kind = 'taskRun'"),
            {"job": job_id}).all()
        task_statuses = dict(conn.execute(sa.text(
            "SELECT run_status, count(*) FROM tasks WHERE job_id = :job GROUP BY run_status"), {"job": job_id}).all())
        sessions_used = conn.execute(sa.text(
            "SELECT count(*) FROM sessions WHERE job_id = :job"), {"job": job_id}).scalar()
        sweeper = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'lease:sweeper'")).scalar()
    engine.dispose()
    per_task = Counter(task_id for task_id, _, _ in actions)
    assert len(per_task) == TASKS and set(per_task.values()) == {1}
    assert {status for _, status, _ in actions} == {"SUCCEEDED"}
    assert task_statuses == {"SUCCEEDED": TASKS}
    assert sessions_used >= 2  # the work really was spread

    # Counters kept by the job and step rows equal the tasks' statuses.
    expected = {status: (TASKS if status == "SUCCEEDED" else 0) for status in STATUSES}
    job = clients[2].get_job(**ids, jobId=job_id)
    assert job["taskRunStatus"] == "SUCCEEDED" and job["lifecycleStatus"] == "CREATE_COMPLETE"
    assert {s: job["taskRunStatusCounts"].get(s, 0) for s in STATUSES} == expected
    (step,) = clients[1].list_steps(**ids, jobId=job_id)["steps"]
    assert step["taskRunStatus"] == "SUCCEEDED"
    assert {s: step["taskRunStatusCounts"].get(s, 0) for s in STATUSES} == expected

    # A nextToken minted by one replica is good on the next (the signing key is in the database).
    listed, token, turn = [], None, itertools.count()
    while True:
        page = clients[next(turn) % REPLICAS].list_tasks(
            **ids, jobId=job_id, stepId=step["stepId"], maxResults=100, **({"nextToken": token} if token else {}))
        listed += page["tasks"]
        token = page.get("nextToken")
        if not token:
            break
    assert len({t["taskId"] for t in listed}) == TASKS
    assert {t["runStatus"] for t in listed} == {"SUCCEEDED"}

    # One replica holds the sweeper lease; the others leave liveness to it.
    assert sweeper is not None
    holder_pid = int(sweeper.split("|", 1)[1].split(":")[1])
    assert holder_pid in {server.process.pid for server in replicas}
