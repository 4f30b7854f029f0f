"""Held schedule calls without the herd (docs/protocol.md): new work releases as many held idle
workers as it has READY tasks, the others stay held. Every release re-runs the schedule handler (one
write transaction), so the server's count of write transactions shows how many were released, though
a released worker that got nothing waits again and its client sees no answer."""

from __future__ import annotations

import copy
import json
import threading
import time
from concurrent.futures import Future

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET, ScriptedWorker
from farmstead.worker.schedule import ask_to_be_held
from support.scrapes import scrape
from support.worker_jobs import ROLE, frames_template, served_queue, submit, task_runs

HELD = 8
HOLD_SECONDS = 6
INTERVAL_SECONDS = 10
SETTLE_SECONDS = 1.0
#: How often the sweeper passes (background/sweeper.py: a quarter of the worker timeout, at most 5 s).
SWEEPER_SECONDS = 5.0
WRITES = "farmstead_store_transaction_duration_seconds_count"


@pytest.fixture(scope="module")
def holding_server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("herd"), embedded_only=True, extra_env={
            "FARMSTEAD_SCHEDULE_HOLD_SECONDS": str(HOLD_SECONDS),
            "FARMSTEAD_UPDATE_INTERVAL_SECONDS": str(INTERVAL_SECONDS)}) as server:
        yield server


def hold(workers: list[ScriptedWorker]) -> list[Future]:
    """Each worker's next UpdateWorkerSchedule on its own thread: futures of (answer, monotonic time)."""
    futures = []
    for worker in workers:
        answered: Future = Future()

        def call(worker=worker, answered=answered) -> None:
            try:
                answered.set_result((worker.poll(), time.monotonic()))
            except BaseException as error:  # noqa: BLE001 - handed to the test
                answered.set_exception(error)

        threading.Thread(target=call, daemon=True).start()
        futures.append(answered)
    time.sleep(SETTLE_SECONDS)
    assert not any(future.done() for future in futures), "an idle worker's call was answered at once"
    return futures


def writes(server: LiveServer) -> float:
    return scrape(server.endpoint).value(WRITES, kind="write")


def just_after_a_sweeper_pass(server: LiveServer) -> None:
    """Wait for the sweeper's next pass (a few write transactions every 5 s on an otherwise quiet
    server) to end, so that the next seconds' writes are the job's and the released calls' only: a pass
    landing inside a measured second would count as released workers (CI saw 4 "released" for 1)."""
    start, deadline = writes(server), time.monotonic() + 2 * SWEEPER_SECONDS
    while writes(server) == start and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the rest of the pass's transactions


def released_by_a_job(server: LiveServer, frames: str) -> tuple[list[Future], float]:
    """HELD held workers of a fresh fleet and a job of `frames`: their calls, and the write transactions
    the job caused beyond what the same job costs with nobody held (the released schedule calls)."""
    client = server.client()
    ask_to_be_held(client)
    control = served_queue(client, client.create_farm(displayName="nobody held")["farmId"])
    just_after_a_sweeper_pass(server)
    before = writes(server)
    job_id = submit(client, control, frames)
    ids = {"farmId": control["farmId"], "queueId": control["queueId"], "jobId": job_id}
    while client.get_job(**ids)["taskRunStatus"] != "READY":
        time.sleep(0.05)
    time.sleep(SETTLE_SECONDS)
    job_cost = writes(server) - before
    farm = served_queue(client, client.create_farm(displayName="held")["farmId"])
    workers = [ScriptedWorker(client, farm["farmId"], farm["fleetId"]) for _ in range(HELD)]
    just_after_a_sweeper_pass(server)  # before the hold: its calls are held only HOLD_SECONDS
    futures = hold(workers)
    before = writes(server)
    submit(client, farm, frames)
    time.sleep(SETTLE_SECONDS)
    return futures, writes(server) - before - job_cost


def test_a_one_task_job_releases_one_held_worker_and_the_others_stay_held_to_their_bound(holding_server):
    futures, released = released_by_a_job(holding_server, "1-1")
    answered = [future for future in futures if future.done()]
    assert len(answered) == 1 and task_runs(answered[0].result()[0]), "one worker answered, with the task"
    assert released <= 2, f"{released:g} schedule calls re-run for one task: the herd"
    for future in futures:
        response, _ = future.result(timeout=HOLD_SECONDS + 5)
        if future not in answered:
            assert response["assignedSessions"] == {}  # held to their bound, then answered idle


def test_a_three_task_job_releases_three_held_workers(holding_server):
    futures, released = released_by_a_job(holding_server, "1-3")
    with_work = [future for future in futures if future.done() and task_runs(future.result()[0])]
    assert sum(len(task_runs(future.result()[0])) for future in with_work) == 3
    # Counted from write transactions, so the bound leaves room for the server's own background writes
    # (the event outbox's and the audit log's came with later work); waking every held worker re-runs 8.
    assert len(with_work) == 3 and released <= 6, f"{released:g} schedule calls re-run for three tasks"
    for future in futures:
        future.result(timeout=HOLD_SECONDS + 5)


def test_a_task_the_first_released_workers_cannot_run_is_passed_on_to_a_held_worker_that_can(holding_server):
    """The count releases the longest-held calls first; those without the GPU the task requires hand
    the wake-up on until the worker that has one takes it, long before any hold ends."""
    client = holding_server.client()
    ask_to_be_held(client)
    farm_id = client.create_farm(displayName="some with a GPU")["farmId"]
    queue_id = client.create_queue(farmId=farm_id, displayName="q")["queueId"]
    configuration = copy.deepcopy(LINUX_FLEET)
    configuration["customerManaged"]["workerCapabilities"]["customAttributes"] = [
        {"name": "attr.custom.gpu", "values": ["yes", "no"]}]
    fleet_id = client.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                   configuration=configuration)["fleetId"]
    client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    without = hold([ScriptedWorker(client, farm_id, fleet_id) for _ in range(3)])
    gpu = {**CAPABILITIES, "attributes": [*CAPABILITIES["attributes"], {"name": "attr.custom.gpu", "values": ["yes"]}]}
    [with_gpu] = hold([ScriptedWorker(client, farm_id, fleet_id, capabilities=gpu)])
    template = json.loads(frames_template("1-1"))
    template["steps"][0]["hostRequirements"] = {"attributes": [{"name": "attr.custom.gpu", "anyOf": ["yes"]}]}
    created_at = time.monotonic()
    client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON", template=json.dumps(template))
    response, answered_at = with_gpu.result(timeout=HOLD_SECONDS + 5)
    assert task_runs(response), "the GPU worker's call came back without the task"
    assert answered_at - created_at < 1.0, "the task waited for the GPU worker's hold to end"
    assert not any(future.done() for future in without), "a worker without a GPU was answered with nothing"
    for future in without:
        assert future.result(timeout=HOLD_SECONDS + 5)[0]["assignedSessions"] == {}
