"""Drain, drain-and-stop, disable and enable (docs/self-managing.md), one worker or a whole fleet, put
on with `farmstead workers` and seen through UpdateWorkerSchedule as any agent sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit, task_runs


@pytest.fixture
def farm(deadline, farm_id) -> dict:
    return served_queue(deadline, farm_id)


def ran(seconds: float = 10.0, status: str = "SUCCEEDED") -> dict:
    ended = datetime.now(UTC)
    return {"startedAt": ended - timedelta(seconds=seconds), "endedAt": ended, "completedStatus": status,
            "processExitCode": 0 if status == "SUCCEEDED" else 1}


def running(worker: ScriptedWorker) -> dict:
    """The worker's first taskRun, reported started."""
    (action, *_) = task_runs(worker.poll())
    worker.reports = {action["sessionActionId"]: {"startedAt": datetime.now(UTC)}}
    worker.poll()
    return action


def task(deadline, farm, job_id, action) -> dict:
    run = action["definition"]["taskRun"]
    return deadline.get_task(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, stepId=run["stepId"],
                             taskId=run["taskId"])


def test_a_drained_worker_finishes_its_task_takes_nothing_new_and_works_again_once_enabled(server, deadline, farm):
    job_id = submit(deadline, farm, "1-4")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    action = running(worker)
    assert "draining 1 worker" in server.cli("workers", "drain", "--fleet-id", farm["fleetId"],
                                             "--worker-id", worker.worker_id)
    response = worker.poll()
    assert not response["cancelSessionActions"]  # what it runs, it finishes
    worker.reports = {a["sessionActionId"]: ran() for a in task_runs(response)}
    assert action["sessionActionId"] in worker.reports
    for _ in range(3):
        response = worker.poll()
        assert task_runs(response) == [] and "desiredWorkerStatus" not in response
    assert task(deadline, farm, job_id, action)["runStatus"] == "SUCCEEDED"
    assert deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)["taskRunStatusCounts"][
        "READY"] >= 2
    server.cli("workers", "enable", "--fleet-id", farm["fleetId"], "--worker-id", worker.worker_id)
    assert task_runs(worker.poll())


def test_drain_with_stop_tells_the_worker_stopped_once_it_is_done_and_a_restart_lifts_it(server, deadline, farm):
    submit(deadline, farm, "1-4")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    action = running(worker)
    server.cli("workers", "drain", "--stop", "--fleet-id", farm["fleetId"], "--worker-id", worker.worker_id)
    assert "desiredWorkerStatus" not in worker.poll()  # still running its task
    worker.reports = {action["sessionActionId"]: ran()}
    response = worker.poll()
    for _ in range(5):  # it runs what its session still lists (a task queued ahead), then the session ends
        if not response["assignedSessions"]:
            break
        worker.reports = {a["sessionActionId"]: ran() for a in task_runs(response)}
        response = worker.poll()
    assert response["desiredWorkerStatus"] == "STOPPED"
    deadline.update_worker(**worker.ids, status="STOPPED")
    deadline.update_worker(**worker.ids, status="STARTED")  # the node is back
    assert task_runs(worker.poll())


def test_a_disabled_worker_gives_back_its_running_task_without_spending_a_retry(server, deadline, farm):
    job_id = submit(deadline, farm, "1-1", maxRetriesPerTask=0)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    action = running(worker)
    server.cli("workers", "disable", "--fleet-id", farm["fleetId"], "--worker-id", worker.worker_id)
    response = worker.poll()
    canceled = [i for ids in response["cancelSessionActions"].values() for i in ids]
    assert action["sessionActionId"] in canceled
    worker.reports = {action["sessionActionId"]: {"completedStatus": "CANCELED", "endedAt": datetime.now(UTC)}}
    worker.poll()
    taken_back = task(deadline, farm, job_id, action)
    assert taken_back["runStatus"] == "READY" and taken_back.get("failureRetryCount", 0) == 0
    assert task_runs(worker.poll()) == []
    other = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assert [a["definition"]["taskRun"]["taskId"] for a in task_runs(other.poll())] == [taken_back["taskId"]]


def test_a_whole_fleet_is_drained_and_enabled_at_once(server, deadline, farm):
    submit(deadline, farm, "1-4")
    first = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    second = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assert "draining 2 workers" in server.cli("workers", "drain", "--fleet-id", farm["fleetId"])
    assert task_runs(first.poll()) == [] and task_runs(second.poll()) == []
    listed = server.cli("workers", "list", "--fleet-id", farm["fleetId"])
    assert listed.count("\tDRAIN\t") == 2
    assert "enabled 2 workers" in server.cli("workers", "enable", "--fleet-id", farm["fleetId"])
    assert task_runs(first.poll()) and task_runs(second.poll())


def test_a_worker_of_another_fleet_is_refused(server, deadline, farm, farm_id):
    other = served_queue(deadline, farm_id)
    stranger = ScriptedWorker(deadline, farm_id, other["fleetId"])
    result = server.admin("workers", "drain", "--fleet-id", farm["fleetId"], "--worker-id", stranger.worker_id)
    assert result.exit_code != 0 and "not workers of" in result.output
