"""Moving job attachments between a file tree and a bucket, with any boto3 S3 client.

Owns: uploading the contents a manifest names (each hash once, skipped when the bucket has it),
uploading and reading manifests, downloading a manifest's files into a directory (with their
recorded modification times), and the S3 client the clients use (endpoint from the standard AWS
configuration: AWS_ENDPOINT_URL_S3, a profile's `services`, else AWS).
Must not: decide which files belong to a job (the submitter and the worker do).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from farmstead.attachments import layout, manifests

S3_CONFIG = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5},
                   connect_timeout=10, read_timeout=60)


@dataclass(frozen=True)
class Location:
    """A queue's job attachment settings."""

    bucket: str
    root_prefix: str

    @classmethod
    def of(cls, settings: dict[str, str]) -> Location:
        return cls(settings["s3BucketName"], settings["rootPrefix"])


def s3_client(session: boto3.session.Session, **keys: str):
    """`keys` (aws_access_key_id, aws_secret_access_key, aws_session_token, region_name) override the
    session's: a session that already made a client builds another one without reloading botocore's
    S3 model and endpoint rules (about 0.1 CPU s each)."""
    # No endpoint_url: the session's configuration decides (AWS_ENDPOINT_URL_S3 for MinIO and the like).
    return session.client("s3", config=S3_CONFIG, **keys)


def _exists(s3, location: Location, key: str) -> bool:
    try:
        s3.head_object(Bucket=location.bucket, Key=key)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def upload_contents(s3, location: Location, root: Path, manifest: manifests.Manifest) -> int:
    """Upload each distinct content the manifest names that the bucket lacks; the number uploaded."""
    uploaded, seen = 0, set()
    for entry in manifest.paths:
        if entry.hash in seen:
            continue
        seen.add(entry.hash)
        key = layout.data_key(location.root_prefix, entry.hash)
        if not _exists(s3, location, key):
            s3.upload_file(str(root / entry.path), location.bucket, key)
            uploaded += 1
    return uploaded


def put_manifest(s3, location: Location, key: str, manifest: manifests.Manifest,
                 metadata: dict[str, str] | None = None) -> str:
    """Store a manifest; its hash (what CreateJob's inputManifestHash and a task's report carry)."""
    body = manifests.encode(manifest)
    s3.put_object(Bucket=location.bucket, Key=key, Body=body, Metadata=metadata or {})
    return manifests.hash_bytes(body)


def get_manifest(s3, location: Location, key: str) -> tuple[manifests.Manifest, dict[str, str]]:
    answer = s3.get_object(Bucket=location.bucket, Key=key)
    return manifests.decode(answer["Body"].read()), answer.get("Metadata") or {}


def download_contents(s3, location: Location, manifest: manifests.Manifest, destination: Path) -> list[Path]:
    """Write each file of the manifest under `destination`, with its recorded mtime; the paths written."""
    written = []
    for entry in manifest.paths:
        target = destination / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(location.bucket, layout.data_key(location.root_prefix, entry.hash), str(target))
        os.utime(target, ns=(entry.mtime * 1000, entry.mtime * 1000))
        written.append(target)
    return written


def list_keys(s3, location: Location, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]
