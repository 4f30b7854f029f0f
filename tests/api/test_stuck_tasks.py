"""Stuck tasks (docs/self-managing.md): a run past its queue's maximum run time (when its template
sets no timeout), or silent in its session log past the queue's no-output limit, is canceled through
cancelSessionActions with the reason in its session log, and counts as a failed run."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from support.worker_jobs import ROLE, task_runs


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A server whose sweeper passes every 2.5 s (a quarter of a 10 s worker timeout). A 4 s timeout
    (a pass a second) lost the scripted worker, polling every 0.2 s, on a loaded CI machine: its run
    went back to the queue before it was found stuck, and its cancel never came."""
    live = LiveServer(tmp_path_factory.mktemp("stuck"), extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "10"}).start()
    yield live
    live.stop()


def farm_with(client, **queue_tags: str) -> dict:
    farm_id = client.create_farm(displayName="stuck")["farmId"]
    queue_id = client.create_queue(farmId=farm_id, displayName="q", tags=queue_tags)["queueId"]
    fleet_id = client.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                   configuration=LINUX_FLEET)["fleetId"]
    client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def submit(client, farm, *, timeout: int | None = None, retries: int = 1) -> str:
    on_run = {"command": "sleep", "args": ["3600"], **({"timeout": timeout} if timeout else {})}
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "hangs",
                "steps": [{"name": "Render", "script": {"actions": {"onRun": on_run}}}]}
    return client.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                             template=json.dumps(template), maxRetriesPerTask=retries)["jobId"]


def start_run(worker: ScriptedWorker) -> tuple[str, dict]:
    response = worker.poll()
    (action,) = task_runs(response)
    worker.reports = {action["sessionActionId"]: {"startedAt": datetime.now(UTC)}}
    worker.poll()
    (session_id,) = response["assignedSessions"]
    return session_id, action


def canceled_within(worker: ScriptedWorker, action_id: str, seconds: float, log=None) -> bool:
    """Heartbeats (and, with `log`, a log line each) until the action is in cancelSessionActions."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if log is not None:
            log()
        response = worker.poll()
        if any(action_id in ids for ids in response["cancelSessionActions"].values()):
            return True
        time.sleep(0.2)
    return False


def why_not_canceled(live: LiveServer, worker: ScriptedWorker) -> str:
    """What a failed wait leaves to read: the worker's status and the sweeper's lines."""
    status = live.client().get_worker(**worker.ids)["status"]
    sweeper = [line for line in live.log_text().splitlines() if "sweep" in line or "NOT_RESPONDING" in line
               or "stuck" in line]
    return f"worker {status}; server log: {sweeper[-20:]}"


def test_a_silent_run_is_canceled_after_the_no_output_limit_and_retried_as_a_failure(quick):
    client = quick.client()
    farm = farm_with(client, **{"farmstead:noOutputSeconds": "1"})
    job_id = submit(client, farm)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    session_id, action = start_run(worker)
    assert canceled_within(worker, action["sessionActionId"], 30), why_not_canceled(quick, worker)
    worker.reports = {action["sessionActionId"]: {"completedStatus": "CANCELED", "endedAt": datetime.now(UTC)}}
    worker.poll()
    run = action["definition"]["taskRun"]
    task = client.get_task(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, stepId=run["stepId"],
                           taskId=run["taskId"])
    # A failed run, retried: READY, or handed again at once to the only worker there is.
    assert task["runStatus"] in ("READY", "ASSIGNED") and task["failureRetryCount"] == 1
    events = quick.client("logs").get_log_events(logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['queueId']}",
                                                 logStreamName=session_id)["events"]
    assert any("wrote no log output" in e["message"] and "farmstead:noOutputSeconds" in e["message"]
               for e in events)


def test_a_run_that_keeps_writing_output_is_left_alone(quick):
    client, logs = quick.client(), quick.client("logs")
    farm = farm_with(client, **{"farmstead:noOutputSeconds": "1"})
    submit(client, farm)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    session_id, action = start_run(worker)

    def write() -> None:
        logs.put_log_events(logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['queueId']}",
                            logStreamName=session_id,
                            logEvents=[{"timestamp": int(time.time() * 1000), "message": "frame 1: 40 %"}])
    assert not canceled_within(worker, action["sessionActionId"], 6, log=write)  # two sweeper passes at least


def test_a_run_past_the_queues_maximum_run_time_fails_when_its_retries_are_spent(quick):
    client = quick.client()
    farm = farm_with(client, **{"farmstead:maxRunSeconds": "1"})
    job_id = submit(client, farm, retries=0)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    session_id, action = start_run(worker)
    assert canceled_within(worker, action["sessionActionId"], 30), why_not_canceled(quick, worker)
    worker.reports = {action["sessionActionId"]: {"completedStatus": "CANCELED", "endedAt": datetime.now(UTC)}}
    worker.poll()
    assert client.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)["taskRunStatus"] == "FAILED"
    events = quick.client("logs").get_log_events(logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['queueId']}",
                                                 logStreamName=session_id)["events"]
    assert any("maximum run time of 1 s" in e["message"] for e in events)


def test_the_maximum_run_time_leaves_a_run_whose_template_sets_a_timeout_to_the_worker(quick):
    client = quick.client()
    farm = farm_with(client, **{"farmstead:maxRunSeconds": "1"})
    submit(client, farm, timeout=3600)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    _, action = start_run(worker)
    assert not canceled_within(worker, action["sessionActionId"], 6)  # two sweeper passes at least


def test_a_limit_tag_it_cannot_read_is_refused(quick):
    client = quick.client()
    farm_id = client.create_farm(displayName="bad limit")["farmId"]
    with pytest.raises(client.exceptions.ValidationException, match="farmstead:noOutputSeconds"):
        client.create_queue(farmId=farm_id, displayName="q", tags={"farmstead:noOutputSeconds": "soon"})
