"""Two real `farmstead worker` processes, one on a host that lacks the render command: every task it
takes fails, yet the job SUCCEEDS on the other, and the bad one is blocklisted on the job after the
queue's three failures (docs/self-managing.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.worker_farms import Farm


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("blocklist-server")).start()
    yield server
    server.stop()


@pytest.fixture
def farm(live, tmp_path):
    farm = Farm(live, tmp_path)
    yield farm
    farm.stop_all()


def render_tools(tmp_path: Path) -> Path:
    """A directory holding `render-frame`, the command the job needs: on the good host's PATH only."""
    tools = tmp_path / "render-tools"
    tools.mkdir()
    render = tools / "render-frame"
    render.write_text("#!/bin/sh\nsleep 1\necho rendered frame $1\n")
    render.chmod(0o755)
    return tools


def submit(farm: Farm) -> str:
    return farm.submit({
        "specificationVersion": "jobtemplate-2023-09", "name": "needs render-frame",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT",
                                                                    "range": "1-12"}]},
                   "script": {"actions": {"onRun": {"command": "render-frame",
                                                    "args": ["{{Task.Param.Frame}}"]}}}}]},
        maxRetriesPerTask=10, maxFailedTasksCount=12)


def assert_blocklisted_after_three_failures(farm: Farm, job_id: str, bad_id: str, diagnostics) -> None:
    job = farm.wait_for_job(job_id, timeout=180)
    assert job["taskRunStatus"] == "SUCCEEDED", (job, diagnostics())
    listed = farm.live.cli("blocklist", "list", "--job-id", job_id)
    assert bad_id in listed, listed
    failed = [a for a in farm.actions(job_id) if "taskRun" in a["definition"] and a["status"] == "FAILED"]
    bad_sessions = {s["sessionId"].split("-")[1] for s in farm.deadline.list_sessions(
        farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["sessions"] if s["workerId"] == bad_id}
    assert all(a["sessionActionId"].split("-")[1] in bad_sessions for a in failed)
    # The queue's default: failures in three sessions blocklist it, and it got no more of the job. A run
    # the official agent had queued behind a failed one reports FAILED too; it counts with its session.
    assert len({a["sessionActionId"].split("-")[1] for a in failed}) == 3
    assert len(bad_sessions) == 3


def test_a_host_missing_the_render_command_is_blocklisted_and_the_job_succeeds_on_the_other(farm, tmp_path):
    tools = render_tools(tmp_path)
    base_path = os.environ.get("PATH", "/usr/bin:/bin")
    farm.start_worker("good", PATH=f"{tools}:{base_path}")
    farm.start_worker("bad", PATH=base_path)  # no render-frame here
    # Both up before the job: while the bad one were the only worker, it would retry what it failed
    # (a job never stalls for want of workers).
    wait_until(lambda: sum(w["status"] == "IDLE" for w in farm.workers()) == 2, 30, "both workers")
    job_id = submit(farm)
    assert_blocklisted_after_three_failures(farm, job_id, farm.worker_id("bad"),
                                            lambda: (farm.worker_output("bad"), farm.worker_output("good")))


@pytest.mark.official_clients
def test_the_official_agent_on_a_host_missing_the_command_gets_the_same_treatment(farm, tmp_path, agent_bin):
    tools = render_tools(tmp_path)
    base_path = os.environ.get("PATH", "/usr/bin:/bin")
    farm.start_worker("good", PATH=f"{tools}:{base_path}")
    wait_until(lambda: any(w["status"] == "IDLE" for w in farm.workers()), 30, "the good worker")
    work = tmp_path / "agent"
    for sub in ("persist", "logs", "sessions"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    env = {**farm.env(), "PATH": base_path, "AWS_ENDPOINT_URL": farm.live.endpoint,
           "AWS_DISABLE_HOST_PREFIX_INJECTION": "true", "AWS_DEFAULT_REGION": "us-west-2",
           "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true"}
    agent = subprocess.Popen(
        [str(agent_bin), "--farm-id", farm.farm_id, "--fleet-id", farm.fleet_id, "--run-jobs-as-agent-user",
         "--no-shutdown", "--no-host-metrics-logging", "--persistence-dir", str(work / "persist"),
         "--logs-dir", str(work / "logs"), "--session-root-dir", str(work / "sessions")],
        env=env, stdout=open(work / "agent.out", "wb"), stderr=subprocess.STDOUT)
    farm.processes.append(agent)
    good_id = farm.worker_id("good")
    wait_until(lambda: sum(w["status"] == "IDLE" for w in farm.workers()) == 2, 60, "the official agent")
    (bad_id,) = [w["workerId"] for w in farm.workers() if w["workerId"] != good_id]
    job_id = submit(farm)
    assert_blocklisted_after_three_failures(farm, job_id, bad_id,
                                            lambda: (work / "agent.out").read_text(errors="replace")[-3000:])
