"""The official `deadline` CLI from PyPI, unmodified, reads and drives a live Farmstead.

Owns: running `deadline` (pinned below, in its own venv) as a subprocess configured only through the
environment, and checking that what it prints is what the server holds.
Must not: touch the real ~/.aws or ~/.deadline (HOME, the AWS files and DEADLINE_CONFIG_FILE_PATH all
point into a tmp dir), or reach into the server other than through boto3 and the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

#: Selected alone with `pytest -m official_clients` (the official clients from PyPI).
pytestmark = pytest.mark.official_clients

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "examples" / "hello"
ROLE = "arn:aws:iam::000000000000:role/f"
TWO_TASKS = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "two tasks",
    "steps": [{"name": "Work",
               "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-2"}]},
               "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}],
})


@pytest.fixture(scope="module")
def cli_env(server, tmp_path_factory) -> dict[str, str]:
    """Only standard AWS variables: the CLI's own config stays empty, so its profile is `(default)`,
    which means boto3's default chain, which takes the keys from the environment."""
    home = tmp_path_factory.mktemp("deadline-cli-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_", "FARMSTEAD_"))}
    env.update({
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": REGION,
        # Telemetry would POST to the same endpoint from a thread at exit; keep runs quiet and quick.
        "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true",
        "COLUMNS": "250",
    })
    return env


@pytest.fixture(scope="module")
def run_cli(cli_bin, cli_env):
    """run_cli(*args, env_extra=None) -> CompletedProcess; the CLI always succeeds unless checked."""
    def run(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 120):
        return subprocess.run([str(cli_bin), *args], env={**cli_env, **(env_extra or {})},
                              capture_output=True, text=True, timeout=timeout)
    return run


@pytest.fixture(scope="module")
def farm(deadline) -> dict[str, str]:
    """A farm with a queue, a Linux fleet serving it and one started (scripted) worker."""
    farm_id = deadline.create_farm(displayName="cli farm", description="read by the deadline CLI")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="cli queue",
                                     jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="cli fleet", roleArn=ROLE, maxWorkerCount=2,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    worker = ScriptedWorker(deadline, farm_id, fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id, "workerId": worker.worker_id}


