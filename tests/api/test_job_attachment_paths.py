"""CreateJob refuses attachment paths that would lead a worker outside its session directory: an output
directory or input manifest path that is absolute or climbs with '..' is a ValidationException naming
the field, and nothing is stored. Paths below the root are accepted as before."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "with attachments",
                       "steps": [{"name": "only", "script": {"actions": {"onRun": {"command": "true"}}}}]})


def attachments(**manifest) -> dict:
    return {"manifests": [{"rootPath": "/projects/shot010", "rootPathFormat": "posix", **manifest}],
            "fileSystem": "COPIED"}


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="attachments")["queueId"]


@pytest.mark.parametrize("manifest, field", [
    ({"outputRelativeDirectories": ["../" * 12 + "home/user/.ssh"]}, "outputRelativeDirectories[0]"),
    ({"outputRelativeDirectories": ["renders", "renders/../../.."]}, "outputRelativeDirectories[1]"),
    ({"outputRelativeDirectories": ["/etc"]}, "outputRelativeDirectories[0]"),
    ({"outputRelativeDirectories": ["C:\\Windows"]}, "outputRelativeDirectories[0]"),
    ({"outputRelativeDirectories": ["..\\..\\escape"]}, "outputRelativeDirectories[0]"),
    ({"inputManifestPath": "../../Manifests/other", "inputManifestHash": "abc"}, "inputManifestPath"),
    ({"inputManifestPath": "/Manifests/x", "inputManifestHash": "abc"}, "inputManifestPath"),
])
def test_escaping_attachment_path_is_a_validation_error_naming_the_field(deadline, farm_id, queue_id, manifest, field):
    with pytest.raises(ClientError) as caught:
        deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON", template=TEMPLATE,
                            attachments=attachments(**manifest))
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == [f"attachments.manifests[0].{field}"]
    assert deadline.list_jobs(farmId=farm_id, queueId=queue_id)["jobs"] == []


def test_paths_below_the_root_are_accepted_and_kept(deadline, farm_id, queue_id):
    given = attachments(outputRelativeDirectories=["renders", "renders/beauty", "."],
                        inputManifestPath="farm/queue/Inputs/abc/manifest_input", inputManifestHash="abc")
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=TEMPLATE, attachments=given)["jobId"]
    assert deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)["attachments"] == given
