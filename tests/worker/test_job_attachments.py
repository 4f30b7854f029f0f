"""Farmstead's worker side of job attachments, against a real S3 store (SeaweedFS): inputs into the
session, outputs back.

The official CLI reads what this writes (tests/e2e/test_job_attachments_official.py); here each
rule is pinned on its own.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from farmstead.attachments import layout, manifests, transfer
from farmstead.attachments.submission import AssetReferences, plan, upload
from farmstead.testing.s3_store import S3Store
from farmstead.worker.job_attachments import AttachmentError, QueueS3Clients, SessionAttachments

SETTINGS = {"s3BucketName": "worker-unit", "rootPrefix": "Root"}


pytestmark = pytest.mark.s3_store

@pytest.fixture
def ids() -> dict[str, str]:
    """A job of its own for each test: the tests share one bucket."""
    return {"farmId": "farm-1", "queueId": "queue-1", "jobId": f"job-{uuid.uuid4().hex}", "stepId": "step-1",
            "taskId": "task-1-0"}


@pytest.fixture(scope="module")
def s3():
    store = S3Store.start()
    store.create_bucket(SETTINGS["s3BucketName"])
    yield store.client()
    store.stop()


def submitted(s3, tmp_path: Path) -> dict:
    """A job's `attachments`, as `farmstead submit` uploads them: two inputs and an output directory."""
    project = tmp_path / "project"
    (project / "in" / "deep").mkdir(parents=True)
    (project / "in" / "a.txt").write_text("alpha")
    (project / "in" / "deep" / "b.txt").write_text("beta")
    os.utime(project / "in" / "a.txt", ns=(1_600_000_000_000_000_000,) * 2)
    references = AssetReferences(input_directories={project / "in"}, output_directories={project / "out"})
    return upload(s3, SETTINGS, "farm-1", "queue-1", plan(references))


def test_inputs_land_under_the_roots_session_directory_with_their_mtimes(s3, tmp_path):
    attachments = submitted(s3, tmp_path)
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    assert session.sync_inputs() == 2
    (manifest,) = attachments["manifests"]
    root = tmp_path / "session" / layout.session_root_name(manifest["rootPath"])
    assert (root / "in" / "a.txt").read_text() == "alpha" and (root / "in" / "deep" / "b.txt").read_text() == "beta"
    assert (root / "in" / "a.txt").stat().st_mtime_ns == 1_600_000_000_000_000_000
    assert (root / "out").is_dir()  # output directories exist before the task runs
    assert session.path_mapping_rules() == [{"sourcePathFormat": "posix", "sourcePath": manifest["rootPath"],
                                             "destinationPath": str(root)}]


def test_only_new_or_changed_output_files_are_uploaded_with_one_manifest_per_root(s3, tmp_path, ids):
    attachments = submitted(s3, tmp_path)
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    session.sync_inputs()
    root = session.local_root(attachments["manifests"][0])
    (root / "out" / "frame.exr").write_bytes(b"pixels")
    started = datetime(2026, 11, 30, 3, 0, 0, 123456, tzinfo=UTC)
    (reported,) = session.upload_outputs(ids, "sessionaction-x-1", started)
    key = layout.manifest_key("Root", reported["outputManifestPath"])
    assert key.startswith(f"Root/Manifests/farm-1/queue-1/{ids['jobId']}/step-1/task-1-0/"
                          "2026-11-30T03:00:00.123456Z_sessionaction-x-1/")
    content, metadata = transfer.get_manifest(s3, transfer.Location.of(SETTINGS), key)
    assert [p.path for p in content.paths] == ["out/frame.exr"]
    assert layout.root_from_metadata(metadata) == attachments["manifests"][0]["rootPath"]
    assert reported["outputManifestHash"] == manifests.hash_bytes(manifests.encode(content))
    # Nothing new since: the next task of the session reports an empty entry for the root.
    assert session.upload_outputs(ids, "sessionaction-x-2", started) == [{}]


