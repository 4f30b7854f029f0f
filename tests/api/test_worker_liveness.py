"""A silent worker is declared NOT_RESPONDING and its task runs elsewhere, without spending a retry."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from support.live_server import LiveServer
from support.scripted_worker import LINUX_FLEET, ScriptedWorker

TEMPLATE = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "one",
    "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "true"}}}}]})


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("liveness"),
                      extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "2"}).start()
    yield live
    live.stop()


def test_silent_worker_loses_its_task_to_another(quick_server):
    deadline = quick_server.client()
    farm_id = deadline.create_farm(displayName="liveness")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=2, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=TEMPLATE)["jobId"]
    silent = ScriptedWorker(deadline, farm_id, fleet_id)
    (_, action), = silent.pending_actions(silent.poll())
    silent.reports[action["sessionActionId"]] = {"startedAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}
    silent.poll()

    deadline_at = time.monotonic() + 15
    while deadline.get_worker(**silent.ids)["status"] != "NOT_RESPONDING":
        assert time.monotonic() < deadline_at, "the silent worker was never declared NOT_RESPONDING"
        time.sleep(0.5)

    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    counts = deadline.get_job(**ids)["taskRunStatusCounts"]
    assert counts["READY"] == 1 and counts["RUNNING"] == 0
    rescuer = ScriptedWorker(deadline, farm_id, fleet_id)
    rescuer.run()
    finished = deadline.get_job(**ids)
    assert finished["taskRunStatus"] == "SUCCEEDED" and finished["taskFailureRetryCount"] == 0

    with pytest.raises(ClientError) as caught:
        silent.poll()
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    assert caught.value.response["context"]["status"] == "NOT_RESPONDING"
