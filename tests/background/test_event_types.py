"""Deadline Cloud's lifecycle and per-task detail-types reach a real webhook receiver (docs/events.md):
a job's lifecycle from submission to ARCHIVED, a step's update in progress and done, and every task's
run status moves in an unbroken chain; per-task events are written only while some subscription
wants them; a fleet's size falling outside the size recommended for it is said once per change."""

from __future__ import annotations

import sqlite3
import time

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.webhook_receiver import WebhookReceiver
from support.worker_jobs import ROLE, finish_frames, served_queue, submit

SECRET = "a shared secret"
JOB_LIFECYCLE = "Job Lifecycle Status Change"
STEP_LIFECYCLE = "Step Lifecycle Status Change"
TASK_RUN = "Task Run Status Change"
FLEET_SIZE = "Fleet Size Recommendation Change"


@pytest.fixture
def server(tmp_path):
    # Any bulk task change over more than one task is queued: a step's update is then in progress
    # until the background applies it (Step Lifecycle Status Change).
    with LiveServer(tmp_path, extra_env={"FARMSTEAD_FAN_OUT_INLINE_TASKS": "1"}) as live:
        yield live


def _subscribe(server: LiveServer, farm_id: str, url: str, *types: str) -> str:
    detail_types = [arg for t in types for arg in ("--detail-type", t)]
    return server.cli("events", "subscribe", "--farm-id", farm_id, "--url", url, "--secret", SECRET,
                      *detail_types).split()[0]


def _auto_scaling_fleet(deadline, farm_id: str) -> str:
    """A Linux fleet of 0-10 workers in EVENT_BASED_AUTO_SCALING mode: the only kind recommended a size."""
    scaling = {"customerManaged": {**LINUX_FLEET["customerManaged"], "mode": "EVENT_BASED_AUTO_SCALING"}}
    return deadline.create_fleet(farmId=farm_id, displayName="auto", roleArn=ROLE, minWorkerCount=0,
                                 maxWorkerCount=10, configuration=scaling)["fleetId"]


def _first_deliveries(events: list[dict]) -> list[dict]:
    seen: set[str] = set()
    kept = []
    for event in events:
        if event["id"] not in seen:
            seen.add(event["id"])
            kept.append(event)
    return kept


