"""Times a worker reports are kept within the server's clock: a worker whose clock is off by minutes
must not record a task that starts in the server's future, after its own end, or before it was
assigned; and the session's log says that its times were corrected.

Scripted workers report through real boto3 calls with a clock ten minutes fast (or slow).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit, task_runs

TEN_MINUTES = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def farm(deadline, farm_id):
    return served_queue(deadline, farm_id)


def run_one_task(deadline, farm, skew: timedelta):
    """A one-task job run by a worker whose clock reads `skew` off; the times around it, read from the API."""
    job_id = submit(deadline, farm, "1-1")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assigned_after = utcnow()
    response = worker.poll()
    assigned_before = utcnow()
    (session_id,) = response["assignedSessions"]
    (action,) = task_runs(response)
    action_id = action["sessionActionId"]
    started = utcnow() + skew
    worker.reports = {action_id: {"startedAt": started, "updatedAt": started}}
    worker.poll()
    time.sleep(0.5)  # the task's own run time, which a good clock's times keep
    ended = utcnow() + skew
    worker.reports = {action_id: {"startedAt": started, "endedAt": ended, "updatedAt": ended,
                                  "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    worker.poll()
    reported_before = utcnow()
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    recorded = deadline.get_session_action(**ids, sessionActionId=action_id)
    task = deadline.list_tasks(**ids, stepId=action["definition"]["taskRun"]["stepId"])["tasks"][0]
    job = deadline.get_job(**ids)
    return {"assigned": (assigned_after, assigned_before), "reported_before": reported_before,
            "action": recorded, "task": task, "job": job, "session_id": session_id, "ids": ids}


def session_log(server, farm, session_id: str) -> list[str]:
    events = server.client("logs").get_log_events(
        logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['queueId']}", logStreamName=session_id,
        startFromHead=True)["events"]
    return [event["message"] for event in events]


def assert_in_order_within_the_servers_clock(run) -> None:
    assigned_after, _ = run["assigned"]
    # Second precision: the API's timestamps are serialized as botocore reads them back.
    earliest, latest = assigned_after - timedelta(seconds=1), run["reported_before"] + timedelta(seconds=1)
    for resource in (run["action"], run["task"], run["job"]):
        assert earliest <= resource["startedAt"] <= resource["endedAt"] <= latest, resource


def test_a_worker_clock_ten_minutes_fast_records_no_time_in_the_servers_future(deadline, farm, server):
    run = run_one_task(deadline, farm, TEN_MINUTES)
    assert run["action"]["status"] == "SUCCEEDED" and run["task"]["runStatus"] == "SUCCEEDED"
    assert_in_order_within_the_servers_clock(run)
    assert run["action"]["workerUpdatedAt"] <= run["reported_before"] + timedelta(seconds=1)
    notes = [line for line in session_log(server, farm, run["session_id"]) if "clock" in line]
    assert notes, "the session log says nothing of the corrected times"
    assert "ahead of the server's" in notes[0] and run["action"]["sessionActionId"] in notes[0]


def test_a_worker_clock_ten_minutes_slow_records_no_start_before_the_assignment(deadline, farm, server):
    run = run_one_task(deadline, farm, -TEN_MINUTES)
    assert_in_order_within_the_servers_clock(run)
    notes = [line for line in session_log(server, farm, run["session_id"]) if "clock" in line]
    assert notes and "behind the server's" in notes[0]


def test_a_worker_with_a_good_clock_keeps_its_times_and_gets_no_note(deadline, farm, server):
    run = run_one_task(deadline, farm, timedelta(0))
    assert_in_order_within_the_servers_clock(run)
    assert run["action"]["endedAt"] - run["action"]["startedAt"] >= timedelta(seconds=0.4)  # its own run time
    assert not [line for line in session_log(server, farm, run["session_id"]) if "clock" in line]


def test_an_end_reported_before_the_start_is_recorded_at_the_start(deadline, farm):
    job_id = submit(deadline, farm, "1-1")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    (action,) = task_runs(worker.poll())
    started = utcnow()
    worker.reports = {action["sessionActionId"]: {"startedAt": started, "endedAt": started - timedelta(seconds=30),
                                                  "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    worker.poll()
    recorded = deadline.get_session_action(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id,
                                           sessionActionId=action["sessionActionId"])
    assert recorded["startedAt"] <= recorded["endedAt"]


def test_the_servers_answers_carry_the_date_a_worker_checks_its_clock_against(deadline, farm):
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    headers = worker.poll()["ResponseMetadata"]["HTTPHeaders"]
    assert abs(parsedate_to_datetime(headers["date"]) - utcnow()) < timedelta(seconds=5)
