"""Job attachments on Farmstead's worker: inputs synced into a session, outputs uploaded after each task.

Owns: the queue-role S3 client (AssumeQueueRoleForWorker, refreshed by botocore before expiry; S3
endpoint from the standard AWS configuration, as for the official agent), where each manifest root
lives inside the session (`<session dir>/assetroot-<hash>`, the path mapping rules that send the
job's paths there), downloading input manifests' files, and after a task run uploading the files
new or changed under the roots' output directories with one output manifest per root.
Every path the job names (output directories, manifest entries) is resolved, symlinks followed, and
refused when it lands outside its root's directory: the submitter controls them, and the worker may
run as a more privileged user than the job (docs/worker.md "Paths the worker refuses").
Must not: run actions or report them (actions.py does), or know the bucket layout (attachments/).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

from farmstead.attachments import layout, manifests, transfer
from farmstead.worker import retries
from farmstead.worker.entities import EntityError

#: How long an AssumeQueueRoleForWorker call may keep retrying.
ASSUME_BUDGET_SECONDS = 60.0


class AttachmentError(Exception):
    """Job attachments can't be synced; the action fails with this message."""


def confined(root: Path, relative: str, what: str) -> Path:
    """`root / relative` with every symlink resolved; AttachmentError when that is not `root` or
    below it (`../`, an absolute path, or a link the job left in the session)."""
    base = root.resolve()
    target = (base / relative).resolve()  # an absolute `relative` replaces the base, and is refused
    if target != base and not target.is_relative_to(base):
        raise AttachmentError(f"{what} {relative!r} resolves to {target}, outside the session directory "
                              f"{base}: refused")
    return target


class _QueueRoleProvider(CredentialProvider):
    """First in the S3 client's credential chain: the queue role's keys win over anything configured."""

    METHOD = "farmstead-queue-role"
    CANONICAL_NAME = "FarmsteadQueueRole"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


def queue_s3_client(deadline_client: Any, ids: dict[str, str], stop: threading.Event | None = None) -> Any:
    """An S3 client signed with the queue role's credentials (ids: farmId fleetId workerId queueId)."""
    def assume() -> dict[str, str]:
        answer = retries.call(lambda: deadline_client.assume_queue_role_for_worker(**ids), "AssumeQueueRoleForWorker",
                              deadline=time.monotonic() + ASSUME_BUDGET_SECONDS, stop=stop)
        if "credentials" not in answer:
            raise AttachmentError(f"Job attachments are configured on queue {ids['queueId']}, but it has no role: "
                                  "give the queue a roleArn so its workers get credentials for the bucket.")
        keys = answer["credentials"]
        return {"access_key": keys["accessKeyId"], "secret_key": keys["secretAccessKey"],
                "token": keys["sessionToken"],
                "expiry_time": keys["expiration"].astimezone(UTC).isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(assume(), refresh_using=assume,
                                                              method=_QueueRoleProvider.METHOD)
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", _QueueRoleProvider(credentials))
    return transfer.s3_client(boto3.Session(botocore_session=core, region_name=deadline_client.meta.region_name))


class QueueS3Clients:
    """One queue-role S3 client per queue for the life of a worker identity, shared by its sessions.

    Why shared: building a client loads botocore's S3 model and endpoint rules, ~0.1 CPU s each time,
    as much as a small task's whole run on the worker; the client's RefreshableCredentials renew the
    queue role's keys before they expire, however long it lives. A failed AssumeQueueRoleForWorker
    caches nothing: the next session asks again."""

    def __init__(self, deadline_client: Any, ids: dict[str, str], stop: threading.Event | None = None) -> None:
        self._deadline = deadline_client
        self._ids = ids  # farmId fleetId workerId
        self._stop = stop
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, queue_id: str) -> Any:
        with self._lock:  # held while building: two sessions starting at once make one client, not two
            client = self._clients.get(queue_id)
            if client is None:
                client = queue_s3_client(self._deadline, {**self._ids, "queueId": queue_id}, self._stop)
                self._clients[queue_id] = client
            return client


def for_session(details: dict[str, Any], fetch_attachments: Callable[[], dict[str, Any]],
                s3_for_queue: Callable[[str], Any] | None, queue_id: str, directory: Path) -> SessionAttachments | None:
    """A session's attachments when its queue keeps them and its job has some; None otherwise (the
    S3 client, and with it the queue role's keys, is asked for only then)."""
    settings = details.get("jobAttachmentSettings") or {}
    if not settings.get("s3BucketName") or not settings.get("rootPrefix") or s3_for_queue is None:
        return None
    try:
        attachments = fetch_attachments().get("attachments") or {}
    except EntityError:
        return None  # a job submitted without attachments
    if not attachments.get("manifests"):
        return None
    return SessionAttachments(s3_for_queue(queue_id), settings, attachments, directory)


