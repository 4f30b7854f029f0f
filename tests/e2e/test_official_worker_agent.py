"""The official `deadline-worker-agent` from PyPI, unmodified, runs jobs on Farmstead to completion."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET

#: Selected alone with `pytest -m official_clients` (the official clients from PyPI).
pytestmark = pytest.mark.official_clients

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "agent job",
    "parameterDefinitions": [{"name": "Exit", "type": "INT", "default": 0}],
    "jobEnvironments": [{"name": "Setup", "script": {"actions": {
        "onEnter": {"command": "echo", "args": ["entering"]}, "onExit": {"command": "echo", "args": ["leaving"]}}}}],
    "steps": [{"name": "Render",
               "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-3"}]},
               "script": {"actions": {"onRun": {"command": "bash", "args": [
                   "-c", "echo frame {{Task.Param.Frame}}; echo 'openjd_progress: 100'; exit {{Param.Exit}}"]}}}}],
}


@pytest.fixture
def farm(tmp_path):
    (tmp_path / "server").mkdir()
    live = LiveServer(tmp_path / "server").start()
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="agent")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q",
                                     jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=2, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    yield {"server": live, "deadline": deadline, "farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id,
           "dir": tmp_path}
    live.stop()


def start_agent(agent_bin, farm) -> subprocess.Popen:
    work = farm["dir"] / "agent"
    for sub in ("persist", "logs", "sessions"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AWS_ENDPOINT_URL": farm["server"].endpoint, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
           "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
           "AWS_DEFAULT_REGION": "us-west-2", "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true"}
    env.pop("AWS_PROFILE", None)
    return subprocess.Popen(
        [str(agent_bin), "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"],
         "--run-jobs-as-agent-user", "--no-shutdown", "--no-host-metrics-logging",
         "--persistence-dir", str(work / "persist"), "--logs-dir", str(work / "logs"),
         "--session-root-dir", str(work / "sessions")],
        env=env, stdout=open(work / "agent.out", "wb"), stderr=subprocess.STDOUT)


def stop_agent(agent: subprocess.Popen) -> int:
    agent.send_signal(signal.SIGTERM)
    try:
        return agent.wait(30)
    except subprocess.TimeoutExpired:
        agent.kill()
        return agent.wait()


def submit(farm, **parameters) -> str:
    return farm["deadline"].create_job(
        farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
        template=json.dumps(TEMPLATE), parameters={k: {"int": str(v)} for k, v in parameters.items()},
        maxRetriesPerTask=1)["jobId"]


def wait_for_job(farm, job_id: str, timeout: float = 90) -> dict:
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        job = farm["deadline"].get_job(**ids)
        if job["taskRunStatus"] in ("SUCCEEDED", "FAILED", "CANCELED"):
            return job
        time.sleep(1)
    output = (farm['dir'] / 'agent' / 'agent.out').read_text()[-3000:]
    raise AssertionError(f"job still {job['taskRunStatus']}: {output}")


def test_official_agent_runs_a_job_and_its_session_log_reads_back(agent_bin, farm):
    job_id = submit(farm)
    agent = start_agent(agent_bin, farm)
    try:
        job = wait_for_job(farm, job_id)
        assert job["taskRunStatus"] == "SUCCEEDED" and job["taskRunStatusCounts"]["SUCCEEDED"] == 3
        sessions = farm["deadline"].list_sessions(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
        (session,) = sessions["sessions"]
        logs = farm["server"].client("logs")
        group = f"/aws/deadline/{farm['farmId']}/{farm['queueId']}"
        give_up = time.monotonic() + 30
        text = ""
        while "frame 3" not in text and time.monotonic() < give_up:
            events = logs.get_log_events(logGroupName=group, logStreamName=session["sessionId"],
                                         startFromHead=True)["events"]
            text = "\n".join(e["message"] for e in events)
            time.sleep(1)
        assert "entering" in text and "frame 1" in text and "frame 3" in text
    finally:
        assert stop_agent(agent) == 0
    workers = farm["deadline"].list_workers(farmId=farm["farmId"], fleetId=farm["fleetId"])["workers"]
    assert [w["status"] for w in workers] == ["STOPPED"]


def test_official_agent_retries_a_failing_task_then_fails_the_job(agent_bin, farm):
    job_id = submit(farm, Exit=3)
    agent = start_agent(agent_bin, farm)
    try:
        job = wait_for_job(farm, job_id)
    finally:
        stop_agent(agent)
    assert job["taskRunStatus"] == "FAILED"
    assert job["taskFailureRetryCount"] >= 1
