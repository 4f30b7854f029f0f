"""Job attachments with Farmstead's own clients: `farmstead submit` uploads a bundle's inputs, Farmstead's
worker syncs them, runs the job and uploads its outputs, and `farmstead submit --wait` downloads them.

The S3 store is SeaweedFS (farmstead.testing.s3_store).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET

BUCKET = "own-clients"
ROOT_PREFIX = "Attachments"
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "upper and count",
    "parameterDefinitions": [
        {"name": "Inputs", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "IN"},
        {"name": "OutDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT"},
    ],
    "steps": [{"name": "Upper", "script": {"actions": {"onRun": {"command": "bash", "args": [
        "-c", "mkdir -p '{{Param.OutDir}}/counts'"
              " && cat '{{Param.Inputs}}'/*.txt | tr a-z A-Z > '{{Param.OutDir}}/upper.txt'"
              " && wc -l < '{{Param.OutDir}}/upper.txt' > '{{Param.OutDir}}/counts/lines.txt'"]}}}}],
}


@pytest.fixture
def farm(store, tmp_path):
    (tmp_path / "server").mkdir()
    live = LiveServer(tmp_path / "server", extra_env=store.server_env()).start()
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="own attachments")["farmId"]
    queue_id = deadline.create_queue(
        farmId=farm_id, displayName="q", roleArn="arn:aws:iam::000000000000:role/queue",
        jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
        jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    yield {"server": live, "deadline": deadline, "farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
    live.stop()


def env_for(farm, store) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARMSTEAD_"))}
    env.update({"AWS_ENDPOINT_URL": farm["server"].endpoint, "AWS_ENDPOINT_URL_S3": store.endpoint,
                "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
                "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def test_submit_wait_round_trips_inputs_and_outputs_through_the_farmstead_worker(store, farm, tmp_path):
    project = tmp_path / "project"
    (project / "in").mkdir(parents=True)
    (project / "in" / "a.txt").write_text("one\n")
    (project / "in" / "b.txt").write_text("two\n")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "template.json").write_text(json.dumps(TEMPLATE))
    (bundle / "parameter_values.yaml").write_text(yaml.safe_dump({"parameterValues": [
        {"name": "Inputs", "value": str(project / "in")}, {"name": "OutDir", "value": str(project / "out")}]}))
    env = env_for(farm, store)
    work = tmp_path / "worker"
    work.mkdir()
    worker = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--work-dir", str(work)],
        env=env, stdout=open(work / "out.txt", "wb"), stderr=subprocess.STDOUT)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "farmstead", "submit", str(bundle), "--wait", "--endpoint-url",
             farm["server"].endpoint, "--farm-id", farm["farmId"], "--queue-id", farm["queueId"]],
            env=env, capture_output=True, text=True, timeout=120)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert done.returncode == 0, done.stdout + done.stderr + (work / "out.txt").read_text()[-3000:]
    assert "2 input file(s)" in done.stderr
    assert "Job attachments: 2 output file(s) downloaded" in done.stdout
    assert (project / "out" / "upper.txt").read_text() == "ONE\nTWO\n"
    assert (project / "out" / "counts" / "lines.txt").read_text().strip() == "2"
    # Content-addressed: the two inputs and two outputs are four distinct contents.
    assert len(store.keys(BUCKET, f"{ROOT_PREFIX}/Data/")) >= 4


def test_submit_refuses_a_missing_input_before_creating_the_job(store, farm, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "template.json").write_text(json.dumps(TEMPLATE))
    done = subprocess.run(
        [sys.executable, "-m", "farmstead", "submit", str(bundle), "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--queue-id", farm["queueId"], "-p", f"Inputs={tmp_path / 'nowhere'}",
         "-p", f"OutDir={tmp_path / 'out'}"], env=env_for(farm, store), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"input path(s) not found: {tmp_path / 'nowhere'}" in done.stderr
    assert farm["deadline"].list_jobs(farmId=farm["farmId"], queueId=farm["queueId"])["jobs"] == []