class SessionAttachments:
    """One session's attachment roots, where they live locally, and what was synced when."""

    def __init__(self, s3: Any, settings: dict[str, str], attachments: dict[str, Any], directory: Path) -> None:
        self._s3 = s3
        self._location = transfer.Location.of(settings)
        self._manifests = list(attachments.get("manifests") or [])
        # Resolved once: the paths checked and the paths recorded as synced must compare equal.
        self.directory = directory.resolve()
        self._seen: dict[Path, int] = {}  # file -> mtime_ns when synced or last uploaded
        #: Whether the job-level sync ran in this session: a step-dependency sync needs its roots.
        self.inputs_synced = False

    def local_root(self, manifest: dict[str, Any]) -> Path:
        return self.directory / layout.session_root_name(manifest["rootPath"])

    def path_mapping_rules(self) -> list[dict[str, str]]:
        """jobDetails-style rules sending each submitted root to its directory in the session."""
        return [{"sourcePathFormat": m.get("rootPathFormat", "posix").lower(), "sourcePath": m["rootPath"],
                 "destinationPath": str(self.local_root(m))} for m in self._manifests]

    def sync_inputs(self) -> int:
        """Download every input manifest's files into its root; the number of files written."""
        count = 0
        for manifest in self._manifests:
            root = self.local_root(manifest)
            root.mkdir(parents=True, exist_ok=True)
            for relative in manifest.get("outputRelativeDirectories") or ():
                confined(root, relative, "output directory").mkdir(parents=True, exist_ok=True)
            if not manifest.get("inputManifestPath"):
                continue
            key = layout.manifest_key(self._location.root_prefix, manifest["inputManifestPath"])
            content, _ = transfer.get_manifest(self._s3, self._location, key)
            count += self._download(content, root)
        self.inputs_synced = True
        return count

    def _download(self, content: manifests.Manifest, root: Path) -> int:
        """Write a manifest's files under `root`, each checked first (a link the job left in the
        session must not send a write elsewhere); the number written."""
        for entry in content.paths:
            confined(root, entry.path, "file")
        written = transfer.download_contents(self._s3, self._location, content, root)
        for path in written:
            self._seen[path] = path.stat().st_mtime_ns
        return len(written)

    def sync_step_outputs(self, ids: dict[str, str], step_ids: list[str]) -> int:
        """The newest outputs of each of `step_ids` into their roots; the job-level sync must have run
        in this session first (as the official agent requires: the server sends them in that order)."""
        if not self.inputs_synced:
            raise AttachmentError("Job attachments must be synchronized before downloading Step dependencies.")
        count = 0
        roots = {m["rootPath"]: self.local_root(m) for m in self._manifests}
        for step_id in step_ids:
            job_prefix = layout.job_output_prefix(self._location.root_prefix, ids["farmId"], ids["queueId"],
                                                  ids["jobId"])
            prefix = f"{job_prefix}{step_id}/"
            for key in layout.newest_output_manifests(transfer.list_keys(self._s3, self._location, prefix)):
                content, metadata = transfer.get_manifest(self._s3, self._location, key)
                root = roots.get(layout.root_from_metadata(metadata) or "")
                if root is None:
                    raise AttachmentError(f"output manifest {key} names a root this job did not submit")
                count += self._download(content, root)
        return count

    def upload_outputs(self, ids: dict[str, str], action_id: str, started_at: datetime) -> list[dict[str, str]]:
        """Upload what the task wrote under each root's output directories; one `manifests` entry per root
        (empty for a root without new output), as the task run's report carries them."""
        reported: list[dict[str, str]] = []
        folder = layout.output_run_folder(started_at, action_id)
        for manifest in self._manifests:
            root = self.local_root(manifest)
            changed = []
            for relative in manifest.get("outputRelativeDirectories") or ():
                for path in manifests.files_under(confined(root, relative, "output directory")):
                    # A link is uploaded as the file it names only when that is in the root too.
                    confined(root, path.relative_to(root).as_posix(), "output file")
                    mtime = path.stat().st_mtime_ns
                    if self._seen.get(path) != mtime:
                        changed.append((path, mtime))
            if not changed:
                reported.append({})
                continue
            content = manifests.build(root, [path for path, _ in changed])
            transfer.upload_contents(self._s3, self._location, root, content)
            key = layout.output_manifest_key(self._location.root_prefix, ids, folder, manifest["rootPath"],
                                             manifest.get("fileSystemLocationName"))
            digest = transfer.put_manifest(self._s3, self._location, key, content,
                                           layout.root_metadata(manifest["rootPath"],
                                                                manifest.get("fileSystemLocationName")))
            self._seen.update(changed)
            partial = key[len(layout.manifest_key(self._location.root_prefix, "")):]
            reported.append({"outputManifestPath": partial, "outputManifestHash": digest})
        return reported
