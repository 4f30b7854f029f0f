"""`farmstead users add/remove`: an artist joins a farm or a queue without boto3 or an identityStoreId, and
what each level may then do to the artist's own jobs is what AWS documents for it (docs/access.md)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "artist job",
                       "steps": [{"name": "only", "script": {"actions": {"onRun": {"command": "true"}}}}]})


def _code(call, **params) -> str | None:
    try:
        call(**params)
    except ClientError as err:
        return err.response["Error"]["Code"]
    return None


@pytest.fixture
def artist(server, unique_name):
    name = unique_name("artist")
    principal, key_id, secret = server.new_user(name)
    return name, principal, server.client(key_id=key_id, secret=secret)


def test_a_farm_contributor_submits_and_reads_but_only_a_manager_changes_jobs_even_their_own(
        server, deadline, ready_queue, artist):
    name, principal, client = artist
    ids = {"farmId": ready_queue["farmId"], "queueId": ready_queue["queueId"]}
    added = server.admin("users", "add", name, "--farm", ids["farmId"], "--level", "CONTRIBUTOR")
    assert added.exit_code == 0, added.output
    assert f"{name} is CONTRIBUTOR on farm {ids['farmId']}" in added.output
    (member,) = deadline.list_farm_members(farmId=ids["farmId"])["members"]
    assert (member["principalId"], member["membershipLevel"]) == (principal, "CONTRIBUTOR")

    job_id = client.create_job(**ids, priority=50, templateType="JSON", template=TEMPLATE,
                               targetTaskRunStatus="SUSPENDED")["jobId"]
    assert client.get_job(**ids, jobId=job_id)["createdBy"].endswith(f"/{name}")
    # AWS: "Contributor – … permission to submit jobs"; "Manager – … permission to edit jobs".
    assert _code(client.update_job, **ids, jobId=job_id, targetTaskRunStatus="CANCELED") == "AccessDeniedException"
    # A MANAGER membership on just that job (or its queue) is how an artist gets to change it.
    assert server.admin("users", "add", name, "--farm", ids["farmId"], "--queue", ids["queueId"], "--job", job_id,
                        "--level", "MANAGER").exit_code == 0
    assert _code(client.update_job, **ids, jobId=job_id, targetTaskRunStatus="CANCELED") is None
    other = deadline.create_job(**ids, priority=50, templateType="JSON", template=TEMPLATE,
                                targetTaskRunStatus="SUSPENDED")["jobId"]
    assert _code(client.update_job, **ids, jobId=other, targetTaskRunStatus="CANCELED") == "AccessDeniedException"


def test_a_queue_viewer_sees_that_queue_only_and_remove_ends_it(server, deadline, ready_queue, artist):
    name, _, client = artist
    farm = ready_queue["farmId"]
    other = deadline.create_queue(farmId=farm, displayName="other")["queueId"]
    added = server.admin("users", "add", name, "--farm-id", farm, "--queue-id", ready_queue["queueId"],
                         "--level", "viewer")
    assert added.exit_code == 0 and "is VIEWER on queue" in added.output, added.output
    assert client.get_queue(farmId=farm, queueId=ready_queue["queueId"])["queueId"] == ready_queue["queueId"]
    assert _code(client.get_queue, farmId=farm, queueId=other) == "AccessDeniedException"
    assert _code(client.create_job, farmId=farm, queueId=ready_queue["queueId"], priority=50, templateType="JSON",
                 template=TEMPLATE) == "AccessDeniedException"
    removed = server.admin("users", "remove", name, "--farm-id", farm, "--queue-id", ready_queue["queueId"])
    assert removed.exit_code == 0, removed.output
    assert _code(client.get_queue, farmId=farm, queueId=ready_queue["queueId"]) == "AccessDeniedException"


def test_users_add_says_what_is_wrong_in_the_users_words(server, farm_id):
    unknown = server.admin("users", "add", "nobody-like-this", "--farm", farm_id, "--level", "VIEWER")
    assert unknown.exit_code != 0 and " users create nobody-like-this --data-dir " in unknown.output
    missing = server.admin("users", "add", "admin", "--farm", "farm-" + "0" * 32, "--level", "VIEWER")
    assert missing.exit_code != 0 and "ResourceNotFoundException" in missing.output
    assert "Traceback" not in missing.output
    both = server.admin("users", "add", "admin", "--farm", farm_id, "--fleet", "fleet-x", "--queue", "queue-y",
                        "--level", "VIEWER")
    assert both.exit_code != 0 and "not both" in both.output
