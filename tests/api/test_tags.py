"""Tags by ARN: TagResource, UntagResource, ListTagsForResource, and tags given at creation."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import REGION

ACCOUNT = "000000000000"
PREFIX = f"arn:aws:deadline:{REGION}:{ACCOUNT}:"
STORE = "d-0123456789"


def farm_arn(farm_id: str) -> str:
    return f"{PREFIX}farm/{farm_id}"


def error_of(caught) -> dict:
    return caught.value.response


def created_or_skip(call, **params) -> dict:
    try:
        return call(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(f"{error.response['Error']['Message']} (another engineer's operation)")
        raise


def test_tags_given_to_create_farm_are_listed(deadline):
    farm_id = deadline.create_farm(displayName="tagged", tags={"team": "lighting", "empty": ""})["farmId"]
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {
        "team": "lighting", "empty": ""}


def test_tag_resource_adds_and_overwrites_and_answers_204(deadline, farm_id):
    deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"a": "1", "b": "2"})
    response = deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"b": "two", "c": "3"})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {"a": "1", "b": "two", "c": "3"}


def test_untag_resource_removes_only_the_named_keys(deadline, farm_id):
    deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"a": "1", "b": "2"})
    response = deadline.untag_resource(resourceArn=farm_arn(farm_id), tagKeys=["a", "never-there"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {"b": "2"}


def test_untagged_resource_lists_no_tags(deadline, farm_id):
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {}


def test_unknown_farm_is_resource_not_found_naming_it(deadline):
    missing = "farm-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.list_tags_for_resource(resourceArn=farm_arn(missing))
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("farm", missing)


def test_queue_under_the_wrong_farm_is_resource_not_found(deadline, farm_id):
    queue_id = created_or_skip(deadline.create_queue, farmId=farm_id, displayName="q")["queueId"]
    other = deadline.create_farm(displayName="other")["farmId"]
    with pytest.raises(ClientError) as caught:
        deadline.tag_resource(resourceArn=f"{PREFIX}farm/{other}/queue/{queue_id}", tags={"x": "y"})
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("queue", queue_id)


@pytest.mark.parametrize("arn", [
    "not-an-arn",
    f"arn:aws:deadline:eu-north-1:{ACCOUNT}:farm/farm-{'0' * 32}",  # another region
    f"arn:aws:deadline:{REGION}:123456789012:farm/farm-{'0' * 32}",  # another account
    f"arn:aws:s3:{REGION}:{ACCOUNT}:farm/farm-{'0' * 32}",  # another service
    f"{PREFIX}farm/queue-{'0' * 32}",  # an id of the wrong kind
    f"{PREFIX}farm/farm-{'0' * 32}/storage-profile/sp-{'0' * 32}",  # not taggable
    f"{PREFIX}farm/farm-{'0' * 32}/queue",  # half a path
])
def test_malformed_or_foreign_arn_is_validation_exception(deadline, arn):
    with pytest.raises(ClientError) as caught:
        deadline.list_tags_for_resource(resourceArn=arn)
    assert error_of(caught)["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["resourceArn"]


@pytest.mark.parametrize("bad", [{"aws:owner": "me"}, {"k" * 129: "v"}, {"k": "v" * 257}, {"": "v"}])
def test_tags_breaking_aws_tag_rules_are_refused_and_nothing_is_written(deadline, farm_id, bad):
    with pytest.raises(ClientError) as caught:
        deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"fine": "yes", **bad})
    assert error_of(caught)["Error"]["Code"] == "ValidationException"
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {}


def test_more_than_fifty_tags_on_one_resource_is_refused(deadline, farm_id):
    deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as caught:
        deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"one-more": "v"})
    assert error_of(caught)["Error"]["Code"] == "ValidationException"
    deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"k0": "replaced"})  # overwriting is no new tag


def test_tags_of_queues_and_fleets_from_creation(deadline, farm_id):
    queue_id = created_or_skip(deadline.create_queue, farmId=farm_id, displayName="q",
                               tags={"kind": "queue"})["queueId"]
    assert deadline.list_tags_for_resource(resourceArn=f"{PREFIX}farm/{farm_id}/queue/{queue_id}")["tags"] == {
        "kind": "queue"}
    fleet_id = created_or_skip(
        deadline.create_fleet, farmId=farm_id, displayName="f", maxWorkerCount=1, tags={"kind": "fleet"},
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/fleet",
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]
    assert deadline.list_tags_for_resource(resourceArn=f"{PREFIX}farm/{farm_id}/fleet/{fleet_id}")["tags"] == {
        "kind": "fleet"}


def test_deleting_a_farm_drops_its_tags(deadline):
    farm_id = deadline.create_farm(displayName="short-lived", tags={"a": "b"})["farmId"]
    deadline.delete_farm(farmId=farm_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))


# --- who may see and change tags ------------------------------------------------------------------

@pytest.fixture(scope="module")
def member(server):
    principal_id, key_id, secret = server.new_user("tags-member")
    return principal_id, server.client(key_id=key_id, secret=secret)


def test_viewer_lists_tags_but_may_not_change_them(deadline, farm_id, member):
    principal_id, client = member
    deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="USER",
                                      identityStoreId=STORE, membershipLevel="VIEWER")
    deadline.tag_resource(resourceArn=farm_arn(farm_id), tags={"a": "1"})
    assert client.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {"a": "1"}
    with pytest.raises(ClientError) as caught:
        client.tag_resource(resourceArn=farm_arn(farm_id), tags={"b": "2"})
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.untag_resource(resourceArn=farm_arn(farm_id), tagKeys=["a"])
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {"a": "1"}


def test_owner_may_tag_the_farm(deadline, farm_id, member):
    principal_id, client = member
    deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="USER",
                                      identityStoreId=STORE, membershipLevel="OWNER")
    client.tag_resource(resourceArn=farm_arn(farm_id), tags={"by": "owner"})
    assert deadline.list_tags_for_resource(resourceArn=farm_arn(farm_id))["tags"] == {"by": "owner"}


def test_non_member_is_denied_even_for_a_farm_that_does_not_exist(member):
    _, client = member
    with pytest.raises(ClientError) as caught:
        client.list_tags_for_resource(resourceArn=farm_arn("farm-" + "0" * 32))
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
