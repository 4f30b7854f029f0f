"""Held schedule calls across replicas (docs/protocol.md): a job created through one replica wakes
an idle worker whose call another replica holds, through PostgreSQL's LISTEN/NOTIFY."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.worker.schedule import ask_to_be_held
from support.worker_jobs import served_queue, submit, task_runs

HOLD_SECONDS = 5
INTERVAL_SECONDS = 10


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
