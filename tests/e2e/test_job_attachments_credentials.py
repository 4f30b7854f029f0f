"""Queue-role credentials for job attachments: keys of the S3 store's STS that Farmstead accepts too.

A server configured with an S3 store (SeaweedFS here) answers AssumeQueueRole* for a queue with
jobAttachmentSettings with keys from the store's STS: they sign S3 requests under the queue's root
prefix, they sign requests to Farmstead within the queue's scope, and Farmstead's STS
GetCallerIdentity names the store's account for them (the official clients send it as
ExpectedBucketOwner).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer, free_port
from farmstead.testing.s3_store import STORE_ACCOUNT

BUCKET = "queue-attachments"
PREFIX = "Root"


@pytest.fixture(scope="module")
def queue(live):
    deadline = live.client()
    farm_id = deadline.create_farm(displayName="ja creds")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="ja", roleArn="arn:aws:iam::000000000000:role/q",
                                     jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": PREFIX})["queueId"]
    plain_id = deadline.create_queue(farmId=farm_id, displayName="plain")["queueId"]
    return {"farmId": farm_id, "queueId": queue_id, "plainQueueId": plain_id}


def session_of(credentials: dict) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id=credentials["accessKeyId"],
                                 aws_secret_access_key=credentials["secretAccessKey"],
                                 aws_session_token=credentials["sessionToken"], region_name=REGION)


def sts_at(live, session: boto3.session.Session):
    return session.client("sts", endpoint_url=live.endpoint, config=Config(retries={"max_attempts": 1}))


def test_queue_user_keys_come_from_the_stores_sts_and_write_under_the_root_prefix(live, store, queue):
    credentials = live.client().assume_queue_role_for_user(farmId=queue["farmId"],
                                                           queueId=queue["queueId"])["credentials"]
    s3 = session_of(credentials).client("s3", endpoint_url=store.endpoint)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/Data/abc.xxh128", Body=b"content")
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/Data/abc.xxh128")["Body"].read() == b"content"
    # The store's STS knows them: they are the store's keys, not Farmstead's.
    identity = session_of(credentials).client("sts", endpoint_url=store.endpoint).get_caller_identity()
    assert ":assumed-role/" in identity["Arn"]


def test_store_keys_are_accepted_by_farmstead_within_the_queue_scope(live, queue):
    credentials = live.client().assume_queue_role_for_user(farmId=queue["farmId"],
                                                           queueId=queue["queueId"])["credentials"]
    deadline = live.client(key_id=credentials["accessKeyId"], secret=credentials["secretAccessKey"],
                           session_token=credentials["sessionToken"])
    assert deadline.get_queue(farmId=queue["farmId"], queueId=queue["queueId"])["jobAttachmentSettings"] == {
        "s3BucketName": BUCKET, "rootPrefix": PREFIX}
    with pytest.raises(ClientError) as denied:
        deadline.get_queue(farmId=queue["farmId"], queueId=queue["plainQueueId"])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_get_caller_identity_names_the_stores_account_for_store_keys(live, store, queue):
    credentials = live.client().assume_queue_role_for_read(farmId=queue["farmId"],
                                                           queueId=queue["queueId"])["credentials"]
    store_account = session_of(credentials).client("sts", endpoint_url=store.endpoint).get_caller_identity()["Account"]
    identity = sts_at(live, session_of(credentials)).get_caller_identity()
    assert identity["Account"] == store_account == STORE_ACCOUNT
    assert identity["Arn"].endswith(":user/admin")


def test_get_caller_identity_names_farmsteads_account_for_its_own_keys(live):
    identity = sts_at(live, boto3.session.Session(
        aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
        region_name=REGION)).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == ("000000000000", "arn:aws:iam::000000000000:user/admin")


def test_queue_without_attachments_gets_farmstead_keys(live, store, queue):
    credentials = live.client().assume_queue_role_for_user(farmId=queue["farmId"],
                                                           queueId=queue["plainQueueId"])["credentials"]
    assert sts_at(live, session_of(credentials)).get_caller_identity()["Account"] == "000000000000"


def test_get_caller_identity_refuses_an_unsigned_or_badly_signed_request(live):
    wrong = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key="not the secret",
                                  region_name=REGION)
    with pytest.raises(ClientError) as refused:
        sts_at(live, wrong).get_caller_identity()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_an_sts_action_farmstead_does_not_serve_is_an_invalid_action(live):
    sts = sts_at(live, boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID,
                                             aws_secret_access_key=ADMIN_SECRET, region_name=REGION))
    with pytest.raises(ClientError) as refused:
        sts.get_session_token()
    assert refused.value.response["Error"]["Code"] == "InvalidAction"


def test_an_unreachable_store_makes_the_queue_role_an_internal_error_the_agent_retries(tmp_path):
    (tmp_path / "server").mkdir()
    unreachable = LiveServer(tmp_path / "server", extra_env={
        "FARMSTEAD_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "FARMSTEAD_S3_ACCESS_KEY_ID": "k",
        "FARMSTEAD_S3_SECRET_ACCESS_KEY": "s"}).start()
    try:
        deadline = unreachable.client()
        farm_id = deadline.create_farm(displayName="no store")["farmId"]
        settings = {"s3BucketName": BUCKET, "rootPrefix": PREFIX}
        queue_id = deadline.create_queue(farmId=farm_id, displayName="ja", jobAttachmentSettings=settings)["queueId"]
        with pytest.raises(ClientError) as failed:
            deadline.assume_queue_role_for_user(farmId=farm_id, queueId=queue_id)
        assert failed.value.response["Error"]["Code"] == "InternalServerException"
        assert "STS refused AssumeRole" in failed.value.response["Error"]["Message"]
    finally:
        unreachable.stop()
