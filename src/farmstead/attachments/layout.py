"""Where job attachments live in a bucket: the Deadline Cloud content-addressed layout.

Owns: the key names (file contents under `<rootPrefix>/Data/<hash>.xxh128`; manifests under
`<rootPrefix>/Manifests/…`, inputs at `<farm>/<queue>/Inputs/<guid>/<hash(root)>_input`, outputs at
`<farm>/<queue>/<job>/<step>/<task>/<time>_<sessionActionId>/<hash(location+root)>_output`), the
output manifests' root-path metadata, picking the newest output of each task, and the directory a
root is synced to inside a session. Must not: touch S3 or files.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime

from farmstead.attachments.manifests import hash_bytes

DATA = "Data"
MANIFESTS = "Manifests"
_OUTPUT_KEY = re.compile(r"(?P<task>task-[^/]+)/(?P<run>[^/]+)/[^/]+_output$")


def data_key(root_prefix: str, content_hash: str) -> str:
    return f"{root_prefix}/{DATA}/{content_hash}.xxh128"


def manifest_key(root_prefix: str, partial: str) -> str:
    """The full key of a manifest named (as in `attachments.manifests[].inputManifestPath`) without the prefix."""
    return f"{root_prefix}/{MANIFESTS}/{partial}"


def input_manifest_partial(farm_id: str, queue_id: str, root_path: str) -> str:
    return f"{farm_id}/{queue_id}/Inputs/{uuid.uuid4().hex}/{hash_bytes(root_path.encode())}_input"


def output_run_folder(started_at: datetime, session_action_id: str) -> str:
    """`2026-11-30T02:40:04.339664Z_sessionaction-…`: sorts by time, so the newest run sorts last."""
    return f"{started_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}_{session_action_id}"


def output_manifest_key(root_prefix: str, ids: dict[str, str], run_folder: str, root_path: str,
                        file_system_location_name: str | None = None) -> str:
    name = hash_bytes(f"{file_system_location_name or ''}{root_path}".encode())
    return (f"{root_prefix}/{MANIFESTS}/{ids['farmId']}/{ids['queueId']}/{ids['jobId']}/{ids['stepId']}/"
            f"{ids['taskId']}/{run_folder}/{name}_output")


def job_output_prefix(root_prefix: str, farm_id: str, queue_id: str, job_id: str) -> str:
    return f"{root_prefix}/{MANIFESTS}/{farm_id}/{queue_id}/{job_id}/"


def newest_output_manifests(keys: list[str]) -> list[str]:
    """Of all output manifest keys, those of each task's newest run (a retried task ran more than once)."""
    runs: dict[str, str] = {}
    for key in keys:
        found = _OUTPUT_KEY.search(key)
        if found and found["run"] > runs.get(found["task"], ""):
            runs[found["task"]] = found["run"]
    newest = []
    for key in keys:
        found = _OUTPUT_KEY.search(key)
        if found and runs.get(found["task"]) == found["run"]:
            newest.append(key)
    return sorted(newest)


def root_metadata(root_path: str, file_system_location_name: str | None = None) -> dict[str, str]:
    """S3 user metadata of an output manifest: its root path (JSON-quoted when not ASCII, as S3 needs)."""
    if root_path.isascii():
        metadata = {"asset-root": root_path}
    else:
        quoted = json.dumps(root_path, ensure_ascii=True)
        metadata = {"asset-root": quoted, "asset-root-json": quoted}
    if file_system_location_name:
        metadata["file-system-location-name"] = file_system_location_name
    return metadata


def root_from_metadata(metadata: dict[str, str]) -> str | None:
    if "asset-root-json" in metadata:
        return json.loads(metadata["asset-root-json"])
    return metadata.get("asset-root")


def session_root_name(root_path: str) -> str:
    """The directory a root is synced to inside a session, named as the official agent names it."""
    return f"assetroot-{hashlib.shake_256(root_path.encode()).hexdigest(10)}"
