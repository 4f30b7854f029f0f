"""Jobs using the OpenJD TASK_CHUNKING extension run on both workers: one task per chunk of frames,
`{{Task.Param.Frame}}` the chunk's range. Run alone with `pytest -m official_clients`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from e2e.test_expr_symbol_tables import session_log_text
from e2e.test_official_worker_agent import farm, start_agent, wait_for_job  # noqa: F401

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

pytestmark = pytest.mark.official_clients

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "extensions": ["TASK_CHUNKING"], "name": "chunked",
    "steps": [{"name": "Frames", "parameterSpace": {"taskParameterDefinitions": [{
        "name": "Frame", "type": "CHUNK[INT]", "range": "1-10",
        "chunks": {"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"}}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": ["frames {{Task.Param.Frame}}"]}}}}],
}


def run_chunked(farm, start) -> tuple[dict, str, list[dict]]:
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
    job_id = farm["deadline"].create_job(**ids, priority=50, templateType="JSON", template=json.dumps(TEMPLATE),
                                         maxRetriesPerTask=0)["jobId"]
    worker = start()
    try:
        job = wait_for_job(farm, job_id)
    finally:
        worker.terminate()
        worker.wait(30)
    (step,) = farm["deadline"].list_steps(**ids, jobId=job_id)["steps"]
    tasks = farm["deadline"].list_tasks(**ids, jobId=job_id, stepId=step["stepId"])["tasks"]
    return job, session_log_text(farm, job_id, marker="frames "), tasks


def check(job: dict, text: str, tasks: list[dict]) -> None:
    assert job["taskRunStatus"] == "SUCCEEDED", text[-3000:]
    chunks = sorted(task["parameters"]["Frame"]["chunkInt"] for task in tasks)
    assert len(chunks) == 3 and chunks[0] == "1-4"
    assert all(f"frames {chunk}" in text for chunk in chunks), text[-3000:]


def test_official_agent_runs_one_task_per_chunk(agent_bin, farm):
    check(*run_chunked(farm, lambda: start_agent(agent_bin, farm)))


def test_farmstead_worker_runs_one_task_per_chunk(farm):
    def start():
        work = farm["dir"] / "worker"
        work.mkdir()
        return subprocess.Popen(
            [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", farm["server"].endpoint,
             "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--work-dir", str(work)],
            env={**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET},
            stdout=open(farm["dir"] / "worker.out", "wb"), stderr=subprocess.STDOUT)
    check(*run_chunked(farm, start))
