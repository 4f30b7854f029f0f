"""CopyJobTemplate's write: a job's template text put at an S3 location of the caller's choosing.

Owns: getting keys from the store's STS that may put exactly that one object (a session policy on
top of the server's role), and putting the template with them; telling a missing bucket and a
refusal apart from a store that failed.
Must not: decide who may copy which job's template, or where (api/job_template_copies.py does).

Why the store's STS and not the server's key directly: on AWS the server's own identity may hold
no S3 rights, only the right to assume FARMSTEAD_S3_ROLE_ARN; and the one-object policy keeps the
write from reaching anything but the named key whatever the role may do.
"""

from __future__ import annotations

from datetime import timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.attachments import storage_credentials
from farmstead.config import Settings

#: What the object is sent as: the template's own format.
CONTENT_TYPES = {"JSON": "application/json", "YAML": "application/yaml"}
_NO_BUCKET = {"NoSuchBucket", "InvalidBucketName"}
_REFUSED = {"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccountProblem",
            "InvalidObjectState", "MethodNotAllowed"}


class TemplateCopyError(Exception):
    """The copy did not happen; `reason` is NO_BUCKET, REFUSED or FAILED (the store or its STS failed)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def put_policy(bucket: str, key: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"arn:aws:s3:::{bucket}/{key}"]}]}


def copy_template(settings: Settings, *, bucket: str, key: str, template: str, template_type: str,
                  session_name: str) -> None:
    try:
        keys = storage_credentials.assume(settings, session_name=session_name, policy=put_policy(bucket, key),
                                          duration=timedelta(minutes=15))
    except storage_credentials.StorageCredentialsError as error:
        raise TemplateCopyError("FAILED", str(error)) from error
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region or settings.region,
        aws_access_key_id=keys.access_key_id, aws_secret_access_key=keys.secret_access_key,
        aws_session_token=keys.session_token,
        config=Config(signature_version="s3v4", connect_timeout=5, read_timeout=30,
                      retries={"max_attempts": 2, "mode": "standard"}))
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=template.encode("utf-8"),
                      ContentType=CONTENT_TYPES.get(template_type, "application/octet-stream"))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = f"The job attachment store refused to write s3://{bucket}/{key}: {code}: " \
                  f"{error.response.get('Error', {}).get('Message', '')}"
        reason = "NO_BUCKET" if code in _NO_BUCKET else "REFUSED" if code in _REFUSED else "FAILED"
        raise TemplateCopyError(reason, message) from error
    except BotoCoreError as error:
        raise TemplateCopyError("FAILED", f"The job attachment store could not be reached: {error}") from error
