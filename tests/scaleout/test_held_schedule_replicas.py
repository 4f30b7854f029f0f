"""Held schedule calls across replicas (docs/protocol.md): a job created through one replica wakes
an idle worker whose call another replica holds, through PostgreSQL's LISTEN/NOTIFY, and only as
many per replica as it has READY tasks."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.worker.schedule import ask_to_be_held
from support.scrapes import scrape
from support.worker_jobs import served_queue, submit, task_runs

HOLD_SECONDS = 5
INTERVAL_SECONDS = 10
#: Held workers on each replica for the herd test: releasing them all (2 × 6) stands well clear of
#: the 2 the count allows plus the replicas' own background writes (lease renewals, the sweep).
HELD_EACH = 6
WRITES = "farmstead_store_transaction_duration_seconds_count"


@pytest.fixture
def two_replicas(postgres_url, tmp_path):
    servers = [LiveServer(tmp_path / f"replica{i}", database_url=postgres_url, extra_env={
        "FARMSTEAD_SCHEDULE_HOLD_SECONDS": str(HOLD_SECONDS),
        "FARMSTEAD_UPDATE_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
        "FARMSTEAD_DB_POOL_SIZE": "2", "FARMSTEAD_DB_MAX_OVERFLOW": "4"}) for i in range(2)]
    for server in servers:
        server.data_dir.mkdir()
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda s: s.start(timeout=60), servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_a_job_created_on_one_replica_releases_a_call_held_on_the_other(two_replicas):
    holding, creating = (server.client() for server in two_replicas)
    ask_to_be_held(holding)
    farm = served_queue(creating, creating.create_farm(displayName="two replicas")["farmId"])
    worker = ScriptedWorker(holding, farm["farmId"], farm["fleetId"])
    answered: Future = Future()

    def call() -> None:
        try:
            answered.set_result((worker.poll(), time.monotonic()))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            answered.set_exception(error)

    threading.Thread(target=call, daemon=True).start()
    time.sleep(0.5)
    assert not answered.done(), "the idle worker's call was answered at once instead of held"
    created_at = time.monotonic()
    submit(creating, farm, "1-1")
    response, answered_at = answered.result(timeout=HOLD_SECONDS + 5)
    assert task_runs(response), "the held call came back without the new job's task"
    assert answered_at - created_at < 0.5


def test_a_one_task_job_releases_at_most_one_held_worker_per_replica(two_replicas):
    """The NOTIFY carries the count: each replica releases up to that many of its own held calls."""
    clients = [server.client() for server in two_replicas]
    for client in clients:
        ask_to_be_held(client)
    creating = clients[1]

    def writes() -> float:
        return sum(scrape(server.endpoint).value(WRITES, kind="write") for server in two_replicas)

    control = served_queue(creating, creating.create_farm(displayName="nobody held")["farmId"])
    before = writes()
    job_id = submit(creating, control, "1-1")
    while creating.get_job(farmId=control["farmId"], queueId=control["queueId"],
                           jobId=job_id)["taskRunStatus"] != "READY":
        time.sleep(0.05)
    time.sleep(1.0)
    job_cost = writes() - before
    farm = served_queue(creating, creating.create_farm(displayName="herd")["farmId"])
    held = [ScriptedWorker(client, farm["farmId"], farm["fleetId"]) for client in clients for _ in range(HELD_EACH)]
    futures: list[Future] = []
    for worker in held:
        futures.append(answered := Future())
        threading.Thread(target=_poll_into, args=(worker, answered), daemon=True).start()
    time.sleep(1.0)
    assert not any(future.done() for future in futures), "an idle worker's call was answered at once"
    before = writes()
    submit(creating, farm, "1-1")
    time.sleep(1.0)
    released = writes() - before - job_cost
    answered = [future for future in futures if future.done()]
    assert len(answered) == 1 and task_runs(answered[0].result()), "one worker answered, with the task"
    assert released <= HELD_EACH, f"{released:g} schedule calls re-run across two replicas for one task: the herd"
    for future in futures:
        future.result(timeout=HOLD_SECONDS + 5)


def _poll_into(worker: ScriptedWorker, answered: Future) -> None:
    try:
        answered.set_result(worker.poll())
    except BaseException as error:  # noqa: BLE001 - handed to the test
        answered.set_exception(error)
