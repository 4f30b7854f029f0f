"""Held schedule calls (docs/protocol.md): an idle worker's UpdateWorkerSchedule waits on the server
for work or a change of its own row, answers afresh the moment one comes, and never waits past its
bound. On a real server of its own with a long interval, so only the hold can explain a quick answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.worker.schedule import ask_to_be_held
from support.worker_jobs import served_queue, submit, task_runs

HOLD_SECONDS = 4
INTERVAL_SECONDS = 10
#: Long enough for a call to reach the server and be held before the test acts.
SETTLE_SECONDS = 0.5


@pytest.fixture(scope="module")
def holding_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("holding")
    with LiveServer(data_dir, embedded_only=True, extra_env={
            "FARMSTEAD_SCHEDULE_HOLD_SECONDS": str(HOLD_SECONDS),
            "FARMSTEAD_UPDATE_INTERVAL_SECONDS": str(INTERVAL_SECONDS)}) as server:
        yield server


@pytest.fixture
def client(holding_server):
    """Its UpdateWorkerSchedule calls say `Prefer: wait`, as Farmstead's worker's do."""
    client = holding_server.client()
    ask_to_be_held(client)
    return client


@pytest.fixture
def farm(client) -> dict:
    return served_queue(client, client.create_farm(displayName="held")["farmId"])


def poll_in_background(worker: ScriptedWorker) -> Future:
    """The worker's next UpdateWorkerSchedule, made on a thread: the future has (answer, monotonic time)."""
    answered: Future = Future()

    def call() -> None:
        try:
            response = worker.poll()
            answered.set_result((response, time.monotonic()))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            answered.set_exception(error)

    threading.Thread(target=call, daemon=True).start()
    time.sleep(SETTLE_SECONDS)
    return answered


def test_a_held_idle_worker_gets_a_new_job_within_half_a_second_of_create_job(client, farm):
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    answered = poll_in_background(worker)
    assert not answered.done(), "the idle worker's call was answered at once instead of held"
    created_at = time.monotonic()
    submit(client, farm, "1-1")
    response, answered_at = answered.result(timeout=HOLD_SECONDS + 5)
    assert task_runs(response), "the held call came back without the new job's task"
    assert answered_at - created_at < 0.5
    assert response["updateIntervalSeconds"] == INTERVAL_SECONDS  # the interval the agent is told is unchanged


def test_the_workers_own_stopping_releases_its_held_call_with_stopped(client, farm):
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    answered = poll_in_background(worker)
    changed_at = time.monotonic()
    client.update_worker(**worker.ids, status="STOPPING")
    response, answered_at = answered.result(timeout=HOLD_SECONDS + 5)
    assert response.get("desiredWorkerStatus") == "STOPPED"
    assert answered_at - changed_at < 0.5


def test_a_held_call_answers_empty_at_its_bound_and_counts_as_a_heartbeat(client, farm):
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    started = time.monotonic()
    response = worker.poll()
    held = time.monotonic() - started
    assert HOLD_SECONDS - 0.5 <= held < HOLD_SECONDS + 2
    assert response["assignedSessions"] == {} and "desiredWorkerStatus" not in response
    seen = client.get_worker(**worker.ids)
    assert seen["status"] == "IDLE"


def test_a_call_that_brings_work_is_answered_at_once(client, farm):
    submit(client, farm, "1-1")
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    started = time.monotonic()
    assert task_runs(worker.poll())
    assert time.monotonic() - started < 1.0


def test_a_call_that_does_not_ask_to_wait_is_answered_at_once(holding_server, farm):
    """The official worker agent sends no `Prefer: wait`: its idle calls are answered as they always were."""
    worker = ScriptedWorker(holding_server.client(), farm["farmId"], farm["fleetId"])
    started = time.monotonic()
    assert worker.poll()["assignedSessions"] == {}
    assert time.monotonic() - started < 1.0


def test_stopping_the_server_answers_a_held_call_at_once(tmp_path):
    with LiveServer(tmp_path, embedded_only=True, extra_env={
            "FARMSTEAD_SCHEDULE_HOLD_SECONDS": str(HOLD_SECONDS)}) as server:
        client = server.client()
        ask_to_be_held(client)
        farm = served_queue(client, client.create_farm(displayName="shutdown")["farmId"])
        worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
        answered = poll_in_background(worker)
        assert not answered.done(), "the idle worker's call was answered at once instead of held"
        stopping_at = time.monotonic()
        server.stop()
        response, answered_at = answered.result(timeout=HOLD_SECONDS + 5)
        assert response["assignedSessions"] == {}
        assert answered_at - stopping_at < 1.0
