"""The rest of the official `deadline` CLI's commands against Farmstead, most of them job-attachment ones.

One server configured with an S3 store (SeaweedFS), a queue that keeps attachments there, Farmstead's
worker serving it, and one job submitted with `deadline bundle submit` and run to SUCCEEDED. The
commands then read that job (downloads, manifests, logs, traces) or the queue (shared bundles,
credentials, parameter definitions). The README's compatibility table names each command's test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.config import Config

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.s3_store import S3Store
from farmstead.testing.scripted_worker import LINUX_FLEET
from farmstead.testing.waiting import wait_until

pytestmark = pytest.mark.official_clients

BUCKET = "cli-commands"
ROOT_PREFIX = "Root"
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "shout",
    "parameterDefinitions": [
        {"name": "InFile", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "OutDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT"},
    ],
    "steps": [{"name": "Shout", "script": {"actions": {"onRun": {"command": "bash", "args": [
        "-c", "echo shouting; mkdir -p '{{Param.OutDir}}'"
              " && tr a-z A-Z < '{{Param.InFile}}' > '{{Param.OutDir}}/shout.txt'"]}}}}],
}


@pytest.fixture(scope="module")
def setup(cli_bin, tmp_path_factory):
    """Store, server, queue with attachments, a running Farmstead worker and one finished job."""
    tmp = tmp_path_factory.mktemp("cli-commands")
    store = S3Store.start()
    store.create_bucket(BUCKET)
    (tmp / "server").mkdir()
    live = LiveServer(tmp / "server", extra_env=store.server_env()).start()
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="cli commands")["farmId"]
    queue_id = deadline.create_queue(
        farmId=farm_id, displayName="attachments", roleArn="arn:aws:iam::000000000000:role/q",
        jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
        jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    home = tmp / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_", "FARMSTEAD_"))}
    env.update({
        "HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
        "AWS_ENDPOINT_URL": live.endpoint, "AWS_ENDPOINT_URL_S3": store.endpoint,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true", "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
        "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true", "COLUMNS": "250",
    })
    (tmp / "worker").mkdir()
    worker = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", live.endpoint, "--farm-id", farm_id,
         "--fleet-id", fleet_id, "--work-dir", str(tmp / "worker")],
        env=env, stdout=open(tmp / "worker" / "out.txt", "wb"), stderr=subprocess.STDOUT)
    project = tmp / "project"
    (project / "input").mkdir(parents=True)
    (project / "input" / "scene.txt").write_text("hello commands\n")
    bundle = tmp / "bundle"
    bundle.mkdir()
    (bundle / "template.json").write_text(json.dumps(TEMPLATE))
    ids = {"farmId": farm_id, "queueId": queue_id}
    context = {"tmp": tmp, "store": store, "live": live, "deadline": deadline, "env": env, "ids": ids,
               "fleetId": fleet_id, "project": project, "bundle": bundle}
    try:
        submitted = run(cli_bin, context, "bundle", "submit", str(bundle), "--yes",
                        "-p", f"InFile={project / 'input' / 'scene.txt'}", "-p", f"OutDir={project / 'output'}",
                        stdin="y\n", with_ids=True)
        context["jobId"] = submitted.split()[-1]
        wait_for(deadline, {**ids, "jobId": context["jobId"]}, tmp)
        yield context
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        live.stop()
        store.stop()


def run(cli_bin: Path, context, *args: str, stdin: str | None = None, with_ids: bool = False,
        cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    ids = ["--farm-id", context["ids"]["farmId"], "--queue-id", context["ids"]["queueId"]] if with_ids else []
    done = subprocess.run([str(cli_bin), *args, *ids], env={**context["env"], **(env or {})}, input=stdin,
                          capture_output=True,
                          text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr + context["live"].log_text()[-3000:]
    return done.stdout


def wait_for(deadline, ids: dict[str, str], tmp: Path, timeout: float = 60) -> dict:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        job = deadline.get_job(**ids)
        if job["taskRunStatus"] in ("SUCCEEDED", "FAILED", "CANCELED"):
            assert job["taskRunStatus"] == "SUCCEEDED", (tmp / "worker" / "out.txt").read_text()[-3000:]
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {ids['jobId']} did not end: {(tmp / 'worker' / 'out.txt').read_text()[-3000:]}")


def job_args(context) -> list[str]:
    return ["--farm-id", context["ids"]["farmId"], "--queue-id", context["ids"]["queueId"],
            "--job-id", context["jobId"]]


def removed(path: Path) -> Path:
    subprocess.run(["rm", "-rf", str(path)], check=True)
    return path


# --- downloads -------------------------------------------------------------------------------------

def test_job_download_input_brings_the_submitted_files_back(cli_bin, setup):
    removed(setup["project"] / "input")
    out = run(cli_bin, setup, "job", "download-input", *job_args(setup), "--yes", "--output", "json")
    messages = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [m["fileCount"] for m in messages if m["messageType"] == "summary"] == [1]
    assert (setup["project"] / "input" / "scene.txt").read_text() == "hello commands\n"


def test_handle_web_url_download_output_writes_the_outputs(cli_bin, setup):
    removed(setup["project"] / "output")
    url = (f"deadline://download-output?farm-id={setup['ids']['farmId']}&queue-id={setup['ids']['queueId']}"
           f"&job-id={setup['jobId']}")
    run(cli_bin, setup, "handle-web-url", url, stdin="y\n")  # it asks to confirm the root directories
    assert (setup["project"] / "output" / "shout.txt").read_text() == "HELLO COMMANDS\n"


def test_queue_sync_output_downloads_the_queues_recent_outputs(cli_bin, setup):
    removed(setup["project"] / "output")
    out = run(cli_bin, setup, "queue", "sync-output", "--ignore-storage-profiles", "--bootstrap-lookback-minutes",
              "60", "--checkpoint-dir", str(setup["tmp"] / "checkpoints"), with_ids=True)
    assert "1 file" in out.splitlines()[-1] and "1 job" in out.splitlines()[-1]
    assert (setup["project"] / "output" / "shout.txt").read_text() == "HELLO COMMANDS\n"


# --- manifests and attachments -----------------------------------------------------------------------

def test_manifest_download_writes_the_jobs_merged_manifest(cli_bin, setup, tmp_path):
    out = run(cli_bin, setup, "manifest", "download", str(tmp_path), *job_args(setup), "--asset-type", "all",
              "--json")
    (entry,) = json.loads(out.splitlines()[-1])["downloaded"]
    assert entry["manifest_root"] == str(setup["project"])
    manifest = json.loads(Path(tmp_path / entry["local_manifest_path"]).read_text())
    assert sorted(p["path"] for p in manifest["paths"]) == ["input/scene.txt", "output/shout.txt"]


def test_manifest_snapshot_diff_and_upload(cli_bin, setup, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "snap").mkdir()
    (root / "a.txt").write_text("a")
    out = run(cli_bin, setup, "manifest", "snapshot", "--root", str(root), "-d", str(tmp_path / "snap"), "--json")
    manifest = json.loads(out.splitlines()[-1])["manifest"]
    (root / "b.txt").write_text("b")
    diff = json.loads(run(cli_bin, setup, "manifest", "diff", "--root", str(root), "--manifest", manifest, "--json"))
    assert diff["new"] == ["b.txt"] and diff["modified"] == [] and diff["deleted"] == []
    # With --s3-cas-uri the CLI signs S3 with the caller's own keys, not the queue's: here the store's.
    store = setup["store"].store
    run(cli_bin, setup, "manifest", "upload", manifest, "--s3-cas-uri", f"s3://{BUCKET}/{ROOT_PREFIX}", "--json",
        with_ids=True, env={"AWS_ACCESS_KEY_ID": store.access_key_id, "AWS_SECRET_ACCESS_KEY": store.secret_access_key})
    assert f"{ROOT_PREFIX}/Manifests/{Path(manifest).name}" in setup["store"].keys(BUCKET, f"{ROOT_PREFIX}/Manifests/")


def test_attachment_upload_then_download_round_trips_a_manifests_files(cli_bin, setup, tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "c.txt").write_text("content c")
    (tmp_path / "snap").mkdir()
    out = run(cli_bin, setup, "manifest", "snapshot", "--root", str(root), "-d", str(tmp_path / "snap"), "--json")
    manifest = json.loads(out.splitlines()[-1])["manifest"]
    run(cli_bin, setup, "attachment", "upload", "-m", manifest, "-r", str(root), "--json", with_ids=True)
    work = tmp_path / "download"
    work.mkdir()
    out = run(cli_bin, setup, "attachment", "download", "-m", manifest, "--json", with_ids=True, cwd=work)
    assert json.loads(out.splitlines()[-1])["processed_files"] == 1
    assert (work / Path(manifest).name / "sub" / "c.txt").read_text() == "content c"


# --- shared bundles ---------------------------------------------------------------------------------

def test_shared_bundles_upload_list_info_hide_unhide_and_download(cli_bin, setup, tmp_path):
    run(cli_bin, setup, "bundle", "upload", str(setup["bundle"]), "--name", "shared-shout", "--yes", with_ids=True)
    listed = json.loads(run(cli_bin, setup, "bundle", "list", "--queue", "--output", "json", with_ids=True))
    assert {"name": "shared-shout", "path": f"s3://{BUCKET}/{ROOT_PREFIX}/job-bundles/shared-shout.ojd",
            "format": "archive"} in listed
    info = json.loads(run(cli_bin, setup, "bundle", "info", "shared-shout", "--queue", "--output", "json",
                          with_ids=True))
    assert info["name"] == "shout" and info["steps"] == ["Shout"]
    run(cli_bin, setup, "bundle", "hide", "shared-shout", with_ids=True)
    assert json.loads(run(cli_bin, setup, "bundle", "list", "--queue", "--output", "json", with_ids=True)) == []
    run(cli_bin, setup, "bundle", "unhide", "shared-shout", with_ids=True)
    run(cli_bin, setup, "bundle", "download", "shared-shout", "-o", str(tmp_path / "dl"), "--yes", "--output", "json",
        with_ids=True)
    assert json.loads((tmp_path / "dl" / "shared-shout" / "template.json").read_text()) == TEMPLATE


def test_bundle_info_of_a_local_bundle_names_its_steps_and_parameters(cli_bin, setup):
    info = json.loads(run(cli_bin, setup, "bundle", "info", str(setup["bundle"]), "--output", "json"))
    assert info["name"] == "shout" and [p["name"] for p in info["parameters"]] == ["InFile", "OutDir"]


# --- credentials ------------------------------------------------------------------------------------

def test_queue_export_credentials_prints_keys_for_the_bucket_and_the_queue(cli_bin, setup):
    exported = json.loads(run(cli_bin, setup, "queue", "export-credentials", "--mode", "user", with_ids=True))
    assert exported["Version"] == 1
    session = boto3.session.Session(aws_access_key_id=exported["AccessKeyId"],
                                    aws_secret_access_key=exported["SecretAccessKey"],
                                    aws_session_token=exported["SessionToken"], region_name=REGION)
    s3 = session.client("s3", endpoint_url=setup["store"].endpoint)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{ROOT_PREFIX}/Data/")["KeyCount"] >= 2
    queue = session.client("deadline", endpoint_url=setup["live"].endpoint,
                           config=Config(inject_host_prefix=False)).get_queue(**setup["ids"])
    assert queue["jobAttachmentSettings"] == {"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX}


def test_auth_status_is_authenticated_through_farmsteads_sts(cli_bin, setup):
    status = json.loads(run(cli_bin, setup, "auth", "status", "--output", "json"))
    assert status == {"profile_name": "(default)", "source": "HOST_PROVIDED", "status": "AUTHENTICATED",
                      "api_availability": True}


# --- jobs, workers, queues, config ----------------------------------------------------------------

def test_job_logs_prints_the_sessions_log(cli_bin, setup):
    def printed():
        logs = json.loads(run(cli_bin, setup, "job", "logs", *job_args(setup), "--output", "json"))
        return logs if any(event["message"] == "shouting" for event in logs["events"]) else None

    # The worker ships a session's log lines in batches of its own: they may land after the job's status.
    logs = wait_until(printed, 30, "the session's log line through `deadline job logs`", interval=1)
    assert logs["jobId"] == setup["jobId"] and logs["jobName"] == "shout"


def test_job_trace_schedule_counts_the_sessions_actions(cli_bin, setup):
    out = run(cli_bin, setup, "job", "trace-schedule", *job_args(setup))
    assert "Session Count: 1" in out and "Task Run Count: 1" in out and "Sync Job Attachments Count: 1" in out


def test_job_requeue_tasks_runs_a_succeeded_task_again(cli_bin, setup):
    job_id = setup["deadline"].create_job(**setup["ids"], priority=50, templateType="JSON", template=json.dumps(
        {"specificationVersion": "jobtemplate-2023-09", "name": "again", "steps": [{"name": "Once", "script": {
            "actions": {"onRun": {"command": "true"}}}}]}))["jobId"]
    wait_for(setup["deadline"], {**setup["ids"], "jobId": job_id}, setup["tmp"])
    out = run(cli_bin, setup, "job", "requeue-tasks", "--farm-id", setup["ids"]["farmId"], "--queue-id",
              setup["ids"]["queueId"], "--job-id", job_id, "--run-status", "succeeded", "--yes")
    assert "Requeued a total of 1 tasks." in out
    job = wait_for(setup["deadline"], {**setup["ids"], "jobId": job_id}, setup["tmp"])
    sessions = setup["deadline"].list_sessions(**setup["ids"], jobId=job_id)["sessions"]
    assert job["taskRunStatus"] == "SUCCEEDED" and len(sessions) == 2


def test_worker_get_prints_the_worker(cli_bin, setup):
    worker_id = json.loads((setup["tmp"] / "worker" / "worker.json").read_text())["workerId"]
    shown = yaml.safe_load(run(cli_bin, setup, "worker", "get", "--farm-id", setup["ids"]["farmId"],
                               "--fleet-id", setup["fleetId"], "--worker-id", worker_id))
    assert (shown["workerId"], shown["fleetId"]) == (worker_id, setup["fleetId"])
    assert shown["status"] in ("STARTED", "IDLE")


def test_queue_paramdefs_lists_the_queue_environments_parameters(cli_bin, setup):
    setup["deadline"].create_queue_environment(**setup["ids"], priority=1, templateType="JSON", template=json.dumps({
        "specificationVersion": "environment-2023-09",
        "parameterDefinitions": [{"name": "Renderer", "type": "STRING", "default": "cycles"}],
        "environment": {"name": "Tools", "variables": {"RENDERER": "{{Param.Renderer}}"}}}))
    shown = yaml.safe_load(run(cli_bin, setup, "queue", "paramdefs", with_ids=True))
    assert [(p["name"], p["type"], p["default"]) for p in shown] == [("Renderer", "STRING", "cycles")]


def test_config_set_get_clear_and_show(cli_bin, setup, tmp_path):
    config = {**setup, "env": {**setup["env"], "DEADLINE_CONFIG_FILE_PATH": str(tmp_path / "config")}}
    run(cli_bin, config, "config", "set", "defaults.queue_id", setup["ids"]["queueId"])
    assert run(cli_bin, config, "config", "get", "defaults.queue_id").strip() == setup["ids"]["queueId"]
    assert json.loads(run(cli_bin, config, "config", "show", "--output", "json"))["defaults.queue_id"] == \
        setup["ids"]["queueId"]
    run(cli_bin, config, "config", "clear", "defaults.queue_id")
    assert run(cli_bin, config, "config", "get", "defaults.queue_id").strip() == ""
