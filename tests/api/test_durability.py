"""Nothing accepted is lost: a killed server resumes what it had accepted."""

from __future__ import annotations

import json
import signal

from farmstead.testing.live_server import LiveServer

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "big",
    "steps": [{"name": "Render",
               "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-60000"}]},
               "script": {"actions": {"onRun": {"command": "true"}}}}],
}


def test_job_accepted_before_a_kill_is_materialized_after_restart(tmp_path):
    first = LiveServer(tmp_path).start()
    client = first.client()
    farm_id = client.create_farm(displayName="durable")["farmId"]
    queue_id = client.create_queue(farmId=farm_id, displayName="q")["queueId"]
    job_id = client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                               template=json.dumps(TEMPLATE))["jobId"]
    first.process.send_signal(signal.SIGKILL)  # mid-materialization: no chance to finish or clean up
    first.process.wait()

    second = LiveServer(tmp_path, port=first.port).start()
    try:
        client = second.client()
        client.get_waiter("job_create_complete").wait(
            farmId=farm_id, queueId=queue_id, jobId=job_id, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        job = client.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)
        assert sum(job["taskRunStatusCounts"].values()) == 60000
        step = client.list_steps(farmId=farm_id, queueId=queue_id, jobId=job_id)["steps"][0]
        last = client.list_tasks(farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step["stepId"],
                                 maxResults=1)["tasks"][0]
        assert last["parameters"] == {"Frame": {"int": "1"}}
    finally:
        second.stop()
