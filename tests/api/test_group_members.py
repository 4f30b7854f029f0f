"""Groups as principals (`farmstead groups`, principalType GROUP), through real boto3 clients: a group's
memberships are created, listed and deleted like a user's, and a user holds their groups' levels only while
they are in the group."""

from __future__ import annotations

import json
import time

import pytest
from api.test_jobs import RENDER
from botocore.exceptions import ClientError

STORE = "d-0123456789"
UNKNOWN_PRINCIPAL = "00000000-0000-4000-8000-000000000000"
#: The key cache trusts a looked-up long-term key (and the caller's groups with it) this long, and a bit.
CACHE_WINDOW_SECONDS = 5.0


def new_group(server, name: str) -> str:
    return server.cli("groups", "create", name).split()[1]


def submit(client, farm_id, queue_id) -> str:
    return client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                             template=json.dumps(RENDER))["jobId"]


def error_code(call, *args, **params) -> str | None:
    try:
        call(*args, **params)
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def eventually(check, seconds: float = CACHE_WINDOW_SECONDS):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="group work")["queueId"]


def test_group_memberships_are_created_listed_and_deleted_like_a_users(server, deadline, farm_id, queue_id,
                                                                        unique_name):
    group_id = new_group(server, unique_name("leads"))
    deadline.associate_member_to_farm(farmId=farm_id, principalId=group_id, principalType="GROUP",
                                      identityStoreId=STORE, membershipLevel="MANAGER")
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=group_id,
                                       principalType="GROUP", identityStoreId=STORE, membershipLevel="VIEWER")
    assert deadline.list_farm_members(farmId=farm_id)["members"] == [{
        "farmId": farm_id, "principalId": group_id, "principalType": "GROUP", "identityStoreId": STORE,
        "membershipLevel": "MANAGER"}]
    assert [(m["principalId"], m["principalType"]) for m in
            deadline.list_queue_members(farmId=farm_id, queueId=queue_id)["members"]] == [(group_id, "GROUP")]
    job_id = submit(deadline, farm_id, queue_id)
    deadline.associate_member_to_job(farmId=farm_id, queueId=queue_id, jobId=job_id, principalId=group_id,
                                     principalType="GROUP", identityStoreId=STORE, membershipLevel="VIEWER")
    assert [(m["principalId"], m["principalType"]) for m in deadline.list_job_members(
        farmId=farm_id, queueId=queue_id, jobId=job_id)["members"]] == [(group_id, "GROUP")]
    assert len(deadline.list_memberships(principalId=group_id)["memberships"]) == 3
    deadline.disassociate_member_from_farm(farmId=farm_id, principalId=group_id)
    deadline.disassociate_member_from_queue(farmId=farm_id, queueId=queue_id, principalId=group_id)
    deadline.disassociate_member_from_job(farmId=farm_id, queueId=queue_id, jobId=job_id, principalId=group_id)
    assert deadline.list_farm_members(farmId=farm_id)["members"] == []
    assert deadline.list_memberships(principalId=group_id)["memberships"] == []


def test_an_unknown_group_or_a_user_named_as_a_group_is_resource_not_found(server, deadline, farm_id, unique_name):
    user_id, _, _ = server.new_user(unique_name("not-a-group"))
    for principal_id in (UNKNOWN_PRINCIPAL, user_id):
        with pytest.raises(ClientError) as caught:
            deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="GROUP",
                                              identityStoreId=STORE, membershipLevel="VIEWER")
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert deadline.list_farm_members(farmId=farm_id)["members"] == []


def test_a_group_id_given_as_a_user_is_resource_not_found(server, deadline, farm_id, unique_name):
    group_id = new_group(server, unique_name("named-as-user"))
    assert error_code(deadline.associate_member_to_farm, farmId=farm_id, principalId=group_id, principalType="USER",
                      identityStoreId=STORE, membershipLevel="VIEWER") == "ResourceNotFoundException"