@pytest.fixture
def own_queue(deadline, farm) -> dict[str, str]:
    """A fresh queue on the farm's fleet, so job lists and waits see only this test's jobs."""
    queue_id = deadline.create_queue(farmId=farm["farmId"], displayName="jobs queue",
                                     jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    deadline.create_queue_fleet_association(farmId=farm["farmId"], queueId=queue_id, fleetId=farm["fleetId"])
    return {"farmId": farm["farmId"], "queueId": queue_id}


def ok(done: subprocess.CompletedProcess, server=None) -> str:
    detail = done.stdout + done.stderr + (("\n--- server log ---\n" + server.log_text()[-4000:]) if server else "")
    assert done.returncode == 0, detail
    return done.stdout


def printed(done: subprocess.CompletedProcess, server=None):
    """The YAML document the CLI prints for list/get commands, after any 'Displaying …' header."""
    text = ok(done, server)
    if text.startswith("Displaying"):
        text = text.split("\n", 1)[1]
    return yaml.safe_load(text)


def create_job(deadline, ids, **extra) -> str:
    return deadline.create_job(**ids, priority=50, templateType="JSON", template=TWO_TASKS, **extra)["jobId"]


# --- farms -----------------------------------------------------------------------------------------

def test_farm_list_with_a_region_prints_every_farm_once_with_its_name(run_cli, deadline, farm, server):
    rows = printed(run_cli("farm", "list", "--region", REGION), server)
    expected = {(f["farmId"], f["displayName"])
                for page in deadline.get_paginator("list_farms").paginate() for f in page["farms"]}
    assert sorted(r["farmId"] for r in rows) == sorted(farm_id for farm_id, _ in expected)
    # Names as the CLI prints them: YAML does not keep a trailing newline or some control characters
    # that other tests' farms (fuzzed names) may have, so those names are compared only by id.
    plain = {(farm_id, name) for farm_id, name in expected if name == name.strip() and name.isprintable()}
    assert plain <= {(r["farmId"], r["displayName"]) for r in rows}
    assert {"region": REGION, "farmId": farm["farmId"], "displayName": "cli farm"} in rows


def test_farm_list_with_the_deadline_endpoint_variable_asks_only_the_session_region(run_cli, farm, server):
    # The CLI fans ListFarms out over every Deadline region unless AWS_ENDPOINT_URL_DEADLINE (or
    # DEADLINE_CLOUD_REGIONS) says there is one endpoint; then it asks the session region alone.
    rows = printed(run_cli("farm", "list", env_extra={"AWS_ENDPOINT_URL_DEADLINE": server.endpoint}), server)
    mine = [r for r in rows if r["farmId"] == farm["farmId"]]
    assert mine == [{"region": REGION, "farmId": farm["farmId"], "displayName": "cli farm"}]


def test_farm_get_prints_the_farm(run_cli, farm, server):
    shown = printed(run_cli("farm", "get", "--farm-id", farm["farmId"]), server)
    assert shown["farmId"] == farm["farmId"]
    assert shown["displayName"] == "cli farm" and shown["description"] == "read by the deadline CLI"
    assert shown["createdBy"].endswith(":user/admin")


def test_farm_get_of_an_unknown_farm_fails_with_the_server_error(run_cli):
    done = run_cli("farm", "get", "--farm-id", "farm-00000000000000000000000000000000")
    assert done.returncode != 0
    assert "ResourceNotFoundException" in done.stdout + done.stderr


# --- queues and fleets -----------------------------------------------------------------------------

def test_queue_list_prints_the_farms_queues(run_cli, deadline, farm, server):
    rows = printed(run_cli("queue", "list", "--farm-id", farm["farmId"]), server)
    expected = [{"queueId": q["queueId"], "displayName": q["displayName"]}
                for q in deadline.list_queues(farmId=farm["farmId"])["queues"]]
    assert sorted(rows, key=lambda r: r["queueId"]) == sorted(expected, key=lambda r: r["queueId"])
    assert {"queueId": farm["queueId"], "displayName": "cli queue"} in rows


def test_queue_get_prints_the_queue(run_cli, farm, server):
    shown = printed(run_cli("queue", "get", "--farm-id", farm["farmId"], "--queue-id", farm["queueId"]), server)
    assert (shown["farmId"], shown["queueId"], shown["displayName"]) == (farm["farmId"], farm["queueId"],
                                                                         "cli queue")
    assert shown["status"] in ("IDLE", "SCHEDULING")
    assert shown["jobRunAsUser"] == {"runAs": "WORKER_AGENT_USER"}
    assert "jobAttachmentSettings" not in shown  # absent, so bundle submit skips job attachments


def test_fleet_list_prints_the_farms_fleets(run_cli, farm, server):
    rows = printed(run_cli("fleet", "list", "--farm-id", farm["farmId"]), server)
    assert rows == [{"fleetId": farm["fleetId"], "displayName": "cli fleet"}]


def test_fleet_get_prints_the_fleet_with_its_worker_count(run_cli, farm, server):
    shown = printed(run_cli("fleet", "get", "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"]), server)
    assert (shown["fleetId"], shown["farmId"], shown["displayName"]) == (farm["fleetId"], farm["farmId"],
                                                                         "cli fleet")
    assert shown["status"] == "ACTIVE" and shown["workerCount"] == 1 and shown["maxWorkerCount"] == 2
    assert shown["configuration"] == LINUX_FLEET
    assert shown["roleArn"] == ROLE


def test_fleet_get_without_a_fleet_prints_the_default_queues_fleets(run_cli, farm, server, tmp_path):
    # 0.60.10 ignores `fleet get --queue-id` (it reads only defaults.queue_id), so the queue is set
    # as the default in a config file of this test's own.
    config = {"DEADLINE_CONFIG_FILE_PATH": str(tmp_path / "deadline-config")}
    for setting, value in (("defaults.farm_id", farm["farmId"]), ("defaults.queue_id", farm["queueId"])):
        ok(run_cli("config", "set", setting, value, env_extra=config))
    text = ok(run_cli("fleet", "get", env_extra=config), server)
    header, body = text.split("\n", 1)
    assert header == "Showing all fleets (1 total) associated with queue: cli queue"
    shown = yaml.safe_load(body)
    assert (shown["fleetId"], shown["displayName"]) == (farm["fleetId"], "cli fleet")
    assert shown["queueFleetAssociationStatus"] == "ACTIVE"


# --- workers ---------------------------------------------------------------------------------------

def test_worker_list_prints_the_started_worker(run_cli, deadline, farm, server):
    done = run_cli("worker", "list", "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"])
    assert ok(done, server).startswith("Displaying 1 of 1 workers starting at 0")
    (row,) = printed(done)
    expected = deadline.get_worker(farmId=farm["farmId"], fleetId=farm["fleetId"], workerId=farm["workerId"])
    assert row["workerId"] == farm["workerId"]
    assert row["status"] == expected["status"] and row["status"] in ("STARTED", "IDLE")
    assert row["createdAt"] == expected["createdAt"]  # yaml reads the printed timestamp back as a datetime


