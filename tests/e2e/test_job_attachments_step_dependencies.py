"""A multi-step job with attachments, submitted with `deadline bundle submit`, on both workers.

The second step depends on the first: its session syncs the job's inputs, then what the first step
wrote (which ran in another session), and reads both. The bundle keeps its scripts in a directory of
its own (a hidden IN path parameter whose default is relative to the bundle), with a shared library
that a job environment puts on the path. The official agent
refuses a step-dependency sync in a session whose job-level sync has not run: this is the order it
needs. Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from e2e.test_job_attachments_official import (
    cli_wait_status,
    client_env,
    profile_env,
    start_farmstead_worker,
    start_official_agent,
    stop,
)

from farmstead.testing.scripted_worker import LINUX_FLEET

pytestmark = pytest.mark.official_clients

# Each module that makes a store (conftest.py) has a bucket of its own.
BUCKET = "farmstead-step-dependencies"
ROOT_PREFIX = "DeadlineCloud"

LIBRARY = """# Shared by both steps: found through TOOLS_LIB, which the job environment sets.
shout() { tr a-z A-Z; }
stamp() { printf '%s:%s\\n' "$1" "$2"; }
"""
PREPARE = """set -eu
. "$TOOLS_LIB/words.sh"
mkdir -p "$1"
shout < "$2" > "$1/prepared.txt"
stamp prepare "$(wc -l < "$2" | tr -d ' ')" >> "$1/prepared.txt"
"""
FINISH = """set -eu
. "$TOOLS_LIB/words.sh"
# The first step's output reached this session through the step-dependency sync, the scene through
# the job-level one: both must be here.
test -f "$1/prepared.txt"
{ cat "$1/prepared.txt"; stamp frame "$3"; head -c 5 "$2"; echo; } > "$1/frame-$3.txt"
"""
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "two steps with attachments",
    "parameterDefinitions": [
        {"name": "SceneFile", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "WorkDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT"},
        {"name": "ToolsDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "IN", "default": "tools",
         "userInterface": {"control": "HIDDEN"}},
    ],
    "jobEnvironments": [{"name": "Tools", "variables": {"TOOLS_LIB": "{{Param.ToolsDir}}/lib"}}],
    "steps": [
        {"name": "Prepare", "script": {"actions": {"onRun": {
            "command": "bash",
            "args": ["{{Param.ToolsDir}}/prepare.sh", "{{Param.WorkDir}}", "{{Param.SceneFile}}"]}}}},
        {"name": "Finish", "dependencies": [{"dependsOn": "Prepare"}],
         "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-2"}]},
         "script": {"actions": {"onRun": {
             "command": "bash", "args": ["{{Param.ToolsDir}}/finish.sh", "{{Param.WorkDir}}", "{{Param.SceneFile}}",
                                         "{{Task.Param.Frame}}"]}}}},
    ],
}


@pytest.fixture
def farm(live):
    """A farm whose queue keeps attachments in the store, with a one-worker fleet of its own."""
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="step dependencies")["farmId"]
    queue_id = deadline.create_queue(
        farmId=farm_id, displayName="attachments queue", roleArn="arn:aws:iam::000000000000:role/queue",
        jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
        jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"server": live, "deadline": deadline, "farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def write_bundle(directory: Path) -> tuple[Path, Path]:
    """(bundle with its tools directory, project with the scene)."""
    bundle = directory / "bundle"
    (bundle / "tools" / "lib").mkdir(parents=True)
    (bundle / "template.json").write_text(json.dumps(TEMPLATE))
    (bundle / "tools" / "lib" / "words.sh").write_text(LIBRARY)
    (bundle / "tools" / "prepare.sh").write_text(PREPARE)
    (bundle / "tools" / "finish.sh").write_text(FINISH)
    project = directory / "project"
    (project / "input").mkdir(parents=True)
    (project / "input" / "scene.txt").write_text("hello\nsteps\n")
    return bundle, project


def submit(cli_bin: Path, farm, env, bundle: Path, project: Path) -> str:
    # Files outside any storage profile make the CLI ask for confirmation even with --yes: answer y.
    submitted = subprocess.run(
        [str(cli_bin), "bundle", "submit", str(bundle), "--farm-id", farm["farmId"], "--queue-id", farm["queueId"],
         "--yes", "-p", f"SceneFile={project / 'input' / 'scene.txt'}", "-p", f"WorkDir={project / 'work'}"],
        env=env, input="y\n", capture_output=True, text=True, timeout=180)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    return next(word for word in submitted.stdout.split() if word.startswith("job-"))


def download_and_check(cli_bin: Path, farm, env, job_id: str, project: Path) -> None:
    downloaded = subprocess.run([str(cli_bin), "job", "download-output", "--farm-id", farm["farmId"],
                                 "--queue-id", farm["queueId"], "--job-id", job_id, "--yes", "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=180)
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    for frame in (1, 2):
        assert (project / "work" / f"frame-{frame}.txt").read_text() == \
            f"HELLO\nSTEPS\nprepare:2\nframe:{frame}\nhello\n"


def download_one_task(cli_bin: Path, farm, env, job_id: str, project: Path, frame: int) -> None:
    """`deadline job download-output --step-id --task-id`: the outputs of that task's latest run only
    (GetTask's latestSessionActionId picks them)."""
    deadline, ids = farm["deadline"], {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    finish = next(s["stepId"] for s in deadline.list_steps(**ids)["steps"] if s["name"] == "Finish")
    (task,) = [t for t in deadline.list_tasks(**ids, stepId=finish)["tasks"]
               if t["parameters"]["Frame"] == {"int": str(frame)}]
    subprocess.run(["rm", "-rf", str(project / "work")], check=True)
    downloaded = subprocess.run([str(cli_bin), "job", "download-output", "--farm-id", farm["farmId"],
                                 "--queue-id", farm["queueId"], "--job-id", job_id, "--step-id", finish,
                                 "--task-id", task["taskId"], "--yes", "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=180)
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert sorted(p.name for p in (project / "work").iterdir()) == [f"frame-{frame}.txt"]


def session_syncs(farm, job_id: str) -> list[list[dict]]:
    """Per session of the Finish step, its syncInputJobAttachments definitions in the order they ran."""
    deadline, ids = farm["deadline"], {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    finish = next(s["stepId"] for s in deadline.list_steps(**ids)["steps"] if s["name"] == "Finish")
    syncs = []
    for session in deadline.list_sessions(**ids)["sessions"]:
        actions = deadline.list_session_actions(**ids, sessionId=session["sessionId"])["sessionActions"]
        if any(a["definition"].get("taskRun", {}).get("stepId") == finish for a in actions):
            syncs.append([a["definition"]["syncInputJobAttachments"] for a in actions
                          if "syncInputJobAttachments" in a["definition"]])
    return syncs


def test_official_agent_runs_a_two_step_attachments_job_submitted_with_the_cli(cli_bin, agent_bin, store, farm,
                                                                               tmp_path):
    bundle, project = write_bundle(tmp_path)
    env = client_env(farm, store, tmp_path / "home")
    job_id = submit(cli_bin, farm, env, bundle, project)

    agent = start_official_agent(agent_bin, farm, profile_env(client_env(farm, store, tmp_path / "agent-home")),
                                 tmp_path / "agent")
    try:
        assert cli_wait_status(cli_bin, farm, env, job_id, tmp_path / "agent" / "agent.out", timeout=180) \
            == "SUCCEEDED"
    finally:
        stop(agent)
    download_and_check(cli_bin, farm, env, job_id, project)
    download_one_task(cli_bin, farm, env, job_id, project, 2)
    # Each session of the dependent step synced the job's inputs first, then the step's dependencies.
    synced = session_syncs(farm, job_id)
    assert synced and all([sorted(sync) for sync in syncs] == [[], ["stepId"]] for syncs in synced), synced


def test_farmstead_worker_runs_a_two_step_attachments_job_submitted_with_the_cli(cli_bin, store, farm, tmp_path):
    bundle, project = write_bundle(tmp_path)
    env = client_env(farm, store, tmp_path / "home")
    job_id = submit(cli_bin, farm, env, bundle, project)
    worker = start_farmstead_worker(farm, client_env(farm, store, tmp_path / "worker-home"), tmp_path / "worker")
    try:
        assert cli_wait_status(cli_bin, farm, env, job_id, tmp_path / "worker" / "agent.out", timeout=180) \
            == "SUCCEEDED"
    finally:
        stop(worker)
    download_and_check(cli_bin, farm, env, job_id, project)
    download_one_task(cli_bin, farm, env, job_id, project, 1)
