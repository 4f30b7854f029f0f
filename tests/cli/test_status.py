"""`farmstead status` as a real subprocess against a live server."""

from __future__ import annotations

import json

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer, free_port
from farmstead.testing.scripted_worker import ScriptedWorker

TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "status job",
            "steps": [{"name": "S", "parameterSpace": {"taskParameterDefinitions": [
                {"name": "F", "type": "INT", "range": "1-4"}]},
                "script": {"actions": {"onRun": {"command": "true"}}}}]}


def test_status_shows_the_farm_its_queue_fleet_worker_and_recent_jobs(farmstead, api_env, ready_queue, deadline):
    ids = ready_queue
    deadline.update_farm(farmId=ids["farmId"], displayName="Status [farm]")  # markup characters print as text
    job_id = deadline.create_job(farmId=ids["farmId"], queueId=ids["queueId"], priority=60, templateType="JSON",
                                 template=json.dumps(TEMPLATE))["jobId"]
    worker = ScriptedWorker(deadline, ids["farmId"], ids["fleetId"])
    worker.poll()  # takes the first task: the job is running, the worker busy
    done = farmstead("status", "--farm-id", ids["farmId"], env=api_env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Status [farm]" in out and ids["farmId"] in out
    assert ids["queueId"] in out and "renders" in out
    fleet_row = next(line for line in out.splitlines() if ids["fleetId"] in line)
    assert "nodes" in fleet_row and "ACTIVE" in fleet_row and " 1 " in fleet_row  # one worker
    worker_row = next(line for line in out.splitlines() if worker.worker_id in line)
    assert "scripted" in worker_row
    job_row = next(line for line in out.splitlines() if job_id in line)
    assert "status job" in job_row and "0/4" in job_row and "60" in job_row


def test_status_lists_every_farm_the_caller_sees(farmstead, isolated_env, tmp_path):
    # A server of its own: the shared one holds every other test's farms.
    live = LiveServer(tmp_path).start()
    try:
        client = live.client()
        farms = [client.create_farm(displayName=name)["farmId"] for name in ("first farm", "second farm")]
        client.create_queue(farmId=farms[1], displayName="empty queue")
        env = {**isolated_env, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
               "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": live.endpoint}
        done = farmstead("status", env=env)
    finally:
        live.stop()
    assert done.returncode == 0, done.stderr
    assert all(farm_id in done.stdout for farm_id in farms)
    assert "first farm" in done.stdout and "second farm" in done.stdout
    assert "No jobs in empty queue yet." in done.stdout


def test_status_without_a_server_says_so_and_exits_non_zero(farmstead, api_env):
    env = {**api_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    done = farmstead("status", env=env)
    assert done.returncode == 1
    assert "can't reach Farmstead" in done.stderr and "Traceback" not in done.stderr