# --- jobs ------------------------------------------------------------------------------------------

def test_bundle_submit_creates_a_job_with_the_bundles_parameters(run_cli, deadline, own_queue, server):
    done = run_cli("bundle", "submit", str(HELLO), "--farm-id", own_queue["farmId"],
                   "--queue-id", own_queue["queueId"], "--yes", "-p", "Message=from the cli")
    text = ok(done, server)
    assert "Submitting to Queue: jobs queue" in text and "Job creation completed successfully" in text
    job_id = text.split()[-1]
    job = deadline.get_job(**own_queue, jobId=job_id)
    # parameter_values.yaml sets Frames; -p sets Message; the template's default fills SecondsPerFrame.
    assert job["name"] == "Hello Farmstead"
    assert job["parameters"] == {"Frames": {"string": "1-6"}, "Message": {"string": "from the cli"},
                                 "SecondsPerFrame": {"int": "1"}}
    assert job["priority"] == 50 and job["lifecycleStatus"] == "CREATE_COMPLETE"
    assert job["taskRunStatus"] == "READY" and job["taskRunStatusCounts"]["READY"] == 6
    assert job["description"] == "Prints a message once per frame, reporting progress as it goes."


def test_bundle_submit_passes_its_job_options_through(run_cli, deadline, own_queue, server):
    done = run_cli("bundle", "submit", str(HELLO), "--farm-id", own_queue["farmId"],
                   "--queue-id", own_queue["queueId"], "--yes", "--name", "renamed", "--priority", "70",
                   "--max-retries-per-task", "2", "--max-failed-tasks-count", "4",
                   "--target-task-run-status", "suspended")
    job = deadline.get_job(**own_queue, jobId=ok(done, server).split()[-1])
    assert job["name"] == "renamed" and job["priority"] == 70
    assert (job["maxRetriesPerTask"], job["maxFailedTasksCount"]) == (2, 4)
    assert job["taskRunStatus"] == "SUSPENDED" and job["taskRunStatusCounts"]["SUSPENDED"] == 6


def test_job_list_prints_the_queues_jobs_newest_first(run_cli, deadline, own_queue, server):
    first = create_job(deadline, own_queue)
    second = create_job(deadline, own_queue, targetTaskRunStatus="SUSPENDED")
    done = run_cli("job", "list", "--farm-id", own_queue["farmId"], "--queue-id", own_queue["queueId"])
    assert ok(done, server).startswith("Displaying 2 of 2 Jobs starting at 0")
    rows = printed(done)
    assert [(r["jobId"], r["name"], r["taskRunStatus"]) for r in rows] == [
        (second, "two tasks", "SUSPENDED"), (first, "two tasks", "READY")]
    assert all(r["createdBy"].endswith(":user/admin") and r["startedAt"] == "" for r in rows)


def test_job_get_prints_the_job(run_cli, deadline, own_queue, server):
    job_id = create_job(deadline, own_queue, maxRetriesPerTask=1)
    shown = printed(run_cli("job", "get", "--farm-id", own_queue["farmId"], "--queue-id", own_queue["queueId"],
                            "--job-id", job_id), server)
    assert (shown["jobId"], shown["name"], shown["taskRunStatus"]) == (job_id, "two tasks", "READY")
    assert shown["lifecycleStatus"] == "CREATE_COMPLETE" and shown["maxRetriesPerTask"] == 1
    assert shown["taskRunStatusCounts"]["READY"] == 2


def test_job_cancel_cancels_every_task(run_cli, deadline, own_queue, server):
    job_id = create_job(deadline, own_queue)
    done = run_cli("job", "cancel", "--farm-id", own_queue["farmId"], "--queue-id", own_queue["queueId"],
                   "--job-id", job_id, "--yes")
    text = ok(done, server)
    assert "Canceling job..." in text and job_id in text
    job = deadline.get_job(**own_queue, jobId=job_id)
    assert job["taskRunStatus"] == "CANCELED" and job["taskRunStatusCounts"]["CANCELED"] == 2
    assert job["targetTaskRunStatus"] == "CANCELED"


def test_job_cancel_can_mark_the_tasks_failed(run_cli, deadline, own_queue, server):
    job_id = create_job(deadline, own_queue)
    ok(run_cli("job", "cancel", "--farm-id", own_queue["farmId"], "--queue-id", own_queue["queueId"],
               "--job-id", job_id, "--mark-as", "failed", "--yes"), server)
    job = deadline.get_job(**own_queue, jobId=job_id)
    assert job["taskRunStatus"] == "FAILED" and job["taskRunStatusCounts"]["FAILED"] == 2