def test_a_dependency_steps_newest_outputs_are_synced_into_the_same_root(s3, tmp_path, ids):
    attachments = submitted(s3, tmp_path)
    first = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "first")
    first.sync_inputs()
    out = first.local_root(attachments["manifests"][0]) / "out"
    (out / "frame.exr").write_bytes(b"old")
    first.upload_outputs(ids, "sessionaction-a-1", datetime(2026, 1, 1, tzinfo=UTC))
    (out / "frame.exr").write_bytes(b"retried")
    first.upload_outputs(ids, "sessionaction-b-1", datetime(2026, 1, 2, tzinfo=UTC))

    second = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "second")
    assert second.sync_inputs() == 2
    assert second.sync_step_outputs(ids, ["step-1"]) == 1  # the dependency's output only: inputs are there
    assert (second.local_root(attachments["manifests"][0]) / "out" / "frame.exr").read_bytes() == b"retried"


def test_a_step_dependency_sync_before_the_job_level_sync_is_refused_as_the_official_agent_does(s3, tmp_path, ids):
    session = SessionAttachments(s3, SETTINGS, submitted(s3, tmp_path), tmp_path / "session")
    with pytest.raises(AttachmentError, match="must be synchronized before downloading Step dependencies"):
        session.sync_step_outputs(ids, ["step-1"])


def test_an_output_manifest_of_a_root_the_job_never_submitted_is_refused(s3, tmp_path, ids):
    attachments = submitted(s3, tmp_path)
    location = transfer.Location.of(SETTINGS)
    key = layout.output_manifest_key("Root", {**ids, "stepId": "step-9"}, "2026-01-01T00:00:00.000000Z_sa-1",
                                     "/elsewhere")
    transfer.put_manifest(s3, location, key, manifests.Manifest(()), layout.root_metadata("/elsewhere"))
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    session.sync_inputs()
    with pytest.raises(AttachmentError, match="names a root this job did not submit"):
        session.sync_step_outputs(ids, ["step-9"])


# --- paths the worker refuses: the job's attachments come from its submitter, through the server ---
# The server checks outputRelativeDirectories at CreateJob too; these tests hand the worker what a
# server that did not (or a manifest nobody checked) would, as the worker must not count on it.

def with_output_directory(attachments: dict, relative: str) -> dict:
    (manifest,) = attachments["manifests"]
    return {**attachments, "manifests": [{**manifest, "outputRelativeDirectories": [relative]}]}


def climbing_to(target: Path) -> str:
    """`../` twelve times, then `target` from the filesystem's root: out of any session directory."""
    return "../" * 12 + target.relative_to(target.anchor).as_posix()


def test_an_output_directory_climbing_out_of_the_session_is_refused_before_anything_is_created(s3, tmp_path):
    outside = tmp_path / "outside" / "made-by-the-job"
    attachments = with_output_directory(submitted(s3, tmp_path), climbing_to(outside))
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    with pytest.raises(AttachmentError, match="outside the session directory"):
        session.sync_inputs()
    assert not outside.exists() and not outside.parent.exists()


def test_an_absolute_output_directory_is_refused(s3, tmp_path):
    outside = tmp_path / "absolute"
    attachments = with_output_directory(submitted(s3, tmp_path), str(outside))
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    with pytest.raises(AttachmentError, match="outside the session directory"):
        session.sync_inputs()
    assert not outside.exists()


def test_files_outside_the_session_are_never_uploaded_as_outputs(s3, tmp_path, ids):
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the worker's own secret")
    attachments = with_output_directory(submitted(s3, tmp_path), climbing_to(secret.parent))
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    with pytest.raises(AttachmentError, match="outside the session directory"):
        session.upload_outputs(ids, "sessionaction-x-1", datetime(2026, 1, 1, tzinfo=UTC))
    data_key = layout.data_key(SETTINGS["rootPrefix"], manifests.hash_file(secret))
    assert "Contents" not in s3.list_objects_v2(Bucket=SETTINGS["s3BucketName"], Prefix=data_key)


