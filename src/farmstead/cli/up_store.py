"""The job attachment store of `farmstead up`: SeaweedFS under DATA_DIR/s3, or the operator's own S3.

Owns: starting the embedded store as one of `up`'s supervised children (before the server, stopped
after it), its bucket, the environment the server is started with to hand out the store's keys, and
the queue's jobAttachmentSettings and role.
Must not: build the store's command line (seaweedfs.py does) or create the farm (up.py does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farmstead.cli.seaweedfs import SeaweedFS, SeaweedFSError
from farmstead.cli.up_processes import Child, Supervisor, child_env, port_in_use

BUCKET = "farmstead-attachments"
ROOT_PREFIX = "DeadlineCloud"


@dataclass
class AttachmentStore:
    """Where the local farm's attachments go: `endpoint` and `bucket`; `server_env` for the server."""

    endpoint: str
    bucket: str
    embedded: bool
    server_env: dict[str, str] = field(default_factory=dict)
    note: str = ""
    #: The embedded store, to tidy after it stopped.
    seaweedfs: SeaweedFS | None = None

    def queue_settings(self) -> dict:
        return {"s3BucketName": self.bucket, "rootPrefix": ROOT_PREFIX}


def start_embedded(supervisor: Supervisor, data_dir: Path, host: str, port: int | None, bucket: str,
                   log_dir: Path) -> AttachmentStore:
    """SeaweedFS in DATA_DIR/s3 listening on `host` (the API's address), its bucket made; raises RuntimeError."""
    store = SeaweedFS(data_dir / "s3", s3_host=host, s3_port=port)
    if port is not None and port_in_use(host, port):
        raise RuntimeError(f"the S3 port {port} on {host} is in use; choose another with --s3-port")
    try:
        command = store.command()
    except SeaweedFSError as error:
        raise RuntimeError(str(error)) from None
    # weed's filer waits 15 s on SIGTERM for its own S3 gateway to drop a subscription it never drops
    # (seen in s3.log: "graceful stop timed out after 15s, forcing stop"). Everything that uses the store
    # has stopped by then and what it wrote is in weed's files (its metadata journal survives a kill),
    # so a short grace, then the kill; a store started again on the directory reads it all back.
    child = Child("S3 store (SeaweedFS)", command, child_env(), log_dir / "s3.log", stop_seconds=3)
    try:
        supervisor.start_service(child, lambda alive: store.wait_ready(alive, log=child.log_tail))
        created = store.ensure_bucket(bucket)
    except SeaweedFSError as error:
        raise RuntimeError(str(error)) from None
    return AttachmentStore(store.endpoint, bucket, True, store.server_env(),
                           f"bucket {bucket} {'created' if created else 'kept'}, data in {data_dir / 's3'}", store)


def external(endpoint: str, bucket: str, env: dict[str, str]) -> AttachmentStore:
    """The operator's own store: the server reads its key from FARMSTEAD_S3_* as always; the bucket is
    created when that key may, else it must exist already (said, not fatal)."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session(aws_access_key_id=env.get("FARMSTEAD_S3_ACCESS_KEY_ID"),
                                   aws_secret_access_key=env.get("FARMSTEAD_S3_SECRET_ACCESS_KEY"),
                                   region_name=env.get("FARMSTEAD_S3_REGION") or "us-east-1").client(
        "s3", endpoint_url=endpoint, config=Config(retries={"max_attempts": 2}, connect_timeout=5))
    try:
        client.head_bucket(Bucket=bucket)
        note = f"bucket {bucket} found"
    except ClientError:
        try:
            client.create_bucket(Bucket=bucket)
            note = f"bucket {bucket} created"
        except (ClientError, BotoCoreError) as error:
            note = f"bucket {bucket} could not be checked or created ({error}); create it before submitting"
    except BotoCoreError as error:
        note = f"the store did not answer ({error})"
    return AttachmentStore(endpoint, bucket, False, {"FARMSTEAD_S3_ENDPOINT_URL": endpoint}, note)


def ensure_queue_attachments(client, farm_id: str, queue_id: str, store: AttachmentStore, account_id: str) -> bool:
    """Point the queue's attachments at the store (a role is needed for workers to get keys); True if changed."""
    queue = client.get_queue(farmId=farm_id, queueId=queue_id)
    wanted = store.queue_settings()
    changes: dict[str, Any] = {}
    if queue.get("jobAttachmentSettings") != wanted:
        changes["jobAttachmentSettings"] = wanted
    if not queue.get("roleArn"):
        changes["roleArn"] = f"arn:aws:iam::{account_id}:role/FarmsteadLocalQueue"
    if changes:
        client.update_queue(farmId=farm_id, queueId=queue_id, **changes)
    return bool(changes)