def test_lifecycle_and_task_events_arrive_with_deadline_clouds_detail_fields(server):
    receiver = WebhookReceiver(SECRET).start()
    try:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="lifecycles")["farmId"])
        ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
        _subscribe(server, farm["farmId"], receiver.url, JOB_LIFECYCLE, STEP_LIFECYCLE, TASK_RUN)
        job_id = submit(deadline, farm, "1-2")
        # The server's delivery thread has seen the subscription once it delivers to it (it keeps the
        # dispatch path's "are per-task events wanted" answer); the tasks move only after that.
        wait_until(lambda: receiver.received(JOB_LIFECYCLE), 30, "the job's first event")
        wait_until(lambda: deadline.get_job(**ids, jobId=job_id)["taskRunStatus"] == "READY", 30, "the job READY")
        step_id = deadline.list_steps(**ids, jobId=job_id)["steps"][0]["stepId"]
        for target in ("SUSPENDED", "READY"):  # two tasks: each update queued, then applied
            deadline.update_step(**ids, jobId=job_id, stepId=step_id, targetTaskRunStatus=target)
            wait_until(lambda target=target: deadline.get_step(**ids, jobId=job_id, stepId=step_id)
                       ["taskRunStatus"] == target, 30, f"the step {target}")
        finish_frames(deadline, farm)
        wait_until(lambda: deadline.get_job(**ids, jobId=job_id)["taskRunStatus"] == "SUCCEEDED", 30, "the job done")
        deadline.update_job(**ids, jobId=job_id, lifecycleStatus="ARCHIVED")
        wait_until(lambda: any(e["detail"].get("lifecycleStatus") == "ARCHIVED"
                               for e in receiver.received(JOB_LIFECYCLE)), 30, "the ARCHIVED event")
    finally:
        receiver.stop()

    jobs = _first_deliveries(receiver.received(JOB_LIFECYCLE))
    assert jobs[0]["detail"] == {**ids, "jobId": job_id, "lifecycleStatus": "CREATE_IN_PROGRESS"}  # no previous
    assert [(e["detail"]["previousLifecycleStatus"], e["detail"]["lifecycleStatus"]) for e in jobs[1:]] == \
        [("CREATE_IN_PROGRESS", "CREATE_COMPLETE"), ("CREATE_COMPLETE", "ARCHIVED")]

    steps = _first_deliveries(receiver.received(STEP_LIFECYCLE))
    assert set(steps[0]["detail"]) == {"farmId", "queueId", "jobId", "stepId", "previousLifecycleStatus",
                                       "lifecycleStatus"}
    assert {e["detail"]["stepId"] for e in steps} == {step_id}
    assert [(e["detail"]["previousLifecycleStatus"], e["detail"]["lifecycleStatus"]) for e in steps] == \
        [("CREATE_COMPLETE", "UPDATE_IN_PROGRESS"), ("UPDATE_IN_PROGRESS", "UPDATE_SUCCEEDED"),
         ("UPDATE_SUCCEEDED", "UPDATE_IN_PROGRESS"), ("UPDATE_IN_PROGRESS", "UPDATE_SUCCEEDED")]

    tasks = _first_deliveries(receiver.received(TASK_RUN))
    assert set(tasks[0]["detail"]) == {"farmId", "queueId", "jobId", "stepId", "taskId", "previousRunStatus",
                                       "runStatus"}
    by_task: dict[str, list[tuple[str, str]]] = {}
    for event in tasks:
        by_task.setdefault(event["detail"]["taskId"], []).append(
            (event["detail"]["previousRunStatus"], event["detail"]["runStatus"]))
    assert len(by_task) == 2
    for chain in by_task.values():
        assert chain[:3] == [("READY", "SUSPENDED"), ("SUSPENDED", "READY"), ("READY", "ASSIGNED")], chain
        for (_, before), (previous, _) in zip(chain, chain[1:], strict=False):
            assert previous == before, chain
        assert chain[-1][1] == "SUCCEEDED", chain


def test_no_task_event_is_written_while_no_subscription_wants_them(tmp_path):
    receiver = WebhookReceiver(SECRET).start()
    try:
        with LiveServer(tmp_path, embedded_only=True) as server:
            deadline = server.client()
            farm = served_queue(deadline, deadline.create_farm(displayName="no task events")["farmId"])
            _subscribe(server, farm["farmId"], receiver.url, "Job Run Status Change")
            job_id = submit(deadline, farm, "1-3")
            wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                       ["taskRunStatus"] == "READY", 30, "the job READY")
            finish_frames(deadline, farm)
            wait_until(lambda: any(e["detail"]["taskRunStatus"] == "SUCCEEDED" for e in receiver.received()),
                       30, "the job's end")
            with sqlite3.connect(server.data_dir / "farmstead.db") as db:
                written = {row[0] for row in db.execute("SELECT DISTINCT detail_type FROM event_outbox")}
    finally:
        receiver.stop()
    assert TASK_RUN not in written
    assert {"Job Run Status Change", JOB_LIFECYCLE} <= written


