"""The pytest plugin's `farmstead` fixture: a farm of the test's own whose queue a fleet of machines like
this one serves, boto3 in the test pointed at its server and at nothing of the caller's, the marker's
kinds of server, and a skip that says why when this machine lacks one."""

from __future__ import annotations

import json
import os
import urllib.request

import boto3
import pytest

from farmstead.testing.farms import ATTACHMENTS_BUCKET, ATTACHMENTS_PREFIX
from farmstead.worker.host import cpu_arch, os_family


def frames_job(farm, frames: str = "1-4") -> str:
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "frames", "steps": [{
        "name": "Render",
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": frames}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}]}
    return farm.deadline.create_job(farmId=farm.farm_id, queueId=farm.queue_id, priority=50, templateType="JSON",
                                    template=json.dumps(template), maxRetriesPerTask=0)["jobId"]


@pytest.fixture
def callers_aws_settings(monkeypatch):
    """What a developer's shell often has: a profile of their real account, and an endpoint of its own."""
    monkeypatch.setenv("AWS_PROFILE", "studio-production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DEADLINE", "https://deadline.us-west-2.amazonaws.com")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-session")


def test_the_farm_has_a_queue_that_a_fleet_of_machines_like_this_one_serves(farmstead):
    association = farmstead.deadline.get_queue_fleet_association(**farmstead.ids)
    assert association["status"] == "ACTIVE"
    fleet = farmstead.deadline.get_fleet(farmId=farmstead.farm_id, fleetId=farmstead.fleet_id)
    capabilities = fleet["configuration"]["customerManaged"]["workerCapabilities"]
    assert (capabilities["osFamily"], capabilities["cpuArchitectureType"]) == (os_family().upper(), cpu_arch())
    job_id = frames_job(farmstead)
    assert farmstead.job(job_id)["taskRunStatus"] == "READY"


def test_the_farm_is_on_the_server_the_session_shares(farmstead, farmstead_server, server):
    assert farmstead.server is farmstead_server is server
    assert farmstead.deadline.get_farm(farmId=farmstead.farm_id)["displayName"] == \
        "test_the_farm_is_on_the_server_the_session_shares"


def test_boto3_in_the_test_reaches_the_farms_server_and_nothing_of_the_callers(callers_aws_settings, farmstead):
    assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
    assert "AWS_ENDPOINT_URL_DEADLINE" not in os.environ
    # A studio tool builds its own client the usual way, with no endpoint or keys of the test's.
    deadline = boto3.client("deadline")
    assert deadline.get_queue(farmId=farmstead.farm_id, queueId=farmstead.queue_id)["queueId"] == farmstead.queue_id
    assert boto3.client("logs").meta.endpoint_url == farmstead.endpoint


def test_run_tasks_finishes_each_task_as_told_and_says_which_it_ran(farmstead):
    job_id = frames_job(farmstead, "1-4")
    worker = farmstead.run_tasks(outcome=lambda action: "FAILED" if action["definition"]["taskRun"]
                                 ["parameters"]["Frame"]["int"] == "3" else "SUCCEEDED")
    assert sorted(worker.task_parameters(), key=lambda p: int(p["Frame"])) == [{"Frame": str(n)} for n in (1, 2, 3, 4)]
    job = farmstead.job(job_id)
    assert job["taskRunStatus"] == "FAILED"
    assert job["taskRunStatusCounts"]["SUCCEEDED"] == 3 and job["taskRunStatusCounts"]["FAILED"] == 1


def _store_of(endpoint: str) -> str:
    with urllib.request.urlopen(f"{endpoint}/health", timeout=5) as response:
        return json.load(response)["store"]


@pytest.mark.farmstead(store="embedded")
def test_the_marker_asks_for_the_embedded_store(farmstead):
    assert _store_of(farmstead.endpoint) == "sqlite"


@pytest.mark.farmstead(store="postgresql")
def test_the_marker_asks_for_postgresql(farmstead):
    assert _store_of(farmstead.endpoint) == "postgresql"
    assert farmstead.deadline.get_farm(farmId=farmstead.farm_id)["farmId"] == farmstead.farm_id


@pytest.mark.farmstead(settings={"FARMSTEAD_MAX_TASKS_PER_JOB": "3"})
def test_the_marker_passes_settings_to_its_own_server(farmstead, farmstead_server):
    assert farmstead.server is not farmstead_server
    with pytest.raises(farmstead.deadline.exceptions.ServiceQuotaExceededException):
        frames_job(farmstead, "1-4")
    frames_job(farmstead, "1-3")


@pytest.mark.farmstead(job_attachments=True)
def test_with_job_attachments_the_queue_has_a_bucket_its_keys_reach(farmstead):
    queue = farmstead.deadline.get_queue(farmId=farmstead.farm_id, queueId=farmstead.queue_id)
    assert queue["jobAttachmentSettings"] == {"s3BucketName": ATTACHMENTS_BUCKET, "rootPrefix": ATTACHMENTS_PREFIX}
    # As a submitter does: the queue's keys, and S3 wherever the environment says it is.
    keys = boto3.client("deadline").assume_queue_role_for_user(farmId=farmstead.farm_id,
                                                                queueId=farmstead.queue_id)["credentials"]
    s3 = boto3.client("s3", aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"],
                      aws_session_token=keys["sessionToken"])
    assert s3.meta.endpoint_url == farmstead.s3.endpoint
    s3.put_object(Bucket=ATTACHMENTS_BUCKET, Key=f"{ATTACHMENTS_PREFIX}/Data/hello", Body=b"hello")
    assert farmstead.s3.keys(ATTACHMENTS_BUCKET, f"{ATTACHMENTS_PREFIX}/Data/") == [f"{ATTACHMENTS_PREFIX}/Data/hello"]


def test_a_server_this_machine_cannot_run_is_a_skip_that_says_why(studio_pytest):
    done = studio_pytest({"test_needs_postgresql.py": (
        "import pytest\n\n"
        "@pytest.mark.farmstead(store='postgresql')\n"
        "def test_on_postgresql(farmstead):\n"
        "    raise AssertionError('never reached')\n")},
        env={"FARMSTEAD_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/postgres"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "no PostgreSQL on 127.0.0.1:9" in done.stdout
