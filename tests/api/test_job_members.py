"""Job members (AssociateMemberToJob, DisassociateMemberFromJob, ListJobMembers) through real boto3 clients."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

STORE = "d-0123456789"
TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "job",
            "steps": [{"name": "only", "script": {"actions": {"onRun": {"command": "echo"}}}}]}


@pytest.fixture(scope="module")
def users(server):
    made = {}
    for name in ("owner", "manager", "viewer", "outsider"):
        principal_id, key_id, secret = server.new_user(f"jobmembers-{name}")
        made[name] = SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]


@pytest.fixture
def job(deadline, farm_id, queue_id) -> dict:
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=json.dumps(TEMPLATE))["jobId"]
    return {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}


def associate(client, job, principal_id, level) -> None:
    client.associate_member_to_job(**job, principalId=principal_id, principalType="USER", identityStoreId=STORE,
                                   membershipLevel=level)


def levels(deadline, job) -> dict[str, str]:
    return {m["principalId"]: m["membershipLevel"] for m in deadline.list_job_members(**job)["members"]}


def error_of(caught) -> dict:
    return caught.value.response


def test_job_member_is_listed_with_every_field(deadline, job, users):
    associate(deadline, job, users.viewer.id, "VIEWER")
    assert deadline.list_job_members(**job)["members"] == [{
        **job, "principalId": users.viewer.id, "principalType": "USER", "identityStoreId": STORE,
        "membershipLevel": "VIEWER"}]


def test_associating_again_changes_the_level(deadline, job, users):
    associate(deadline, job, users.viewer.id, "VIEWER")
    associate(deadline, job, users.viewer.id, "MANAGER")
    assert levels(deadline, job) == {users.viewer.id: "MANAGER"}


def test_disassociated_job_member_is_no_longer_listed(deadline, job, users):
    associate(deadline, job, users.viewer.id, "VIEWER")
    deadline.disassociate_member_from_job(**job, principalId=users.viewer.id)
    assert levels(deadline, job) == {}


def test_disassociating_a_non_member_is_resource_not_found(deadline, job, users):
    with pytest.raises(ClientError) as caught:
        deadline.disassociate_member_from_job(**job, principalId=users.viewer.id)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("member", users.viewer.id)


def test_job_members_are_not_queue_or_farm_members(deadline, job, users):
    associate(deadline, job, users.viewer.id, "VIEWER")
    assert deadline.list_queue_members(farmId=job["farmId"], queueId=job["queueId"])["members"] == []
    assert deadline.list_farm_members(farmId=job["farmId"])["members"] == []


def test_list_memberships_shows_the_job_membership(deadline, job, users):
    associate(deadline, job, users.viewer.id, "CONTRIBUTOR")
    mine = [m for m in users.viewer.client.list_memberships(principalId=users.viewer.id)["memberships"]
            if "job" in m and m["job"]["jobId"] == job["jobId"]]
    assert mine == [{"job": {**job, "principalId": users.viewer.id, "principalType": "USER",
                             "identityStoreId": STORE, "membershipLevel": "CONTRIBUTOR"}}]


def test_job_members_page_with_tokens(deadline, job, users):
    for user in (users.owner, users.manager, users.viewer):
        associate(deadline, job, user.id, "VIEWER")
    pages = list(deadline.get_paginator("list_job_members").paginate(**job, PaginationConfig={"PageSize": 2}))
    assert [len(p["members"]) for p in pages] == [2, 1]


# --- not found ---------------------------------------------------------------------------------------

def test_unknown_job_is_resource_not_found_naming_the_job(deadline, job, users):
    missing = {**job, "jobId": "job-" + "0" * 32}
    with pytest.raises(ClientError) as caught:
        associate(deadline, missing, users.viewer.id, "VIEWER")
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("job", missing["jobId"])


def test_job_named_under_another_queue_is_resource_not_found(deadline, job, users):
    other = deadline.create_queue(farmId=job["farmId"], displayName="other")["queueId"]
    with pytest.raises(ClientError) as caught:
        deadline.list_job_members(**{**job, "queueId": other})
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("job", job["jobId"])


def test_unknown_queue_is_resource_not_found_naming_the_queue(deadline, job, users):
    missing = "queue-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.list_job_members(**{**job, "queueId": missing})
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("queue", missing)


def test_unknown_principal_is_resource_not_found_and_nothing_is_stored(deadline, job):
    unknown = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as caught:
        associate(deadline, job, unknown, "VIEWER")
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("principal", unknown)
    assert levels(deadline, job) == {}


# --- who may manage job members ----------------------------------------------------------------------

def test_queue_manager_manages_the_members_of_its_jobs(deadline, job, users):
    deadline.associate_member_to_queue(farmId=job["farmId"], queueId=job["queueId"], principalId=users.manager.id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="MANAGER")
    associate(users.manager.client, job, users.viewer.id, "CONTRIBUTOR")
    assert levels(users.manager.client, job) == {users.viewer.id: "CONTRIBUTOR"}
    users.manager.client.disassociate_member_from_job(**job, principalId=users.viewer.id)
    assert levels(deadline, job) == {}


def test_job_manager_may_not_grant_owner_and_nothing_changes(deadline, job, users):
    associate(deadline, job, users.manager.id, "MANAGER")
    with pytest.raises(ClientError) as caught:
        associate(users.manager.client, job, users.viewer.id, "OWNER")
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
    assert levels(deadline, job) == {users.manager.id: "MANAGER"}


def test_job_owner_may_grant_owner(deadline, job, users):
    associate(deadline, job, users.owner.id, "OWNER")
    associate(users.owner.client, job, users.manager.id, "OWNER")
    assert levels(deadline, job)[users.manager.id] == "OWNER"


def test_job_viewer_may_neither_list_nor_associate(deadline, job, users):
    associate(deadline, job, users.viewer.id, "VIEWER")
    with pytest.raises(users.viewer.client.exceptions.AccessDeniedException):
        users.viewer.client.list_job_members(**job)
    with pytest.raises(users.viewer.client.exceptions.AccessDeniedException):
        associate(users.viewer.client, job, users.outsider.id, "VIEWER")
    assert levels(deadline, job) == {users.viewer.id: "VIEWER"}


def test_manager_of_another_job_may_not_touch_this_one(deadline, job, users):
    other = {**job, "jobId": deadline.create_job(farmId=job["farmId"], queueId=job["queueId"], priority=50,
                                                 templateType="JSON", template=json.dumps(TEMPLATE))["jobId"]}
    associate(deadline, other, users.manager.id, "MANAGER")
    with pytest.raises(users.manager.client.exceptions.AccessDeniedException):
        associate(users.manager.client, job, users.viewer.id, "VIEWER")
    assert levels(deadline, job) == {}


def test_outsider_is_denied_before_learning_whether_the_job_exists(job, users):
    with pytest.raises(users.outsider.client.exceptions.AccessDeniedException):
        users.outsider.client.list_job_members(**{**job, "jobId": "job-" + "0" * 32})
