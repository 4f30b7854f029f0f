"""CopyJobTemplate through boto3: the job's template text lands at the S3 location given, through the
server's S3 store (SeaweedFS here); the model's errors when it can't."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer
from support.moto_store import MotoStore

BUCKET = "template-copies"
ATTACHMENTS = {"s3BucketName": BUCKET, "rootPrefix": "JobAttachments"}
JSON_TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "copied",
                            "steps": [{"name": "Only", "script": {"actions": {"onRun": {"command": "true"}}}}]})
YAML_TEMPLATE = """specificationVersion: jobtemplate-2023-09
name: copied yaml
steps:
- name: Only
  script:
    actions:
      onRun:
        command: 'true'
"""


@pytest.fixture(scope="module")
def queue(live):
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="template copies")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="ja", roleArn="arn:aws:iam::000000000000:role/q",
                                     jobAttachmentSettings=ATTACHMENTS)["queueId"]
    return {"farmId": farm_id, "queueId": queue_id}


def submit(deadline, queue: dict, template: str, template_type: str) -> dict:
    job_id = deadline.create_job(**queue, template=template, templateType=template_type, priority=50)["jobId"]
    return {**queue, "jobId": job_id}


def error_of(call) -> dict:
    with pytest.raises(ClientError) as failed:
        call()
    return failed.value.response["Error"]


def test_a_json_template_is_copied_to_the_bucket_and_key_given(live, store, queue):
    job = submit(live.client(), queue, JSON_TEMPLATE, "JSON")
    answer = live.client().copy_job_template(**job, targetS3Location={"bucketName": BUCKET, "key": "copies/job.json"})
    assert answer["templateType"] == "JSON"
    stored = store.client().get_object(Bucket=BUCKET, Key="copies/job.json")
    assert stored["Body"].read().decode() == JSON_TEMPLATE
    assert stored["ContentType"] == "application/json"


def test_a_yaml_template_is_copied_as_yaml(live, store, queue):
    job = submit(live.client(), queue, YAML_TEMPLATE, "YAML")
    answer = live.client().copy_job_template(**job, targetS3Location={"bucketName": BUCKET, "key": "copies/job.yaml"})
    assert answer["templateType"] == "YAML"
    assert store.client().get_object(Bucket=BUCKET, Key="copies/job.yaml")["Body"].read().decode() == YAML_TEMPLATE


@pytest.fixture(scope="module")
def moto_live(tmp_path_factory):
    """A server on moto's S3. SeaweedFS authorizes a scoped key before it looks the bucket up, so a
    PutObject into a bucket it lacks answers AccessDenied (tested below); AWS S3, like moto, answers
    NoSuchBucket, and that answer's mapping is what the next test pins."""
    moto = MotoStore.start()
    server = LiveServer(tmp_path_factory.mktemp("moto-server"), extra_env=moto.server_env()).start()
    yield server
    server.stop()
    moto.stop()


def test_a_bucket_the_store_does_not_have_is_a_validation_error(moto_live):
    deadline = moto_live.client()
    farm_id = deadline.create_farm(displayName="no bucket")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q", roleArn="arn:aws:iam::000000000000:role/q",
                                     jobAttachmentSettings=ATTACHMENTS)["queueId"]
    job = submit(deadline, {"farmId": farm_id, "queueId": queue_id}, JSON_TEMPLATE, "JSON")
    error = error_of(lambda: deadline.copy_job_template(
        **job, targetS3Location={"bucketName": "no-such-bucket", "key": "job.json"}))
    assert error["Code"] == "ValidationException"
    assert "NoSuchBucket" in error["Message"]


def test_a_bucket_seaweedfs_does_not_have_is_refused_before_it_is_looked_up(live, queue):
    job = submit(live.client(), queue, JSON_TEMPLATE, "JSON")
    error = error_of(lambda: live.client().copy_job_template(
        **job, targetS3Location={"bucketName": "no-such-bucket", "key": "job.json"}))
    assert error["Code"] == "AccessDeniedException"
    assert "no-such-bucket" in error["Message"]


def test_a_target_inside_a_queues_job_attachments_is_refused(live, store, queue):
    job = submit(live.client(), queue, JSON_TEMPLATE, "JSON")
    key = f"{ATTACHMENTS['rootPrefix']}/Data/0123456789abcdef0123456789abcdef.xxh128"
    error = error_of(lambda: live.client().copy_job_template(**job, targetS3Location={"bucketName": BUCKET,
                                                                                       "key": key}))
    assert error["Code"] == "AccessDeniedException"
    assert key not in store.keys(BUCKET, ATTACHMENTS["rootPrefix"])


def test_an_unknown_job_is_not_found(live, queue):
    error = error_of(lambda: live.client().copy_job_template(
        **queue, jobId="job-" + "0" * 32, targetS3Location={"bucketName": BUCKET, "key": "job.json"}))
    assert error["Code"] == "ResourceNotFoundException"


def test_a_server_without_an_s3_store_answers_a_validation_error(deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="no store")["queueId"]
    job = submit(deadline, {"farmId": farm_id, "queueId": queue_id}, JSON_TEMPLATE, "JSON")
    error = error_of(lambda: deadline.copy_job_template(**job, targetS3Location={"bucketName": BUCKET,
                                                                                  "key": "job.json"}))
    assert error["Code"] == "ValidationException"
    assert "no" in error["Message"] and "S3" in error["Message"]
