"""Job attachments with the official clients, unmodified, against Farmstead and an S3 store (SeaweedFS).

`deadline bundle submit` uploads a bundle's input files, the official worker agent syncs them into
its session, runs the task and uploads what it wrote, `deadline job get` says SUCCEEDED, and
`deadline job download-output` brings the output back to where the job said it would be.
Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.s3_store import STORE_ACCOUNT, S3Store
from farmstead.testing.scripted_worker import LINUX_FLEET

pytestmark = pytest.mark.official_clients

BUCKET = "farmstead-attachments"
ROOT_PREFIX = "DeadlineCloud"
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "shout",
    "parameterDefinitions": [
        {"name": "InFile", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "OutDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT"},
    ],
    "steps": [{"name": "Shout", "script": {
        "actions": {"onRun": {"command": "bash", "args": ["{{Task.File.Run}}"]}},
        "embeddedFiles": [{"name": "Run", "type": "TEXT", "data":
                           "set -eu\nmkdir -p '{{Param.OutDir}}'\n"
                           "tr a-z A-Z < '{{Param.InFile}}' > '{{Param.OutDir}}/shout.txt'\n"
                           "wc -c < '{{Param.InFile}}' > '{{Param.OutDir}}/size.txt'\n"}]}}],
}

# The official agent hands a job the queue role's keys through AWS_PROFILE (a credential_process):
# with attachments those are the store's keys, and the job calls Farmstead with them.
PROBE = """import boto3, os
identity = boto3.client("sts").get_caller_identity()
queue = boto3.client("deadline").get_queue(farmId=os.environ["DEADLINE_FARM_ID"],
                                           queueId=os.environ["DEADLINE_QUEUE_ID"])
print(identity["Account"], queue["displayName"])
"""
AGENT_TEMPLATE = {
    **TEMPLATE,
    "parameterDefinitions": [*TEMPLATE["parameterDefinitions"], {"name": "Python", "type": "STRING"}],
    "steps": [{"name": "Shout", "script": {
        "actions": {"onRun": {"command": "bash", "args": ["{{Task.File.Run}}"]}},
        "embeddedFiles": [
            {"name": "Run", "type": "TEXT",
             "data": TEMPLATE["steps"][0]["script"]["embeddedFiles"][0]["data"]
             + "'{{Param.Python}}' '{{Task.File.Probe}}' > '{{Param.OutDir}}/identity.txt'\n"},
            {"name": "Probe", "type": "TEXT", "data": PROBE}]}}],
}


@pytest.fixture
def farm(live):
    """A farm whose queue keeps attachments in the store, with a fleet of its own for this test's worker."""
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="attachments")["farmId"]
    queue_id = deadline.create_queue(
        farmId=farm_id, displayName="attachments queue", roleArn="arn:aws:iam::000000000000:role/queue",
        jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
        jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"server": live, "deadline": deadline, "farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def client_env(farm, store, home: Path) -> dict[str, str]:
    """Standard AWS variables only: Deadline (and logs, STS) at Farmstead, S3 at the store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_", "FARMSTEAD_"))}
    env.update({
        "HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
        "AWS_ENDPOINT_URL": farm["server"].endpoint, "AWS_ENDPOINT_URL_S3": store.endpoint,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET, "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true", "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true", "COLUMNS": "250",
    })
    return env


def start_official_agent(agent_bin: Path, farm, env: dict[str, str], work: Path) -> subprocess.Popen:
    for sub in ("persist", "logs", "sessions"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(agent_bin), "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--run-jobs-as-agent-user",
         "--no-shutdown", "--no-host-metrics-logging", "--persistence-dir", str(work / "persist"),
         "--logs-dir", str(work / "logs"), "--session-root-dir", str(work / "sessions")],
        env=env, stdout=open(work / "agent.out", "wb"), stderr=subprocess.STDOUT)


def start_farmstead_worker(farm, env: dict[str, str], work: Path) -> subprocess.Popen:
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--work-dir", str(work)],
        env=env, stdout=open(work / "agent.out", "wb"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_project(directory: Path, template: dict = TEMPLATE) -> tuple[Path, Path]:
    """(bundle, project): a bundle with the template, and a project with one input file."""
    project = directory / "project"
    (project / "input").mkdir(parents=True)
    (project / "input" / "scene.txt").write_text("hello attachments\n")
    bundle = directory / "bundle"
    bundle.mkdir()
    (bundle / "template.json").write_text(json.dumps(template))
    return bundle, project


def cli_submit(cli_bin: Path, farm, env, bundle: Path, project: Path, *extra: str) -> str:
    # Files outside any storage profile make the CLI ask for confirmation even with --yes: answer y.
    submitted = subprocess.run(
        [str(cli_bin), "bundle", "submit", str(bundle), "--farm-id", farm["farmId"], "--queue-id", farm["queueId"],
         "--yes", "-p", f"InFile={project / 'input' / 'scene.txt'}", "-p", f"OutDir={project / 'output'}", *extra],
        env=env, input="y\n", capture_output=True, text=True, timeout=180)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr + farm["server"].log_text()[-4000:]
    return submitted.stdout.split()[-1]


def cli_wait_status(cli_bin: Path, farm, env, job_id: str, log: Path, timeout: float = 120) -> str:
    """`deadline job get` until the job ends; its final taskRunStatus."""
    give_up = time.monotonic() + timeout
    status = None
    while time.monotonic() < give_up:
        shown = subprocess.run([str(cli_bin), "job", "get", "--farm-id", farm["farmId"], "--queue-id",
                                farm["queueId"], "--job-id", job_id], env=env, capture_output=True, text=True,
                               timeout=60)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        status = yaml.safe_load(shown.stdout)["taskRunStatus"]
        if status in ("SUCCEEDED", "FAILED", "CANCELED"):
            return status
        time.sleep(2)
    raise AssertionError(f"job still {status}: {log.read_text(errors='replace')[-5000:]}")


def cli_download_and_check(cli_bin: Path, farm, env, job_id: str, project: Path) -> None:
    assert not (project / "output").exists()  # the job ran in the worker's session directory
    downloaded = subprocess.run([str(cli_bin), "job", "download-output", "--farm-id", farm["farmId"],
                                 "--queue-id", farm["queueId"], "--job-id", job_id, "--yes", "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=180)
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert (project / "output" / "shout.txt").read_text() == "HELLO ATTACHMENTS\n"
    assert (project / "output" / "size.txt").read_text().strip() == "18"


def test_bundle_inputs_run_on_the_official_agent_and_outputs_download_with_the_cli(
        cli_bin, agent_bin, store, farm, tmp_path):
    bundle, project = write_project(tmp_path, AGENT_TEMPLATE)
    env = client_env(farm, store, tmp_path / "home")
    job_id = cli_submit(cli_bin, farm, env, bundle, project, "-p", f"Python={agent_bin.parent / 'python'}")

    # The input went to the store, content-addressed, with its manifest.
    job = farm["deadline"].get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
    (manifest,) = job["attachments"]["manifests"]
    assert manifest["rootPath"] == str(project) and manifest["outputRelativeDirectories"] == ["output"]
    input_key = f"{ROOT_PREFIX}/Manifests/{manifest['inputManifestPath']}"
    assert store.keys(BUCKET, input_key) == [input_key]
    content_key = f"{ROOT_PREFIX}/Data/{manifest_file_hash(store, input_key)}.xxh128"
    assert content_key in store.keys(BUCKET, f"{ROOT_PREFIX}/Data/")

    agent_env = profile_env(client_env(farm, store, tmp_path / "agent-home"))
    agent = start_official_agent(agent_bin, farm, agent_env, tmp_path / "agent")
    try:
        assert cli_wait_status(cli_bin, farm, env, job_id, tmp_path / "agent" / "agent.out") == "SUCCEEDED"
    finally:
        stop(agent)
    cli_download_and_check(cli_bin, farm, env, job_id, project)
    # The job signed with the store's keys (Farmstead's STS names the store's account for them, not
    # Farmstead's), and Farmstead accepted them for its queue.
    assert (project / "output" / "identity.txt").read_text() == f"{STORE_ACCOUNT} attachments queue\n"


def profile_env(env: dict[str, str]) -> dict[str, str]:
    """The agent's bootstrap keys in a profile, not in the environment its jobs inherit (docs/compatibility.md)."""
    home = Path(env["HOME"])
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[bootstrap]\naws_access_key_id = {env.pop('AWS_ACCESS_KEY_ID')}\n"
        f"aws_secret_access_key = {env.pop('AWS_SECRET_ACCESS_KEY')}\n")
    return {**env, "AWS_PROFILE": "bootstrap"}


