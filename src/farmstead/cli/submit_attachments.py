"""`farmstead submit`'s job attachments: upload a submission's input files, and bring outputs back with --wait.

Owns: collecting a submission's asset references (PATH parameters with a `dataFlow`, the bundle's
asset_references), grouping them by the job's storage profile, asking the queue for its
jobAttachmentSettings, the queue-role S3 client (AssumeQueueRoleForUser; endpoint from the AWS
configuration, e.g. AWS_ENDPOINT_URL_S3), and saying what was uploaded or downloaded.
Must not: know the bucket layout (attachments/ does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from farmstead.attachments import submission as attachments
from farmstead.attachments import transfer
from farmstead.cli import job_bundles
from farmstead.cli.local_farm import Connection


def references(submission: job_bundles.Submission, parameters: dict[str, dict]) -> attachments.AssetReferences:
    found = attachments.AssetReferences()
    if submission.asset_references:
        found.add_document(submission.asset_references, submission.base_dir)
    for name, definition in submission.definitions.items():
        value = (parameters.get(name) or {}).get("path")
        default = definition.get("default")
        if value is None and isinstance(default, str) and Path(default).is_absolute():
            value = default  # the server applies it; the file must travel all the same
        if value is not None and str(definition.get("type", "")).upper() == "PATH":
            found.add_parameter(definition, value)
    return found


def queue_s3_client(connection: Connection, client, farm_id: str, queue_id: str) -> Any:
    keys = client.assume_queue_role_for_user(farmId=farm_id, queueId=queue_id)["credentials"]
    # The connection's session (same profile, so the same S3 endpoint configuration) with the queue
    # role's keys: the upload's client and --wait's download client share its loaded models.
    return transfer.s3_client(connection.session, region_name=connection.region,
                              aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"],
                              aws_session_token=keys["sessionToken"])


def upload(connection: Connection, client, farm_id: str, queue_id: str, submission: job_bundles.Submission,
           parameters: dict[str, dict], storage_profile: dict | None = None
           ) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """(CreateJob's `attachments`, the queue's settings), or (None, None) when nothing travels.

    With the job's `storage_profile` (GetStorageProfileForQueue's answer), its LOCAL locations are
    roots of their own and what lies under its SHARED ones stays where it is."""
    found = references(submission, parameters)
    if not found and not submission.asset_references:
        return None, None
    settings = client.get_queue(farmId=farm_id, queueId=queue_id).get("jobAttachmentSettings")
    if not settings:
        click.echo(f"note: asset_references ignored: queue {queue_id} keeps no job attachments (it has no "
                   "jobAttachmentSettings); jobs read and write the paths directly", err=True)
        return None, None
    try:
        planned = attachments.plan_with_locations(found, (storage_profile or {}).get("fileSystemLocations") or ())
    except FileNotFoundError as error:
        raise job_bundles.BundleError(str(error)) from None
    if planned.shared and storage_profile is not None:  # SHARED locations come from the profile
        click.echo(f"Job attachments: {len(planned.shared)} path(s) under SHARED locations of storage profile "
                   f"{storage_profile['storageProfileId']} not uploaded (workers reach them through path mapping)",
                   err=True)
    if not planned.roots:
        return None, None
    uploaded = attachments.upload_roots(queue_s3_client(connection, client, farm_id, queue_id), settings, farm_id,
                                        queue_id, planned.roots)
    for root in planned.roots:
        named = f" (location {root.file_system_location_name})" if root.file_system_location_name else ""
        click.echo(f"Job attachments: {len(root.files)} input file(s) under {root.path}{named} uploaded to "
                   f"s3://{settings['s3BucketName']}/{settings['rootPrefix']}", err=True)
    return uploaded, settings


def download(connection: Connection, client, ids: dict[str, str], settings: dict[str, str]) -> None:
    s3 = queue_s3_client(connection, client, ids["farmId"], ids["queueId"])
    written = attachments.download_outputs(s3, settings, ids["farmId"], ids["queueId"], ids["jobId"])
    click.echo(f"Job attachments: {len(written)} output file(s) downloaded")
    for path in written:
        click.echo(f"  {path}")