def test_a_member_of_a_group_acts_by_its_level_and_loses_it_when_removed(server, deadline, farm_id, queue_id,
                                                                         unique_name):
    user = unique_name("artist")
    _, key_id, secret = server.new_user(user)
    artist = server.client(key_id=key_id, secret=secret)
    contributors, viewers = new_group(server, unique_name("submitters")), new_group(server, unique_name("watchers"))
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=contributors,
                                       principalType="GROUP", identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    deadline.associate_member_to_farm(farmId=farm_id, principalId=viewers, principalType="GROUP",
                                      identityStoreId=STORE, membershipLevel="VIEWER")

    server.cli("groups", "add-member", viewers, user)
    # A VIEWER by the group: sees the farm and queue, may not submit.
    assert eventually(lambda: error_code(artist.get_queue, farmId=farm_id, queueId=queue_id) is None)
    assert [f["farmId"] for f in artist.list_farms()["farms"]] == [farm_id]
    assert error_code(submit, artist, farm_id, queue_id) == "AccessDeniedException"

    server.cli("groups", "add-member", contributors, user)
    assert eventually(lambda: error_code(submit, artist, farm_id, queue_id) is None)

    server.cli("groups", "remove-member", contributors, user)
    server.cli("groups", "remove-member", viewers, user)
    assert eventually(lambda: error_code(artist.get_queue, farmId=farm_id, queueId=queue_id)
                      == "AccessDeniedException")
    assert error_code(submit, artist, farm_id, queue_id) == "AccessDeniedException"


def test_groups_list_shows_each_group_with_its_directory_dn_and_local_members(server, unique_name):
    group, user = unique_name("listed"), unique_name("listed-user")
    server.new_user(user)
    group_id = server.cli("groups", "create", group, "--directory-dn", f"cn={group},ou=groups,dc=x").split()[1]
    server.cli("groups", "add-member", group, user)
    line = next(line for line in server.cli("groups", "list").splitlines() if group_id in line)
    assert group in line and f"cn={group}" in line and user in line
    assert server.admin("groups", "create", group).exit_code != 0  # names are unique


def test_groups_add_and_remove_give_and_end_a_groups_membership_through_the_api(server, deadline, farm_id,
                                                                                 queue_id, unique_name):
    group = unique_name("cli-granted")
    group_id = new_group(server, group)
    server.cli("groups", "add", group, "--farm", farm_id, "--queue", queue_id, "--level", "manager")
    assert [(m["principalId"], m["principalType"], m["membershipLevel"]) for m in deadline.list_queue_members(
        farmId=farm_id, queueId=queue_id)["members"]] == [(group_id, "GROUP", "MANAGER")]
    server.cli("groups", "remove", group, "--farm", farm_id, "--queue", queue_id)
    assert deadline.list_queue_members(farmId=farm_id, queueId=queue_id)["members"] == []
    assert "no group" in server.admin("groups", "add", unique_name("missing"), "--farm", farm_id,
                                      "--level", "VIEWER").output


def test_a_renamed_group_keeps_its_id_and_memberships_and_a_deleted_one_takes_them_away(server, deadline, farm_id,
                                                                                         queue_id, unique_name):
    group, renamed = unique_name("crew"), unique_name("crew-renamed")
    group_id = new_group(server, group)
    member = unique_name("crew-member")
    _, key_id, user_secret = server.new_user(member)
    server.cli("groups", "add-member", group, member)
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=group_id, principalType="GROUP",
                                       identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    client = server.client(key_id=key_id, secret=user_secret)
    assert eventually(lambda: error_code(submit, client, farm_id, queue_id) is None)
    assert server.cli("groups", "rename", group, renamed).split()[-1] == group_id
    assert f"{renamed}\t{group_id}" in server.cli("groups", "list")
    assert error_code(submit, client, farm_id, queue_id) is None  # the id, members and memberships stayed
    assert "1 membership(s)" in server.cli("groups", "delete", renamed)
    members = deadline.list_queue_members(farmId=farm_id, queueId=queue_id)["members"]
    assert group_id not in [m["principalId"] for m in members]
    assert eventually(lambda: error_code(submit, client, farm_id, queue_id) == "AccessDeniedException")
    assert group_id not in server.cli("groups", "list")