def test_bundle_inputs_run_on_the_farmstead_worker_and_outputs_download_with_the_cli(
        cli_bin, store, farm, tmp_path):
    bundle, project = write_project(tmp_path)
    env = client_env(farm, store, tmp_path / "home")
    job_id = cli_submit(cli_bin, farm, env, bundle, project)
    worker = start_farmstead_worker(farm, client_env(farm, store, tmp_path / "worker-home"), tmp_path / "worker")
    try:
        assert cli_wait_status(cli_bin, farm, env, job_id, tmp_path / "worker" / "agent.out") == "SUCCEEDED"
    finally:
        stop(worker)
    cli_download_and_check(cli_bin, farm, env, job_id, project)
    # The task's report carried its output manifest, as the official agent's does.
    (action,) = [a for a in farm["deadline"].list_session_actions(farmId=farm["farmId"], queueId=farm["queueId"],
                                                                   jobId=job_id)["sessionActions"]
                 if "taskRun" in a["definition"]]
    (reported,) = action["manifests"]
    assert reported["outputManifestPath"].startswith(f"{farm['farmId']}/{farm['queueId']}/{job_id}/")


def manifest_file_hash(store: S3Store, key: str) -> str:
    body = store.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    (entry,) = json.loads(body)["paths"]
    assert entry["path"] == "input/scene.txt" and entry["size"] == 18
    return entry["hash"]


def test_farmstead_submit_uploads_inputs_the_official_agent_reads_and_the_cli_downloads_outputs(
        cli_bin, agent_bin, store, farm, tmp_path):
    bundle, project = write_project(tmp_path)
    env = client_env(farm, store, tmp_path / "home")
    submitted = subprocess.run(
        [sys.executable, "-m", "farmstead", "submit", str(bundle), "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--queue-id", farm["queueId"],
         "-p", f"InFile={project / 'input' / 'scene.txt'}", "-p", f"OutDir={project / 'output'}"],
        env=env, capture_output=True, text=True, timeout=120)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    job_id = next(word for word in submitted.stdout.split() if word.startswith("job-"))
    # The bootstrap keys in a profile: in the environment they would outrank the queue keys the agent
    # hands its attachment sync, and a store that checks keys (moto did not) refuses Farmstead's own.
    agent_env = profile_env(client_env(farm, store, tmp_path / "agent-home"))
    agent = start_official_agent(agent_bin, farm, agent_env, tmp_path / "agent")
    try:
        assert cli_wait_status(cli_bin, farm, env, job_id, tmp_path / "agent" / "agent.out") == "SUCCEEDED"
    finally:
        stop(agent)
    cli_download_and_check(cli_bin, farm, env, job_id, project)