def _wait(cli_bin, cli_env, ids, job_id) -> subprocess.Popen:
    return subprocess.Popen([str(cli_bin), "job", "wait", "--farm-id", ids["farmId"], "--queue-id",
                             ids["queueId"], "--job-id", job_id, "--max-poll-interval", "1", "--timeout", "60",
                             "--output", "json"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.fixture
def lone_worker_queue(deadline, farm) -> tuple[dict[str, str], ScriptedWorker]:
    """A queue served by a fleet of its own with one scripted worker, so it runs only this test's job."""
    queue_id = deadline.create_queue(farmId=farm["farmId"], displayName="wait queue",
                                     jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm["farmId"], displayName="wait fleet", roleArn=ROLE,
                                     maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm["farmId"], queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm["farmId"], "queueId": queue_id}, ScriptedWorker(deadline, farm["farmId"], fleet_id)


def test_job_wait_returns_zero_once_the_job_succeeds(cli_bin, cli_env, deadline, lone_worker_queue, server):
    ids, worker = lone_worker_queue
    job_id = create_job(deadline, ids)
    waiting = _wait(cli_bin, cli_env, ids, job_id)
    worker.run()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, out + err + server.log_text()[-4000:]
    result = json.loads(out)
    assert (result["jobId"], result["jobName"], result["status"]) == (job_id, "two tasks", "SUCCEEDED")
    assert result["failedTasks"] == []


def test_job_wait_exits_two_and_names_the_failed_tasks(cli_bin, cli_env, deadline, lone_worker_queue, server):
    ids, worker = lone_worker_queue
    job_id = create_job(deadline, ids, maxRetriesPerTask=0)
    waiting = _wait(cli_bin, cli_env, ids, job_id)
    worker.run(lambda action: "FAILED")
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 2, out + err + server.log_text()[-4000:]
    result = json.loads(out)
    assert (result["jobId"], result["status"]) == (job_id, "FAILED")
    tasks = {t["taskId"] for t in deadline.list_tasks(**ids, jobId=job_id, stepId=result["failedTasks"][0]["stepId"])
             ["tasks"]}
    assert {t["taskId"] for t in result["failedTasks"]} == tasks
    assert all(t["stepName"] == "Work" and t["sessionId"].startswith("session-") for t in result["failedTasks"])


def test_job_wait_exits_three_for_a_canceled_job(run_cli, deadline, own_queue, server):
    job_id = create_job(deadline, own_queue)
    deadline.update_job(**own_queue, jobId=job_id, targetTaskRunStatus="CANCELED")
    done = run_cli("job", "wait", "--farm-id", own_queue["farmId"], "--queue-id", own_queue["queueId"],
                   "--job-id", job_id, "--timeout", "30", "--output", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "CANCELED"


def test_requeue_tasks_is_refused_for_failed_tasks_whose_retries_ran_out_until_they_are_raised(
        run_cli, deadline, server, unique_name):
    """`deadline job requeue-tasks` sends UpdateTask(targetRunStatus=PENDING) per FAILED, CANCELED or
    SUSPENDED task. As AWS documents, a FAILED task that used its retries can't be requeued until
    maxRetriesPerTask grows: the CLI stops at that refusal (ConflictException). After the job's limit is
    raised it requeues exactly those tasks, and they are READY at once (their step has no dependencies)."""
    from support.worker_jobs import finish_frames, served_queue, submit

    farm = served_queue(deadline, deadline.create_farm(displayName=unique_name("requeue"))["farmId"])
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
    job_id = submit(deadline, farm, "1-6", maxRetriesPerTask=0, maxFailedTasksCount=10)
    finish_frames(deadline, farm, {2, 5})
    args = ["job", "requeue-tasks", "--farm-id", ids["farmId"], "--queue-id", ids["queueId"], "--job-id", job_id,
            "--yes"]

    def counts() -> dict[str, int]:
        return {k: v for k, v in deadline.get_job(**ids, jobId=job_id)["taskRunStatusCounts"].items() if v}

    assert counts() == {"SUCCEEDED": 4, "FAILED": 2}
    refused = run_cli(*args)
    assert refused.returncode == 1 and "ConflictException" in refused.stdout + refused.stderr
    assert "RETRIES_EXHAUSTED" in refused.stdout + refused.stderr
    assert counts() == {"SUCCEEDED": 4, "FAILED": 2}
    deadline.update_job(**ids, jobId=job_id, maxRetriesPerTask=1)
    done = run_cli(*args)
    assert done.returncode == 0 and "Requeued a total of 2 tasks." in done.stdout, done.stdout + done.stderr
    assert counts() == {"SUCCEEDED": 4, "READY": 2}