def test_an_output_that_links_out_of_the_session_fails_the_upload(s3, tmp_path, ids):
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("readable by the worker, not by the job")
    attachments = submitted(s3, tmp_path)
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    session.sync_inputs()
    out = session.local_root(attachments["manifests"][0]) / "out"
    (out / "frame.exr").write_bytes(b"pixels")
    (out / "frame.link").symlink_to(secret)  # what a task running as another user could leave behind
    with pytest.raises(AttachmentError, match="outside the session directory"):
        session.upload_outputs(ids, "sessionaction-x-1", datetime(2026, 1, 1, tzinfo=UTC))
    data_key = layout.data_key(SETTINGS["rootPrefix"], manifests.hash_file(secret))
    assert "Contents" not in s3.list_objects_v2(Bucket=SETTINGS["s3BucketName"], Prefix=data_key)


def test_an_output_directory_replaced_by_a_link_out_of_the_session_is_refused(s3, tmp_path, ids):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("not the job's")
    attachments = submitted(s3, tmp_path)
    session = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "session")
    session.sync_inputs()
    out = session.local_root(attachments["manifests"][0]) / "out"
    out.rmdir()
    out.symlink_to(elsewhere)
    with pytest.raises(AttachmentError, match="outside the session directory"):
        session.upload_outputs(ids, "sessionaction-x-1", datetime(2026, 1, 1, tzinfo=UTC))


def test_an_input_is_never_written_through_a_link_out_of_the_session(s3, tmp_path, ids):
    attachments = submitted(s3, tmp_path)
    first = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "first")
    first.sync_inputs()
    (first.local_root(attachments["manifests"][0]) / "out" / "frame.exr").write_bytes(b"step one's output")
    first.upload_outputs(ids, "sessionaction-a-1", datetime(2026, 1, 1, tzinfo=UTC))

    # A later session of the job: before the dependency's outputs arrive, something of the job has
    # made `out` a link to a directory the worker may write and the job may not.
    victim = tmp_path / "victim"
    victim.mkdir()
    second = SessionAttachments(s3, SETTINGS, attachments, tmp_path / "second")
    second.sync_inputs()  # the job-level sync comes first in every session that syncs a step's outputs
    root = second.local_root(attachments["manifests"][0])
    (root / "out").rmdir()  # the output directory the sync made, replaced by a link
    (root / "out").symlink_to(victim)
    with pytest.raises(AttachmentError, match="outside the session directory"):
        second.sync_step_outputs(ids, ["step-1"])
    assert list(victim.iterdir()) == []


class QueueRoles:
    """AssumeQueueRoleForWorker as the server answers it, counted: keys for a queue with a role, none
    for one without (as tests/worker/test_credentials.py stands in for AssumeFleetRoleForWorker)."""

    def __init__(self, without_role: set[str]) -> None:
        self.without_role = without_role
        self.calls: list[str] = []
        self.meta = SimpleNamespace(region_name="us-west-2")

    def assume_queue_role_for_worker(self, **ids):
        self.calls.append(ids["queueId"])
        if ids["queueId"] in self.without_role:
            return {}
        return {"credentials": {"accessKeyId": f"key-{len(self.calls)}", "secretAccessKey": "s", "sessionToken": "t",
                                "expiration": datetime.now(UTC) + timedelta(hours=1)}}


def test_a_workers_sessions_share_one_s3_client_per_queue_and_ask_for_its_role_once():
    roles = QueueRoles(without_role=set())
    clients = QueueS3Clients(roles, {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"})
    first, again, other = clients("queue-1"), clients("queue-1"), clients("queue-2")
    assert first is again and other is not first
    assert roles.calls == ["queue-1", "queue-2"]


def test_a_queue_without_a_role_is_asked_again_by_the_next_session():
    roles = QueueRoles(without_role={"queue-1"})
    clients = QueueS3Clients(roles, {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"})
    with pytest.raises(AttachmentError, match="it has no role"):
        clients("queue-1")
    roles.without_role.clear()  # the queue got a role meanwhile
    assert clients("queue-1") is clients("queue-1")
    assert roles.calls == ["queue-1", "queue-1"]
