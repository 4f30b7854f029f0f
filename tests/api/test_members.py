"""Farm, queue and fleet members and ListMemberships, through real boto3 clients (admin and users)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

STORE = "d-0123456789"  # any identityStoreId of the model's form; Farmstead stores and echoes it
UNKNOWN_PRINCIPAL = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def users(server):
    """Four users with their own clients, shared by the tests (each test works on its own farm)."""
    made = {}
    for name in ("owner", "manager", "viewer", "outsider"):
        principal_id, key_id, secret = server.new_user(f"members-{name}")
        made[name] = SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def associate(client, farm_id, principal_id, level, **scope):
    kind = "queue" if "queueId" in scope else "fleet" if "fleetId" in scope else "farm"
    call = getattr(client, f"associate_member_to_{kind}")
    call(farmId=farm_id, principalId=principal_id, principalType="USER", identityStoreId=STORE,
         membershipLevel=level, **scope)


def error_of(caught) -> dict:
    return caught.value.response


def farm_levels(deadline, farm_id) -> dict[str, str]:
    return {m["principalId"]: m["membershipLevel"] for m in deadline.list_farm_members(farmId=farm_id)["members"]}


def create_or_skip(call, **params) -> dict:
    try:
        return call(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(f"{error.response['Error']['Message']} (another engineer's operation)")
        raise


def new_queue(deadline, farm_id) -> str:
    return create_or_skip(deadline.create_queue, farmId=farm_id, displayName="q")["queueId"]


def new_fleet(deadline, farm_id) -> str:
    return create_or_skip(
        deadline.create_fleet, farmId=farm_id, displayName="f", maxWorkerCount=1,
        roleArn="arn:aws:iam::000000000000:role/fleet",
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]


# --- farm members ---------------------------------------------------------------------------------

def test_associated_farm_member_is_listed_with_every_field(deadline, farm_id, users):
    associate(deadline, farm_id, users.viewer.id, "VIEWER")
    assert deadline.list_farm_members(farmId=farm_id)["members"] == [{
        "farmId": farm_id, "principalId": users.viewer.id, "principalType": "USER",
        "identityStoreId": STORE, "membershipLevel": "VIEWER"}]


def test_associating_a_member_again_changes_the_level_without_a_second_entry(deadline, farm_id, users):
    associate(deadline, farm_id, users.viewer.id, "VIEWER")
    associate(deadline, farm_id, users.viewer.id, "CONTRIBUTOR")
    assert farm_levels(deadline, farm_id) == {users.viewer.id: "CONTRIBUTOR"}


def test_unknown_principal_is_resource_not_found_naming_the_principal(deadline, farm_id):
    with pytest.raises(ClientError) as caught:
        associate(deadline, farm_id, UNKNOWN_PRINCIPAL, "VIEWER")
    error = error_of(caught)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["resourceType"], error["resourceId"]) == ("principal", UNKNOWN_PRINCIPAL)
    assert farm_levels(deadline, farm_id) == {}


def test_malformed_principal_id_is_validation_exception(deadline, farm_id):
    with pytest.raises(ClientError) as caught:
        associate(deadline, farm_id, "not-a-principal", "VIEWER")
    assert error_of(caught)["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["principalId"]


def test_associating_to_an_unknown_farm_is_resource_not_found_naming_the_farm(deadline, users):
    missing = "farm-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        associate(deadline, missing, users.viewer.id, "VIEWER")
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("farm", missing)


def test_disassociated_member_is_no_longer_listed(deadline, farm_id, users):
    associate(deadline, farm_id, users.viewer.id, "VIEWER")
    deadline.disassociate_member_from_farm(farmId=farm_id, principalId=users.viewer.id)
    assert farm_levels(deadline, farm_id) == {}


def test_disassociating_a_non_member_is_resource_not_found(deadline, farm_id, users):
    with pytest.raises(ClientError) as caught:
        deadline.disassociate_member_from_farm(farmId=farm_id, principalId=users.viewer.id)
    error = error_of(caught)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["resourceType"], error["resourceId"]) == ("member", users.viewer.id)


def test_farm_members_page_with_tokens(deadline, farm_id, users):
    for user, level in ((users.owner, "OWNER"), (users.manager, "MANAGER"), (users.viewer, "VIEWER")):
        associate(deadline, farm_id, user.id, level)
    pages = list(deadline.get_paginator("list_farm_members").paginate(
        farmId=farm_id, PaginationConfig={"PageSize": 2}))
    assert [len(p["members"]) for p in pages] == [2, 1]
    listed = [m["principalId"] for p in pages for m in p["members"]]
    assert listed == [users.owner.id, users.manager.id, users.viewer.id]


# --- who may grant what ---------------------------------------------------------------------------

def test_manager_may_grant_contributor(deadline, farm_id, users):
    associate(deadline, farm_id, users.manager.id, "MANAGER")
    associate(users.manager.client, farm_id, users.viewer.id, "CONTRIBUTOR")
    assert farm_levels(deadline, farm_id)[users.viewer.id] == "CONTRIBUTOR"


def test_manager_may_not_grant_owner_and_nothing_changes(deadline, farm_id, users):
    associate(deadline, farm_id, users.manager.id, "MANAGER")
    with pytest.raises(ClientError) as caught:
        associate(users.manager.client, farm_id, users.viewer.id, "OWNER")
    assert (error_of(caught)["Error"]["Code"], error_of(caught)["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDeniedException", 403)
    assert farm_levels(deadline, farm_id) == {users.manager.id: "MANAGER"}


def test_manager_may_neither_demote_nor_remove_an_owner(deadline, farm_id, users):
    associate(deadline, farm_id, users.manager.id, "MANAGER")
    associate(deadline, farm_id, users.owner.id, "OWNER")
    with pytest.raises(users.manager.client.exceptions.AccessDeniedException):
        associate(users.manager.client, farm_id, users.owner.id, "VIEWER")
    with pytest.raises(users.manager.client.exceptions.AccessDeniedException):
        users.manager.client.disassociate_member_from_farm(farmId=farm_id, principalId=users.owner.id)
    assert farm_levels(deadline, farm_id)[users.owner.id] == "OWNER"


def test_owner_may_grant_owner(deadline, farm_id, users):
    associate(deadline, farm_id, users.owner.id, "OWNER")
    associate(users.owner.client, farm_id, users.manager.id, "OWNER")
    assert farm_levels(deadline, farm_id)[users.manager.id] == "OWNER"


def test_viewer_may_neither_list_nor_associate_members(deadline, farm_id, users):
    associate(deadline, farm_id, users.viewer.id, "VIEWER")
    with pytest.raises(users.viewer.client.exceptions.AccessDeniedException):
        users.viewer.client.list_farm_members(farmId=farm_id)
    with pytest.raises(users.viewer.client.exceptions.AccessDeniedException):
        associate(users.viewer.client, farm_id, users.outsider.id, "VIEWER")
    assert farm_levels(deadline, farm_id) == {users.viewer.id: "VIEWER"}


def test_manager_lists_farm_members(deadline, farm_id, users):
    associate(deadline, farm_id, users.manager.id, "MANAGER")
    assert [m["principalId"] for m in users.manager.client.list_farm_members(farmId=farm_id)["members"]] == [
        users.manager.id]


# --- queue and fleet members ----------------------------------------------------------------------

def test_queue_member_is_listed_on_the_queue_not_the_farm(deadline, farm_id, users):
    queue_id = new_queue(deadline, farm_id)
    associate(deadline, farm_id, users.viewer.id, "CONTRIBUTOR", queueId=queue_id)
    assert deadline.list_queue_members(farmId=farm_id, queueId=queue_id)["members"] == [{
        "farmId": farm_id, "queueId": queue_id, "principalId": users.viewer.id, "principalType": "USER",
        "identityStoreId": STORE, "membershipLevel": "CONTRIBUTOR"}]
    assert farm_levels(deadline, farm_id) == {}
    deadline.disassociate_member_from_queue(farmId=farm_id, queueId=queue_id, principalId=users.viewer.id)
    assert deadline.list_queue_members(farmId=farm_id, queueId=queue_id)["members"] == []


def test_unknown_queue_is_resource_not_found_naming_the_queue(deadline, farm_id, users):
    missing = "queue-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        associate(deadline, farm_id, users.viewer.id, "VIEWER", queueId=missing)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("queue", missing)


def test_fleet_member_is_listed_on_the_fleet(deadline, farm_id, users):
    fleet_id = new_fleet(deadline, farm_id)
    associate(deadline, farm_id, users.viewer.id, "VIEWER", fleetId=fleet_id)
    assert deadline.list_fleet_members(farmId=farm_id, fleetId=fleet_id)["members"] == [{
        "farmId": farm_id, "fleetId": fleet_id, "principalId": users.viewer.id, "principalType": "USER",
        "identityStoreId": STORE, "membershipLevel": "VIEWER"}]
    deadline.disassociate_member_from_fleet(farmId=farm_id, fleetId=fleet_id, principalId=users.viewer.id)
    assert deadline.list_fleet_members(farmId=farm_id, fleetId=fleet_id)["members"] == []


def test_unknown_fleet_is_resource_not_found_naming_the_fleet(deadline, farm_id, users):
    missing = "fleet-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.list_fleet_members(farmId=farm_id, fleetId=missing)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("fleet", missing)


def test_queue_manager_may_grant_on_the_queue_but_not_on_the_farm(deadline, farm_id, users):
    queue_id = new_queue(deadline, farm_id)
    associate(deadline, farm_id, users.manager.id, "MANAGER", queueId=queue_id)
    associate(users.manager.client, farm_id, users.viewer.id, "VIEWER", queueId=queue_id)
    with pytest.raises(users.manager.client.exceptions.AccessDeniedException):
        associate(users.manager.client, farm_id, users.viewer.id, "VIEWER")
    assert farm_levels(deadline, farm_id) == {}


# --- ListMemberships ------------------------------------------------------------------------------

def test_list_memberships_gives_each_membership_under_its_resource_type(deadline, farm_id, users):
    fleet_id = new_fleet(deadline, farm_id)
    associate(deadline, farm_id, users.viewer.id, "VIEWER")
    associate(deadline, farm_id, users.viewer.id, "MANAGER", fleetId=fleet_id)
    mine = [m for m in users.viewer.client.list_memberships(principalId=users.viewer.id)["memberships"]
            if next(iter(m.values()))["farmId"] == farm_id]
    assert mine == [
        {"farm": {"farmId": farm_id, "principalId": users.viewer.id, "principalType": "USER",
                  "identityStoreId": STORE, "membershipLevel": "VIEWER"}},
        {"fleet": {"farmId": farm_id, "fleetId": fleet_id, "principalId": users.viewer.id, "principalType": "USER",
                   "identityStoreId": STORE, "membershipLevel": "MANAGER"}},
    ]
    only_fleets = deadline.list_memberships(principalId=users.viewer.id, resourceTypes=["FLEET"])["memberships"]
    assert only_fleets and all(list(m) == ["fleet"] for m in only_fleets)


def test_list_memberships_of_someone_else_is_access_denied_for_a_user(users):
    with pytest.raises(ClientError) as caught:
        users.outsider.client.list_memberships(principalId=users.viewer.id)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"


def test_list_memberships_of_unknown_principal_is_resource_not_found(deadline):
    with pytest.raises(ClientError) as caught:
        deadline.list_memberships(principalId=UNKNOWN_PRINCIPAL)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("principal", UNKNOWN_PRINCIPAL)