def test_a_fleet_whose_size_falls_outside_its_recommendation_says_so(tmp_path):
    receiver = WebhookReceiver(SECRET).start()
    try:
        with LiveServer(tmp_path) as server:
            deadline = server.client()
            farm_id = deadline.create_farm(displayName="fleet sizes")["farmId"]
            _subscribe(server, farm_id, receiver.url, FLEET_SIZE)
            fleet_id = _auto_scaling_fleet(deadline, farm_id)
            deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, minWorkerCount=2)  # 0 workers, 2 wanted
            ScriptedWorker(deadline, farm_id, fleet_id)  # 1 of 2
            ScriptedWorker(deadline, farm_id, fleet_id)  # as recommended: nothing to say
            deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, minWorkerCount=0, maxWorkerCount=1)  # 2 of 1
            wait_until(lambda: len(receiver.received(FLEET_SIZE)) >= 3, 30, "three recommendations")
            # A fleet that does not auto-scale is recommended nothing.
            fixed = deadline.create_fleet(farmId=farm_id, displayName="fixed", roleArn=ROLE, minWorkerCount=3,
                                          maxWorkerCount=10, configuration=LINUX_FLEET)["fleetId"]
            ScriptedWorker(deadline, farm_id, fixed)
            deadline.update_fleet(farmId=farm_id, fleetId=fixed, minWorkerCount=4)
            deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, minWorkerCount=1)  # 2 of 1 still: said
            deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, maxWorkerCount=10)  # 2 of 2: nothing
            ScriptedWorker(deadline, farm_id, fleet_id)  # 3 of 3
            deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, maxWorkerCount=2)  # 3 of 2: the last
            wait_until(lambda: len(receiver.received(FLEET_SIZE)) >= 4, 30, "the last recommendation")
    finally:
        receiver.stop()
    sizes = [(e["detail"]["fleetId"], e["detail"]["oldFleetSize"], e["detail"]["newFleetSize"])
             for e in _first_deliveries(receiver.received(FLEET_SIZE))]
    assert sizes == [(fleet_id, 0, 2), (fleet_id, 1, 2), (fleet_id, 2, 1), (fleet_id, 3, 2)]
    assert set(receiver.received(FLEET_SIZE)[0]["detail"]) == {"farmId", "fleetId", "oldFleetSize", "newFleetSize"}
    assert receiver.received(FLEET_SIZE)[0]["detail"]["farmId"] == farm_id


def test_a_fleets_recommendation_moved_by_its_queue_is_said_once_per_change(tmp_path):
    # Nothing about the fleet itself changes: tasks become READY, a worker runs them, the queue drains
    # and the worker's idle delay (2 s here) runs out. The sweeper's pass looks every few seconds.
    receiver = WebhookReceiver(SECRET).start()
    try:
        with LiveServer(tmp_path, extra_env={"FARMSTEAD_SCALING_IDLE_SECONDS": "2"}) as server:
            deadline = server.client()
            farm_id = deadline.create_farm(displayName="fleet demand")["farmId"]
            _subscribe(server, farm_id, receiver.url, FLEET_SIZE)
            fleet_id = _auto_scaling_fleet(deadline, farm_id)
            queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
            deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
            farm = {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
            submit(deadline, farm, "1-3")
            wait_until(lambda: receiver.received(FLEET_SIZE), 30, "the recommendation for three READY tasks")
            finish_frames(deadline, farm)  # a worker joins and runs them
            wait_until(lambda: any(e["detail"]["newFleetSize"] == 0 for e in receiver.received(FLEET_SIZE)), 30,
                       "the recommendation once the worker has been idle for its delay")
            fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
            assert (fleet["workerCount"], fleet["targetWorkerCount"]) == (1, 0)
            # More passes of the sweeper see the same recommendation: nothing more is said.
            seen = len(receiver.received(FLEET_SIZE))
            time.sleep(12)  # two passes of the sweeper (every 5 s)
            assert len(receiver.received(FLEET_SIZE)) == seen
    finally:
        receiver.stop()
    sizes = [(e["detail"]["oldFleetSize"], e["detail"]["newFleetSize"])
             for e in _first_deliveries(receiver.received(FLEET_SIZE))]
    assert sizes[0] == (0, 3)  # said by the sweeper: no worker or fleet change happened
    assert sizes[-1] == (1, 0)
    assert all(before != after for before, after in zip(sizes, sizes[1:], strict=False))  # once per change
    assert {e["detail"]["fleetId"] for e in receiver.received(FLEET_SIZE)} == {fleet_id}
