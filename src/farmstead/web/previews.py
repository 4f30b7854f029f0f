"""Output previews: the newest rendered frame of a job, and each task's output image, from the job's
outputs in its queue's S3 bucket (docs/attachments.md has the layout).

Owns: finding the image through the API as the signed-in user, and reading it with that user's own keys.
A task's outputs are the output manifests its latest run reported (BatchGetSessionAction's `manifests`);
a job's newest frame is that of its most recently ended SUCCEEDED task with an image among its 5 newest
(SearchTasks by ENDED_AT). The bucket and root come from GetQueue's `jobAttachmentSettings`, the keys from
AssumeQueueRoleForRead (read-only on that queue's root: the API hands them out to VIEWERs), kept per user
and queue until 10 minutes before they expire. The manifest and the image are then plain S3 GETs.
Thumbnails are kept by content hash (the layout is content-addressed, so a hash names one image for
everyone), `CACHE_BYTES` in all; each request still makes its own API calls first, so a user who may not
read the task never gets one. The first image of a manifest (by path) is the one shown.
Must not: use the server's own S3 keys, list the bucket, or read an output larger than `MAX_BYTES`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.attachments import layout, manifests
from farmstead.domain.statuses import TaskRunStatus
from farmstead.web import run_details
from farmstead.web.page import Page
from farmstead.web.thumbnails import NoPreview, can_preview, thumbnail

MAX_BYTES = 512 * 1024 * 1024
CACHE_BYTES = 64 * 1024 * 1024
KEY_MARGIN = timedelta(minutes=10)
_S3_CONFIG = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60)


class NoAttachments(NoPreview):
    """The queue keeps no job attachments: the pages leave the preview out rather than explain it each time."""


@dataclass
class Found:
    """An output image: where it is, what it is called, and which task made it."""

    bucket: str
    key: str
    name: str
    content_hash: str
    size: int
    task_id: str
    step_id: str
    label: str


class _Thumbnails:
    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._held = 0
        self._limit = limit

    def get(self, content_hash: str) -> bytes | None:
        with self._lock:
            data = self._items.get(content_hash)
            if data is not None:
                self._items.move_to_end(content_hash)
            return data

    def put(self, content_hash: str, data: bytes) -> None:
        with self._lock:
            if content_hash not in self._items:
                self._items[content_hash] = data
                self._held += len(data)
            while self._held > self._limit and self._items:
                self._held -= len(self._items.popitem(last=False)[1])


_thumbnails = _Thumbnails()
_keys: dict[tuple[str, str], tuple[datetime, Any]] = {}
_keys_lock = threading.Lock()


def task_image(page: Page, ids: dict[str, str], task: dict[str, Any]) -> Found:
    """The output image of `task`'s latest run; NoPreview saying why there is none."""
    location = _location(page, ids)
    attempt = run_details.latest_attempts(page, ids, [task]).get(task["taskId"])
    if attempt is None:
        raise NoPreview("this task has not run yet")
    reported = [m for m in attempt.get("manifests") or [] if m.get("outputManifestPath")]
    if not reported:
        raise NoPreview("its latest run reported no output files")
    s3 = _s3(page, ids)
    names: list[str] = []
    for entry in reported:
        manifest = _manifest(s3, location, entry["outputManifestPath"])
        for path in sorted(manifest.paths, key=lambda p: p.path):
            names.append(path.path)
            if can_preview(path.path):
                if path.size > MAX_BYTES:
                    raise NoPreview(f"{path.path} is {path.size // 2**20} MiB, more than a preview reads")
                return Found(location[0], layout.data_key(location[1], path.hash), path.path, path.hash, path.size,
                             task["taskId"], task["stepId"], "")
    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    raise NoPreview(f"no preview for these outputs ({shown}): PNG, JPEG, TIFF and EXR files make previews")


