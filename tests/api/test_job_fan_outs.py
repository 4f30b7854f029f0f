"""Bulk task changes over more tasks than one request should write are applied after the request
answers, in bounded batches, in order per job, with the job's status truthful meanwhile.

The server here queues any change over 20 tasks and applies 10 tasks per batch with a 0.3 s rest,
so a 60-task job shows the change on its way (the default is 5,000 and 5,000 with no rest:
bench/fan_outs.py measures a million).
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker, now
from farmstead.testing.waiting import wait_until
from support.worker_jobs import served_queue, submit, task_runs

TASKS = 60


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("fan-out-server"), extra_env={
        "FARMSTEAD_FAN_OUT_INLINE_TASKS": "20", "FARMSTEAD_FAN_OUT_BATCH_TASKS": "10",
        "FARMSTEAD_FAN_OUT_PAUSE_SECONDS": "0.3"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live):
    return live.client()


@pytest.fixture
def farm(client):
    farm_id = client.create_farm(displayName="fan-outs")["farmId"]
    return served_queue(client, farm_id)


def new_job(client, farm, frames: str = f"1-{TASKS}", **kwargs) -> dict:
    job_id = submit(client, farm, frames, **kwargs)
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    wait_until(lambda: client.get_job(**ids)["lifecycleStatus"] == "CREATE_COMPLETE", 20, "the job to be created")
    return ids


def tasks_by_status(client, ids: dict, step_id: str | None = None) -> Counter:
    found: Counter = Counter()
    for step in client.list_steps(**ids)["steps"]:
        if step_id is None or step["stepId"] == step_id:
            for page in client.get_paginator("list_tasks").paginate(**ids, stepId=step["stepId"]):
                found.update(task["runStatus"] for task in page["tasks"])
    return found


def nonzero(counts: dict) -> Counter:
    return Counter({status: n for status, n in counts.items() if n})


def settled(client, ids: dict, timeout: float = 30) -> dict:
    return wait_until(lambda: (job := client.get_job(**ids))["lifecycleStatus"] != "UPDATE_IN_PROGRESS" and job,
                      timeout, "the queued change to be applied")


def test_canceling_a_job_over_the_limit_answers_at_once_and_cancels_in_batches(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    job = client.get_job(**ids)
    # Right after: the change is on its way, and the counts are the tasks as they are.
    assert job["lifecycleStatus"] == "UPDATE_IN_PROGRESS" and job["targetTaskRunStatus"] == "CANCELED"
    assert sum(job["taskRunStatusCounts"].values()) == TASKS
    assert job["taskRunStatusCounts"]["CANCELED"] < TASKS
    seen_between = set()
    while (job := client.get_job(**ids))["lifecycleStatus"] == "UPDATE_IN_PROGRESS":
        counts = nonzero(job["taskRunStatusCounts"])
        assert sum(counts.values()) == TASKS
        seen_between.add(counts["CANCELED"])
        time.sleep(0.05)
    assert any(0 < canceled < TASKS for canceled in seen_between), seen_between  # batch by batch
    assert job["lifecycleStatus"] == "UPDATE_SUCCEEDED"
    assert job["taskRunStatus"] == "CANCELED" and nonzero(job["taskRunStatusCounts"]) == {"CANCELED": TASKS}
    assert tasks_by_status(client, ids) == {"CANCELED": TASKS}
    (step,) = client.list_steps(**ids)["steps"]
    assert step["lifecycleStatus"] == "UPDATE_SUCCEEDED" and step["targetTaskRunStatus"] == "CANCELED"


def test_the_counts_always_match_the_tasks_while_a_change_is_applied(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="SUSPENDED")
    checks = 0
    while True:
        before = client.get_job(**ids)
        listed = tasks_by_status(client, ids)
        after = client.get_job(**ids)
        # Between two identical answers nothing moved: the listed tasks must agree with them.
        if before["taskRunStatusCounts"] == after["taskRunStatusCounts"]:
            assert listed == nonzero(after["taskRunStatusCounts"])
            checks += 1
        if after["lifecycleStatus"] != "UPDATE_IN_PROGRESS":
            break
    assert checks >= 2
    assert tasks_by_status(client, ids) == {"SUSPENDED": TASKS}


def test_a_worker_gets_no_task_of_a_job_while_its_cancel_is_applied(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    while client.get_job(**ids)["lifecycleStatus"] == "UPDATE_IN_PROGRESS":
        assert worker.poll()["assignedSessions"] == {}
        time.sleep(0.1)
    assert worker.poll()["assignedSessions"] == {}


def test_a_requeue_after_a_cancel_ends_requeued(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    client.update_job(**ids, targetTaskRunStatus="READY")  # while the cancel is being applied
    job = settled(client, ids)
    assert job["targetTaskRunStatus"] == "READY" and job["lifecycleStatus"] == "UPDATE_SUCCEEDED"
    assert job["taskRunStatus"] == "READY" and tasks_by_status(client, ids) == {"READY": TASKS}


def test_a_cancel_after_a_requeue_ends_canceled(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="SUSPENDED")
    settled(client, ids)
    client.update_job(**ids, targetTaskRunStatus="READY")
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    job = settled(client, ids)
    assert job["targetTaskRunStatus"] == "CANCELED" and tasks_by_status(client, ids) == {"CANCELED": TASKS}


def test_a_job_small_enough_is_updated_in_the_request(client, farm):
    ids = new_job(client, farm, "1-20")
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    job = client.get_job(**ids)
    assert job["lifecycleStatus"] == "UPDATE_SUCCEEDED" and job["taskRunStatus"] == "CANCELED"


def test_updating_a_step_over_the_limit_is_applied_in_batches(client, farm):
    ids = new_job(client, farm)
    (step,) = client.list_steps(**ids)["steps"]
    client.update_step(**ids, stepId=step["stepId"], targetTaskRunStatus="SUSPENDED")
    during = client.get_step(**ids, stepId=step["stepId"])
    assert during["lifecycleStatus"] == "UPDATE_IN_PROGRESS" and during["targetTaskRunStatus"] == "SUSPENDED"
    assert during["taskRunStatusCounts"]["SUSPENDED"] < TASKS
    wait_until(lambda: client.get_step(**ids, stepId=step["stepId"])["lifecycleStatus"] == "UPDATE_SUCCEEDED", 30,
               "the step's change to be applied")
    assert tasks_by_status(client, ids) == {"SUSPENDED": TASKS}
    assert client.get_job(**ids)["taskRunStatus"] == "SUSPENDED"


def test_updating_one_task_while_its_job_changes_is_a_concurrent_modification(client, farm):
    ids = new_job(client, farm)
    (step,) = client.list_steps(**ids)["steps"]
    task_id = client.list_tasks(**ids, stepId=step["stepId"])["tasks"][-1]["taskId"]
    client.update_job(**ids, targetTaskRunStatus="CANCELED")
    with pytest.raises(ClientError) as caught:
        client.update_task(**ids, stepId=step["stepId"], taskId=task_id, targetRunStatus="READY")
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert caught.value.response["reason"] == "CONCURRENT_MODIFICATION"
    settled(client, ids)
    client.update_task(**ids, stepId=step["stepId"], taskId=task_id, targetRunStatus="READY")  # after: fine
    assert tasks_by_status(client, ids) == {"CANCELED": TASKS - 1, "READY": 1}


def test_archiving_with_a_queued_cancel_archives_once_it_is_applied(client, farm):
    ids = new_job(client, farm)
    client.update_job(**ids, targetTaskRunStatus="CANCELED", lifecycleStatus="ARCHIVED")
    assert client.get_job(**ids)["lifecycleStatus"] == "UPDATE_IN_PROGRESS"
    with pytest.raises(ClientError) as caught:  # as good as archived: no change may queue behind it
        client.update_job(**ids, targetTaskRunStatus="READY")
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    job = settled(client, ids)
    assert job["lifecycleStatus"] == "ARCHIVED" and job["taskRunStatus"] == "CANCELED"


def test_archiving_with_a_queued_requeue_is_refused_at_once(client, farm):
    ids = new_job(client, farm)
    with pytest.raises(ClientError) as caught:
        client.update_job(**ids, targetTaskRunStatus="READY", lifecycleStatus="ARCHIVED")
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    assert client.get_job(**ids)["lifecycleStatus"] == "CREATE_COMPLETE"


def test_the_failure_limit_of_a_big_job_cancels_it_after_the_heartbeat(client, farm):
    ids = new_job(client, farm, maxFailedTasksCount=0, maxRetriesPerTask=0)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    first = task_runs(worker.poll())[0]
    worker.reports = {first["sessionActionId"]: {"startedAt": now(), "endedAt": now(),
                                                 "completedStatus": "FAILED", "processExitCode": 1}}
    started = time.monotonic()
    worker.poll()
    assert time.monotonic() - started < 2
    job = client.get_job(**ids)
    assert job["taskRunStatusCounts"]["FAILED"] == 1
    assert job["taskRunStatusCounts"]["CANCELED"] < TASKS - 1  # the cancel of the rest is on its way
    worker.run(outcome=lambda action: "CANCELED")
    job = wait_until(lambda: (job := client.get_job(**ids))["taskRunStatusCounts"]["CANCELED"] == TASKS - 1 and job,
                     30, "the failure limit to cancel the rest")
    assert job["taskRunStatus"] == "FAILED"
    assert tasks_by_status(client, ids) == {"FAILED": 1, "CANCELED": TASKS - 1}


def test_a_big_step_is_released_in_batches_when_its_dependency_succeeds(client, farm):
    job_id = client.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                               template=two_steps(TASKS))["jobId"]
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    wait_until(lambda: client.get_job(**ids)["lifecycleStatus"] == "CREATE_COMPLETE", 20, "the job to be created")
    first, second = client.list_steps(**ids)["steps"]
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    (action,) = task_runs(worker.poll())
    worker.reports = {action["sessionActionId"]: {"startedAt": now(), "endedAt": now(),
                                                  "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    worker.poll()
    released = client.get_step(**ids, stepId=second["stepId"])["taskRunStatusCounts"]
    assert released["PENDING"] > 0  # still on its way after the heartbeat
    wait_until(lambda: tasks_by_status(client, ids, second["stepId"]).keys() <= {"READY", "ASSIGNED"}, 30,
               "the dependent step to be released")
    assert client.get_job(**ids)["lifecycleStatus"] == "CREATE_COMPLETE"  # no user update was asked for


def two_steps(tasks: int) -> str:
    return json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "two", "steps": [
        {"name": "Prepare", "script": {"actions": {"onRun": {"command": "true"}}}},
        {"name": "Render", "dependencies": [{"dependsOn": "Prepare"}],
         "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": f"1-{tasks}"}]},
         "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}]})


def test_a_server_killed_while_applying_a_change_goes_on_where_it_stopped(tmp_path):
    server = LiveServer(tmp_path, extra_env={
        "FARMSTEAD_FAN_OUT_INLINE_TASKS": "20", "FARMSTEAD_FAN_OUT_BATCH_TASKS": "10",
        "FARMSTEAD_FAN_OUT_PAUSE_SECONDS": "0.3"}).start()
    try:
        client = server.client()
        farm = served_queue(client, client.create_farm(displayName="restart")["farmId"])
        ids = new_job(client, farm)
        client.update_job(**ids, targetTaskRunStatus="CANCELED")
        wait_until(lambda: 0 < client.get_job(**ids)["taskRunStatusCounts"]["CANCELED"] < TASKS, 10,
                   "the cancel to be part way")
        server.process.kill()  # no clean stop: the thread dies between two batches, or inside one
        server.process.wait()
        server.start()
        client = server.client()
        job = settled(client, ids)
        assert job["lifecycleStatus"] == "UPDATE_SUCCEEDED" and job["taskRunStatus"] == "CANCELED"
        assert nonzero(job["taskRunStatusCounts"]) == {"CANCELED": TASKS} == tasks_by_status(client, ids)
    finally:
        server.stop()
