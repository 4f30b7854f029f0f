"""Queue-role credentials for job attachments, obtained from the S3 store's own STS.

Owns: asking the configured STS (AWS STS, MinIO's AssumeRole, moto) for temporary credentials
limited by a session policy (to one queue's bucket and root prefix, or to one object for
template_copies.py), and reading the answer back.
Must not: store anything or decide who may have the credentials (api/roles.py does both).

Why the store's STS and not Farmstead's own keys: the official clients sign their S3 requests with
the keys AssumeQueueRole* return, so the S3 store must know those keys. Farmstead records the same
triple in its own key table, so the job's processes can also call Farmstead with them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.config import Settings

#: MinIO and moto accept any role ARN; AWS needs a real role (FARMSTEAD_S3_ROLE_ARN) that the
#: configured key may assume.
DEFAULT_ROLE_ARN = "arn:aws:iam::000000000000:role/farmstead-job-attachments"
#: The shortest session AWS STS grants; a client refreshes by calling Assume*Role again.
MIN_DURATION = timedelta(minutes=15)


class StorageCredentialsError(Exception):
    """The S3 store's STS refused or could not be reached."""


@dataclass(frozen=True)
class StoreCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: datetime
    #: The store's account (from the assumed-role ARN), what STS GetCallerIdentity answers for these keys.
    account_id: str | None


def session_policy(bucket: str, root_prefix: str, *, read_only: bool) -> dict:
    """An IAM policy limiting the keys to the queue's root prefix (STS intersects it with the role's)."""
    objects = f"arn:aws:s3:::{bucket}/{root_prefix}/*"
    actions = ["s3:GetObject"] if read_only else ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": [objects]},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": [f"arn:aws:s3:::{bucket}"],
         "Condition": {"StringLike": {"s3:prefix": [f"{root_prefix}/*"]}}},
    ]}


def assume_queue_role(settings: Settings, *, session_name: str, bucket: str, root_prefix: str, read_only: bool,
                      duration: timedelta) -> StoreCredentials:
    """Temporary keys of the store for one queue's attachments, valid for `duration` (at least 15 min)."""
    return assume(settings, session_name=session_name, duration=duration,
                  policy=session_policy(bucket, root_prefix, read_only=read_only))


def assume(settings: Settings, *, session_name: str, policy: dict, duration: timedelta) -> StoreCredentials:
    """Temporary keys of the store limited by the session `policy` (STS intersects it with the role's)."""
    seconds = int(max(duration, MIN_DURATION).total_seconds())
    try:
        answer = _sts_client(settings.s3_sts_endpoint_url or settings.s3_endpoint_url,
                             settings.s3_region or settings.region, settings.s3_access_key_id,
                             settings.s3_secret_access_key).assume_role(
            RoleArn=settings.s3_role_arn or DEFAULT_ROLE_ARN, RoleSessionName=_session_name(session_name),
            DurationSeconds=seconds, Policy=json.dumps(policy, separators=(",", ":")))
    except (ClientError, BotoCoreError) as error:
        raise StorageCredentialsError(
            f"The job attachment store's STS refused AssumeRole or could not be reached: {error}") from error
    credentials = answer["Credentials"]
    arn = (answer.get("AssumedRoleUser") or {}).get("Arn", "")
    parts = arn.split(":")
    return StoreCredentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"],
                            credentials["Expiration"].astimezone(UTC),
                            parts[4] if len(parts) > 5 and parts[4] else None)


def _session_name(name: str) -> str:
    # RoleSessionName: 2-64 characters of [\w+=,.@-].
    cleaned = "".join(c if c.isalnum() or c in "+=,.@-_" else "-" for c in name)
    return (cleaned or "farmstead")[:64]


@functools.lru_cache(maxsize=8)
def _sts_client(endpoint_url: str | None, region: str, access_key_id: str | None, secret_access_key: str | None):
    # botocore clients are thread-safe; one per configuration. Without a key the default chain applies
    # (an instance profile on AWS). Short timeouts: the call is made inside a request.
    return boto3.session.Session().client(
        "sts", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}))
