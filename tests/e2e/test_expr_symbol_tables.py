"""Jobs using the OpenJD EXPR extension's template-scope `let` run on both workers.

A step's `let` bindings are evaluated when the job is created; a worker gets their values, with the
job's parameters, `Job.Name` and `Step.Name`, in BatchGetJobEntity's `resolvedSymbolTable` (it does
not evaluate them itself: without the table the official agent fails the task with "Undefined
variable"). Environments get their scope's table: the job's for queue and job environments, the
step's for step environments. Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from e2e.test_official_worker_agent import farm, start_agent, stop_agent, wait_for_job  # noqa: F401

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

pytestmark = pytest.mark.official_clients

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "extensions": ["EXPR"], "name": "expr job",
    "parameterDefinitions": [{"name": "Count", "type": "INT", "default": 3},
                             {"name": "Loud", "type": "BOOL", "default": True},
                             {"name": "Sizes", "type": "LIST[INT]", "default": [4, 8]}],
    "jobEnvironments": [{"name": "JobEnv", "script": {"actions": {"onEnter": {
        "command": "echo", "args": ["job env of {{Job.Name}} count {{Param.Count}} loud {{Param.Loud}}",
                                    "sizes {{Param.Sizes[1]}}"]}}}}],
    "steps": [{
        "name": "Render", "let": ["doubled = Param.Count * 2"],
        "stepEnvironments": [{"name": "StepEnv", "script": {"actions": {"onEnter": {
            "command": "echo", "args": ["step env of {{Step.Name}} sees {{doubled}}"]}}}}],
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-2"}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": [
            "frame {{Task.Param.Frame}} of {{Job.Name}}/{{Step.Name}} doubled={{doubled}}"]}}}}],
}
EXPECTED = ["job env of expr job count 3 loud true sizes 8", "step env of Render sees 6",
            "frame 1 of expr job/Render doubled=6", "frame 2 of expr job/Render doubled=6"]


def submit(farm) -> str:
    return farm["deadline"].create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50,
                                       templateType="JSON", template=json.dumps(TEMPLATE), maxRetriesPerTask=0)["jobId"]


def session_log_text(farm, job_id: str, marker: str = "doubled=") -> str:
    """Every session's log of the job, each read once it holds `marker` (or after 30 s)."""
    logs = farm["server"].client("logs")
    text = ""
    for session in farm["deadline"].list_sessions(farmId=farm["farmId"], queueId=farm["queueId"],
                                                  jobId=job_id)["sessions"]:
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            events = logs.get_log_events(logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['queueId']}",
                                         logStreamName=session["sessionId"], startFromHead=True)["events"]
            if any(marker in e["message"] for e in events):
                break
            time.sleep(1)
        text += "\n".join(e["message"] for e in events) + "\n"
    return text


def test_official_agent_runs_an_expr_job_with_step_let_bindings(agent_bin, farm):
    job_id = submit(farm)
    agent = start_agent(agent_bin, farm)
    try:
        job = wait_for_job(farm, job_id)
    finally:
        stop_agent(agent)
    text = session_log_text(farm, job_id)
    assert job["taskRunStatus"] == "SUCCEEDED", text[-3000:]
    assert all(line in text for line in EXPECTED), text[-3000:]


def test_farmstead_worker_runs_an_expr_job_with_step_let_bindings(farm):
    job_id = submit(farm)
    work = farm["dir"] / "worker"
    work.mkdir()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET}
    worker = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--work-dir", str(work)],
        env=env, stdout=open(farm["dir"] / "worker.out", "wb"), stderr=subprocess.STDOUT)
    try:
        job = wait_for_job(farm, job_id)
    finally:
        worker.terminate()
        worker.wait(30)
    text = session_log_text(farm, job_id)
    assert job["taskRunStatus"] == "SUCCEEDED", text[-3000:]
    assert all(line in text for line in EXPECTED), text[-3000:]
