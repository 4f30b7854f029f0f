"""A task whose command hangs without output on one host is canceled after the queue's no-output
limit, with the reason in its session log, and retried on the other worker, where it succeeds
(docs/self-managing.md, "Stuck tasks"); two real `farmstead worker` processes."""

from __future__ import annotations

import pytest

from farmstead.testing.live_server import REGION, LiveServer
from farmstead.testing.waiting import wait_until
from support.worker_farms import Farm


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    # A sweep every second (a 4 s worker timeout; the workers call every 2 s).
    server = LiveServer(tmp_path_factory.mktemp("stuck-server"),
                        extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "4"}).start()
    yield server
    server.stop()


@pytest.fixture
def farm(live, tmp_path):
    farm = Farm(live, tmp_path)
    yield farm
    farm.stop_all()


def test_a_silent_hang_is_canceled_after_the_no_output_limit_and_retried_on_the_other_worker(farm):
    farm.deadline.tag_resource(
        resourceArn=f"arn:aws:deadline:{REGION}:000000000000:farm/{farm.farm_id}/queue/{farm.queue_id}",
        tags={"farmstead:noOutputSeconds": "5"})
    farm.start_worker("hangs", HANG_HERE="1")
    wait_until(lambda: any(w["status"] == "IDLE" for w in farm.workers()), 30, "the first worker")
    job_id = farm.submit({
        "specificationVersion": "jobtemplate-2023-09", "name": "hangs on one host",
        "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "bash", "args": [
            "-c", 'if [ -n "$HANG_HERE" ]; then exec sleep 3600; fi; echo rendered']}}}}]},
        maxRetriesPerTask=2)
    wait_until(lambda: farm.running_task_action(job_id), 30, "the task to run on the hanging host")
    farm.start_worker("fine")
    job = farm.wait_for_job(job_id, timeout=90)
    assert job["taskRunStatus"] == "SUCCEEDED", (job, farm.worker_output("hangs"), farm.worker_output("fine"))
    assert job["taskFailureRetryCount"] == 1
    sessions = farm.deadline.list_sessions(farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["sessions"]
    hung = next(s for s in sessions if s["workerId"] == farm.worker_id("hangs"))
    fine = next(s for s in sessions if s["workerId"] == farm.worker_id("fine"))
    assert fine["sessionId"] != hung["sessionId"]
    logs = farm.live.client("logs")
    text = "\n".join(e["message"] for e in logs.get_log_events(
        logGroupName=f"/aws/deadline/{farm.farm_id}/{farm.queue_id}", logStreamName=hung["sessionId"],
        startFromHead=True)["events"])
    assert "wrote no log output" in text and "farmstead:noOutputSeconds" in text