def job_image(page: Page, ids: dict[str, str]) -> Found:
    """The newest rendered frame of the job."""
    _location(page, ids)  # a queue without attachments has no outputs to show: say so first
    newest = page.call("SearchTasks", farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"],
                       itemOffset=0, pageSize=5,
                       filterExpressions={"operator": "AND", "filters": [
                           {"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL",
                                             "value": TaskRunStatus.SUCCEEDED}}]},
                       sortExpressions=[{"fieldSort": {"name": "ENDED_AT", "sortOrder": "DESCENDING"}}])
    tasks = newest.get("tasks", [])
    if not tasks:
        raise NoPreview("no task of this job has succeeded yet")
    reason = None
    for task in tasks:
        try:
            return task_image(page, ids, task)
        except NoPreview as why:
            reason = reason or str(why)
    raise NoPreview(f"its newest frames have no image to show ({reason})")


def thumbnail_of(page: Page, ids: dict[str, str], found: Found) -> bytes:
    cached = _thumbnails.get(found.content_hash)
    if cached is not None:
        return cached
    try:
        body = _s3(page, ids).get_object(Bucket=found.bucket, Key=found.key)["Body"]
        data = body.read(MAX_BYTES + 1)
    except (ClientError, BotoCoreError) as err:
        raise NoPreview(f"the bucket refused the image: {_reason(err)}") from None
    if len(data) > MAX_BYTES:
        raise NoPreview("the image is larger than a preview reads")
    made = thumbnail(data, found.name)
    _thumbnails.put(found.content_hash, made)
    return made


def _location(page: Page, ids: dict[str, str]) -> tuple[str, str]:
    queue = page.call("GetQueue", farmId=ids["farmId"], queueId=ids["queueId"])
    settings = queue.get("jobAttachmentSettings") or {}
    if not settings.get("s3BucketName"):
        raise NoAttachments("this queue keeps no job attachments, so its outputs are not in a bucket to preview")
    return settings["s3BucketName"], settings.get("rootPrefix", "")


_manifests: OrderedDict[str, manifests.Manifest] = OrderedDict()


def _manifest(s3, location: tuple[str, str], partial: str) -> manifests.Manifest:
    key = layout.manifest_key(location[1], partial)
    cached = _manifests.get(key)  # a run's output manifest is written once
    if cached is not None:
        return cached
    try:
        body = s3.get_object(Bucket=location[0], Key=key)["Body"].read(64 * 1024 * 1024)
        found = manifests.decode(body)
    except (ClientError, BotoCoreError) as err:
        raise NoPreview(f"the bucket refused the output manifest: {_reason(err)}") from None
    except manifests.ManifestError as err:
        raise NoPreview(f"the output manifest can't be read: {err}") from None
    _manifests[key] = found
    while len(_manifests) > 2000:
        _manifests.popitem(last=False)
    return found


def _s3(page: Page, ids: dict[str, str]):
    """An S3 client signed with this user's read keys for the queue (AssumeQueueRoleForRead)."""
    key = (page.caller.principal_id, ids["queueId"])
    now = datetime.now(UTC)
    with _keys_lock:
        held = _keys.get(key)
    if held is not None and held[0] - KEY_MARGIN > now:
        return held[1]
    credentials = page.call("AssumeQueueRoleForRead", farmId=ids["farmId"], queueId=ids["queueId"])["credentials"]
    store = page.api.attachment_store()
    client = boto3.session.Session(
        aws_access_key_id=credentials["accessKeyId"], aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"], region_name=store["region"],
    ).client("s3", endpoint_url=store["endpoint_url"], config=_S3_CONFIG)
    expires = credentials.get("expiration")
    if not isinstance(expires, datetime):
        expires = now + timedelta(minutes=15)
    with _keys_lock:
        _keys[key] = (expires, client)
        if len(_keys) > 1000:
            for stale in [k for k, (until, _) in _keys.items() if until < now][:500]:
                _keys.pop(stale, None)
    return client


def _reason(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', '')} {error.get('Message', '')}".strip()
    return type(err).__name__
