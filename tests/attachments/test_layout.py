"""The bucket layout: key names, output manifest selection and root-path metadata."""

from __future__ import annotations

from datetime import UTC, datetime

from farmstead.attachments import layout
from farmstead.attachments.manifests import hash_bytes

IDS = {"farmId": "farm-1", "queueId": "queue-1", "jobId": "job-1", "stepId": "step-1", "taskId": "task-1-0"}


def test_contents_are_keyed_by_hash_under_data():
    assert layout.data_key("Root", "ab" * 16) == f"Root/Data/{'ab' * 16}.xxh128"


def test_an_input_manifest_is_named_by_a_fresh_guid_and_the_roots_hash():
    partial = layout.input_manifest_partial("farm-1", "queue-1", "/projects/shot")
    farm, queue, inputs, guid, name = partial.split("/")
    assert (farm, queue, inputs) == ("farm-1", "queue-1", "Inputs")
    assert len(guid) == 32 and name == f"{hash_bytes(b'/projects/shot')}_input"
    assert layout.manifest_key("Root", partial) == f"Root/Manifests/{partial}"
    assert layout.input_manifest_partial("farm-1", "queue-1", "/projects/shot") != partial


def test_an_output_manifest_key_names_the_task_run_and_root():
    started = datetime(2026, 11, 30, 2, 40, 4, 339664, tzinfo=UTC)
    folder = layout.output_run_folder(started, "sessionaction-abc-1")
    assert folder == "2026-11-30T02:40:04.339664Z_sessionaction-abc-1"
    key = layout.output_manifest_key("Root", IDS, folder, "/projects/shot")
    assert key == (f"Root/Manifests/farm-1/queue-1/job-1/step-1/task-1-0/{folder}/"
                   f"{hash_bytes(b'/projects/shot')}_output")
    assert layout.output_manifest_key("Root", IDS, folder, "/projects/shot", "Render").endswith(
        f"/{hash_bytes(b'Render/projects/shot')}_output")


def test_only_each_tasks_newest_run_counts():
    base = "Root/Manifests/farm-1/queue-1/job-1/step-1"
    keys = [f"{base}/task-1-0/2026-01-01T00:00:00.000000Z_sa-1/h1_output",
            f"{base}/task-1-0/2026-01-02T00:00:00.000000Z_sa-2/h1_output",
            f"{base}/task-1-0/2026-01-02T00:00:00.000000Z_sa-2/h2_output",
            f"{base}/task-1-1/2026-01-01T00:00:00.000000Z_sa-3/h1_output",
            "Root/Manifests/farm-1/queue-1/Inputs/guid/h_input"]
    assert layout.newest_output_manifests(keys) == [keys[1], keys[2], keys[3]]


def test_root_metadata_is_plain_for_ascii_and_json_quoted_otherwise():
    assert layout.root_metadata("/p/shot", "Render") == {"asset-root": "/p/shot", "file-system-location-name": "Render"}
    metadata = layout.root_metadata("/p/szene-ü")
    assert metadata == {"asset-root": '"/p/szene-\\u00fc"', "asset-root-json": '"/p/szene-\\u00fc"'}
    assert all(value.isascii() for value in metadata.values())
    assert layout.root_from_metadata(metadata) == "/p/szene-ü"
    assert layout.root_from_metadata({"asset-root": "/p/shot"}) == "/p/shot"


def test_a_root_syncs_to_a_directory_named_by_its_hash():
    name = layout.session_root_name("/projects/shot")
    assert name.startswith("assetroot-") and len(name) == len("assetroot-") + 20
    assert name != layout.session_root_name("/projects/other")
