"""Tasks queued ahead in a session: a worker goes from one task to the next without a round trip,
while a few tasks still spread over idle workers and limits are never held by a waiting task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from farmstead.testing.scripted_worker import ScriptedWorker, now
from support.worker_jobs import served_queue, submit, task_runs


@pytest.fixture
def farm(deadline, farm_id):
    return served_queue(deadline, farm_id)


def counts(deadline, farm, job_id) -> dict:
    return deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)["taskRunStatusCounts"]


def start_first(worker) -> dict:
    """Poll for a session and report its first task running; returns the next answer."""
    (first,) = task_runs(worker.poll())
    worker.reports = {first["sessionActionId"]: {"startedAt": now()}}
    return worker.poll()


def test_a_running_task_gets_the_next_one_queued_behind_it_when_tasks_outnumber_workers(deadline, farm):
    job_id = submit(deadline, farm, "1-5")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    listed = task_runs(start_first(worker))
    assert [a["definition"]["taskRun"]["parameters"]["Frame"]["int"] for a in listed] == ["1", "2"]
    now_counts = counts(deadline, farm, job_id)
    assert (now_counts["RUNNING"], now_counts["ASSIGNED"], now_counts["READY"]) == (1, 1, 3)


def test_as_many_workers_as_tasks_each_get_one_and_none_is_queued_ahead(deadline, farm):
    job_id = submit(deadline, farm, "1-3")
    workers = [ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]) for _ in range(3)]
    held = [task_runs(start_first(worker)) for worker in workers]
    assert [len(runs) for runs in held] == [1, 1, 1]
    assert counts(deadline, farm, job_id)["RUNNING"] == 3


def test_short_tasks_are_queued_about_two_seconds_deep(deadline, farm):
    submit(deadline, farm, "1-40")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    (first,) = task_runs(worker.poll())
    started = now()
    worker.reports = {first["sessionActionId"]: {"startedAt": started, "endedAt": started + timedelta(seconds=0.2),
                                                 "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    assert len(task_runs(worker.poll())) == 10  # 2 s of 0.2 s tasks


def test_slow_tasks_keep_only_one_queued_ahead(deadline, farm):
    submit(deadline, farm, "1-40")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    (first,) = task_runs(worker.poll())
    started = now() - timedelta(seconds=30)
    worker.reports = {first["sessionActionId"]: {"startedAt": started, "endedAt": now(),
                                                 "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    assert len(task_runs(worker.poll())) == 2


def test_a_failed_task_gives_back_the_one_queued_behind_it_without_spending_a_retry(deadline, farm):
    job_id = submit(deadline, farm, "1-5")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = task_runs(start_first(worker))
    worker.reports = {running["sessionActionId"]: {"startedAt": now(), "endedAt": now(), "completedStatus": "FAILED",
                                                   "processExitCode": 1},
                      queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    worker.poll()
    key = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id,
           "stepId": queued["definition"]["taskRun"]["stepId"]}
    task = deadline.get_task(**key, taskId=queued["definition"]["taskRun"]["taskId"])
    # Back without a retry spent; the same heartbeat may have handed it out again already: a worker
    # takes the next task rather than the one it just failed (docs/self-managing.md).
    assert task["runStatus"] in ("READY", "ASSIGNED") and task.get("failureRetryCount", 0) == 0


def test_a_step_that_takes_a_limit_never_queues_a_task_ahead(deadline, farm):
    limit_id = deadline.create_limit(farmId=farm["farmId"], displayName="nuke", amountRequirementName="amount.nuke",
                                     maxCount=5)["limitId"]
    deadline.create_queue_limit_association(farmId=farm["farmId"], queueId=farm["queueId"], limitId=limit_id)
    submit(deadline, farm, "1-10", amounts=[{"name": "amount.nuke", "min": 1}])
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assert len(task_runs(start_first(worker))) == 1
    assert deadline.get_limit(farmId=farm["farmId"], limitId=limit_id)["currentCount"] == 1



def test_cancelling_one_queued_task_keeps_the_session_taking_tasks(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = task_runs(start_first(worker))
    key = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id,
           "stepId": queued["definition"]["taskRun"]["stepId"]}
    deadline.update_task(**key, taskId=queued["definition"]["taskRun"]["taskId"], targetRunStatus="CANCELED")
    for _ in range(3):  # the dropped task is settled a heartbeat later
        worker.poll()
    worker.reports = {running["sessionActionId"]: {"startedAt": now(), "endedAt": now(),
                                                   "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    response = worker.poll()
    (session,) = response["assignedSessions"].values()
    assert [a for a in session["sessionActions"] if "envExit" in a["definition"]] == []
    assert task_runs(response), "the session goes on with the next READY task"
