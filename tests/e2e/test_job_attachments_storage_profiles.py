"""`farmstead submit --storage-profile-id`: the job carries the submitting host's storage profile, so the
server's path mapping (job profile -> the worker fleet's profile) reaches Farmstead's worker; files under
the profile's LOCAL location travel as a root named by it, files under its SHARED location are read in
place on the worker's side of the share, and outputs come back with --wait.

SeaweedFS is the S3 store; the "share" is two directories, one per host's view of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import yaml

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.s3_store import S3Store
from farmstead.testing.scripted_worker import LINUX_FLEET

BUCKET = "storage-profiles"
ROOT_PREFIX = "Attachments"
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "scene with a shared reference",
    "parameterDefinitions": [
        {"name": "Scene", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "Reference", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "OutDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT"},
    ],
    "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "bash", "args": [
        "-c", "mkdir -p '{{Param.OutDir}}'"
              " && cat '{{Param.Scene}}' '{{Param.Reference}}' > '{{Param.OutDir}}/frame.txt'"]}}}}],
}


def env_for(live: LiveServer, store: S3Store) -> dict[str, str]:
    """The submitter's and worker's environment: Deadline at Farmstead, S3 at the store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARMSTEAD_"))}
    env.update({"AWS_ENDPOINT_URL": live.endpoint, "AWS_ENDPOINT_URL_S3": store.endpoint,
                "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
                "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def test_submit_with_a_storage_profile_maps_shared_paths_and_uploads_local_locations(store, tmp_path):
    submit_share, worker_share, project = tmp_path / "submit-share", tmp_path / "worker-share", tmp_path / "project"
    for directory in (submit_share, worker_share, project):
        directory.mkdir()
    (project / "scene.txt").write_text("scene\n")
    (submit_share / "ref.txt").write_text("reference as the submitter sees it\n")
    (worker_share / "ref.txt").write_text("reference on the worker's mount\n")
    (tmp_path / "server").mkdir()
    live = LiveServer(tmp_path / "server", extra_env=store.server_env()).start()
    try:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName="profiles")["farmId"]
        workstation = deadline.create_storage_profile(
            farmId=farm_id, displayName="workstation", osFamily="LINUX",
            fileSystemLocations=[{"name": "Share", "path": str(submit_share), "type": "SHARED"},
                                 {"name": "Project", "path": str(project), "type": "LOCAL"}])["storageProfileId"]
        render_node = deadline.create_storage_profile(
            farmId=farm_id, displayName="render node", osFamily="LINUX",
            fileSystemLocations=[{"name": "Share", "path": str(worker_share), "type": "SHARED"}])["storageProfileId"]
        queue_id = deadline.create_queue(
            farmId=farm_id, displayName="q", roleArn="arn:aws:iam::000000000000:role/queue",
            jobRunAsUser={"runAs": "WORKER_AGENT_USER"}, allowedStorageProfileIds=[workstation, render_node],
            jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT_PREFIX})["queueId"]
        fleet_config = {"customerManaged": {**LINUX_FLEET["customerManaged"], "storageProfileId": render_node}}
        fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                         maxWorkerCount=1, configuration=fleet_config)["fleetId"]
        deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        bundle = tmp_path / "bundle"
        bundle.mkdir()
        (bundle / "template.json").write_text(json.dumps(TEMPLATE))
        (bundle / "parameter_values.yaml").write_text(yaml.safe_dump({"parameterValues": [
            {"name": "Scene", "value": str(project / "scene.txt")},
            {"name": "Reference", "value": str(submit_share / "ref.txt")},
            {"name": "OutDir", "value": str(project / "out")}]}))
        env = env_for(live, store)
        work = tmp_path / "worker"
        work.mkdir()
        worker = subprocess.Popen(
            [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", live.endpoint, "--farm-id", farm_id,
             "--fleet-id", fleet_id, "--work-dir", str(work)],
            env=env, stdout=open(work / "out.txt", "wb"), stderr=subprocess.STDOUT)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "farmstead", "submit", str(bundle), "--wait", "--endpoint-url", live.endpoint,
                 "--farm-id", farm_id, "--queue-id", queue_id, "--storage-profile-id", workstation],
                env=env, capture_output=True, text=True, timeout=120)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        assert done.returncode == 0, done.stdout + done.stderr + (work / "out.txt").read_text()[-3000:]
        assert "1 path(s) under SHARED locations" in done.stderr
        assert f"1 input file(s) under {project} (location Project)" in done.stderr
        # The worker read the reference through the server's path mapping, on its own side of the share.
        assert (project / "out" / "frame.txt").read_text() == "scene\nreference on the worker's mount\n"
        job = deadline.get_job(farmId=farm_id, queueId=queue_id,
                               jobId=deadline.list_jobs(farmId=farm_id, queueId=queue_id)["jobs"][0]["jobId"])
        assert job["storageProfileId"] == workstation
        [manifest] = job["attachments"]["manifests"]
        assert (manifest["rootPath"], manifest["fileSystemLocationName"]) == (str(project), "Project")
        assert manifest["outputRelativeDirectories"] == ["out"]
    finally:
        live.stop()


def test_submit_refuses_a_storage_profile_the_queue_does_not_allow(store, tmp_path):
    (tmp_path / "server").mkdir()
    live = LiveServer(tmp_path / "server", extra_env=store.server_env()).start()
    try:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName="not allowed")["farmId"]
        profile = deadline.create_storage_profile(farmId=farm_id, displayName="ws", osFamily="LINUX",
                                                  fileSystemLocations=[])["storageProfileId"]
        queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
        (tmp_path / "job.json").write_text(json.dumps({
            "specificationVersion": "jobtemplate-2023-09", "name": "plain",
            "steps": [{"name": "Only", "script": {"actions": {"onRun": {"command": "true"}}}}]}))
        done = subprocess.run(
            [sys.executable, "-m", "farmstead", "submit", str(tmp_path / "job.json"), "--endpoint-url", live.endpoint,
             "--farm-id", farm_id, "--queue-id", queue_id, "--storage-profile-id", profile],
            env=env_for(live, store), capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "the job was not submitted" in done.stderr
        assert deadline.list_jobs(farmId=farm_id, queueId=queue_id)["jobs"] == []
    finally:
        live.stop()
