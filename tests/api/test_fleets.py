"""Fleets (and their volumes) through a real boto3 client: customer-managed only, capabilities, bounds,
membership-filtered lists."""

import time

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/fleet"
CAPABILITIES = {"vCpuCount": {"min": 2, "max": 16}, "memoryMiB": {"min": 2048},
                "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}


def cmf(mode="NO_SCALING", **capabilities):
    return {"customerManaged": {"mode": mode, "workerCapabilities": {**CAPABILITIES, **capabilities}}}


def make_fleet(deadline, farm_id, name="nodes", **kwargs):
    params = {"farmId": farm_id, "displayName": name, "roleArn": ROLE, "maxWorkerCount": 10,
              "configuration": cmf(), **kwargs}
    return deadline.create_fleet(**params)["fleetId"]


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_create_then_get_fleet_returns_every_stored_field(deadline, farm_id):
    configuration = cmf(customAmounts=[{"name": "amount.licenses", "min": 1, "max": 4}],
                        customAttributes=[{"name": "attr.renderer", "values": ["arnold"]}],
                        acceleratorCount={"min": 1, "max": 2})
    configuration["customerManaged"]["tagPropagationMode"] = "NO_PROPAGATION"
    fleet_id = make_fleet(deadline, farm_id, "Linux nodes", description="render nodes", minWorkerCount=1,
                          configuration=configuration)
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert (fleet["fleetId"], fleet["farmId"], fleet["displayName"], fleet["description"]) == (
        fleet_id, farm_id, "Linux nodes", "render nodes")
    assert fleet["status"] == "ACTIVE" and fleet["workerCount"] == 0
    assert (fleet["minWorkerCount"], fleet["maxWorkerCount"], fleet["roleArn"]) == (1, 10, ROLE)
    assert fleet["configuration"] == configuration
    assert fleet["capabilities"] == {
        "amounts": [{"name": "amount.worker.vcpu", "min": 2.0, "max": 16.0},
                    {"name": "amount.worker.memory", "min": 2048.0},
                    {"name": "amount.worker.gpu", "min": 1.0, "max": 2.0},
                    {"name": "amount.licenses", "min": 1.0, "max": 4.0}],
        "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                       {"name": "attr.worker.cpu.arch", "values": ["x86_64"]},
                       {"name": "attr.renderer", "values": ["arnold"]}]}
    assert fleet["createdBy"].endswith("user/admin") and "updatedAt" not in fleet
    assert "hostConfiguration" not in fleet and "statusMessage" not in fleet


def test_fleet_active_waiter_succeeds_at_once(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id)
    started = time.monotonic()
    deadline.get_waiter("fleet_active").wait(farmId=farm_id, fleetId=fleet_id)
    assert time.monotonic() - started < 2


def test_min_worker_count_defaults_to_zero(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id)
    assert deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)["minWorkerCount"] == 0


def test_no_scaling_fleet_reports_no_scaling_recommendation(deadline, farm_id):
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=make_fleet(deadline, farm_id))
    assert "autoScalingStatus" not in fleet and "targetWorkerCount" not in fleet


def test_event_based_fleet_is_recommended_its_minimum(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id, minWorkerCount=2, configuration=cmf("EVENT_BASED_AUTO_SCALING"))
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert (fleet["targetWorkerCount"], fleet["autoScalingStatus"]) == (2, "GROWING")


def test_service_managed_fleet_is_refused_and_nothing_is_created(deadline, farm_id):
    error = error_of(deadline.create_fleet, farmId=farm_id, displayName="smf", roleArn=ROLE, maxWorkerCount=1,
                     configuration={"serviceManagedEc2": {
                         "instanceCapabilities": {"vCpuCount": {"min": 2}, "memoryMiB": {"min": 2048},
                                                  "osFamily": "LINUX", "cpuArchitectureType": "x86_64"},
                         "instanceMarketOptions": {"type": "spot"}}})
    assert error["Error"]["Code"] == "ValidationException" and error["reason"] == "FIELD_VALIDATION_FAILED"
    assert "customer-managed fleets only" in error["Error"]["Message"]
    assert [f["name"] for f in error["fieldList"]] == ["configuration"]
    assert deadline.list_fleets(farmId=farm_id)["fleets"] == []


def test_min_worker_count_above_max_is_refused(deadline, farm_id):
    error = error_of(make_fleet, deadline=deadline, farm_id=farm_id, minWorkerCount=11)
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["minWorkerCount"]
    assert deadline.list_fleets(farmId=farm_id)["fleets"] == []


def test_inverted_capability_range_is_refused_naming_the_field(deadline, farm_id):
    error = error_of(make_fleet, deadline=deadline, farm_id=farm_id,
                     configuration=cmf(vCpuCount={"min": 8, "max": 4}))
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == [
        "configuration.customerManaged.workerCapabilities.vCpuCount.max"]


def test_custom_capability_with_reserved_name_is_refused(deadline, farm_id):
    error = error_of(make_fleet, deadline=deadline, farm_id=farm_id,
                     configuration=cmf(customAmounts=[{"name": "amount.worker.vcpu", "min": 1}]))
    assert [f["name"] for f in error["fieldList"]] == [
        "configuration.customerManaged.workerCapabilities.customAmounts[0].name"]


def test_unknown_farm_is_not_found(deadline):
    missing = "farm-" + "1" * 32
    error = error_of(make_fleet, deadline=deadline, farm_id=missing)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "farm", missing)


def test_unknown_fleet_is_not_found_naming_it(deadline, farm_id):
    missing = "fleet-" + "2" * 32
    error = error_of(deadline.get_fleet, farmId=farm_id, fleetId=missing)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "fleet", missing)


def test_storage_profile_must_exist_in_the_farm_and_match_the_os(deadline, farm_id):
    missing = "sp-" + "3" * 32
    configuration = cmf()
    configuration["customerManaged"]["storageProfileId"] = missing
    error = error_of(make_fleet, deadline=deadline, farm_id=farm_id, configuration=configuration)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "storage-profile", missing)

    windows = deadline.create_storage_profile(farmId=farm_id, displayName="win", osFamily="WINDOWS")
    configuration["customerManaged"]["storageProfileId"] = windows["storageProfileId"]
    error = error_of(make_fleet, deadline=deadline, farm_id=farm_id, configuration=configuration)
    assert [f["name"] for f in error["fieldList"]] == ["configuration.customerManaged.storageProfileId"]

    linux = deadline.create_storage_profile(farmId=farm_id, displayName="lin", osFamily="LINUX")
    configuration["customerManaged"]["storageProfileId"] = linux["storageProfileId"]
    fleet_id = make_fleet(deadline, farm_id, configuration=configuration)
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert fleet["configuration"]["customerManaged"]["storageProfileId"] == linux["storageProfileId"]


def test_host_configuration_is_returned_with_default_timeout_and_removed_by_empty_script(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id, hostConfiguration={"scriptBody": "echo hi"})
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert fleet["hostConfiguration"] == {"scriptBody": "echo hi", "scriptTimeoutSeconds": 300}
    deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, hostConfiguration={"scriptBody": ""})
    assert "hostConfiguration" not in deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)


def test_create_fleet_tags_the_fleet(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id, tags={"team": "lighting", "empty": ""})
    # createdBy is an IAM ARN of the server's configured account, the account the fleet's ARN is in too.
    account = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)["createdBy"].split(":")[4]
    arn = f"arn:aws:deadline:us-west-2:{account}:farm/{farm_id}/fleet/{fleet_id}"
    assert deadline.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "lighting", "empty": ""}


def test_update_fleet_changes_fields_and_replaces_configuration_whole(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id, configuration=cmf(customAmounts=[{"name": "amount.a", "min": 1}]))
    new_configuration = cmf("EVENT_BASED_AUTO_SCALING", osFamily="WINDOWS")
    deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, displayName="renamed", description="d",
                          roleArn="arn:aws:iam::123456789012:role/other", minWorkerCount=1, maxWorkerCount=3,
                          configuration=new_configuration)
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert (fleet["displayName"], fleet["description"], fleet["minWorkerCount"], fleet["maxWorkerCount"]) == (
        "renamed", "d", 1, 3)
    assert fleet["roleArn"].endswith("role/other")
    assert fleet["configuration"] == new_configuration
    assert [a["name"] for a in fleet["capabilities"]["amounts"]] == ["amount.worker.vcpu", "amount.worker.memory"]
    assert fleet["status"] == "ACTIVE" and fleet["updatedBy"].endswith("user/admin") and "updatedAt" in fleet


def test_update_to_service_managed_is_refused_and_changes_nothing(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id)
    before = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    error = error_of(deadline.update_fleet, farmId=farm_id, fleetId=fleet_id, displayName="changed",
                     configuration={"serviceManagedEc2": {
                         "instanceCapabilities": {"vCpuCount": {"min": 2}, "memoryMiB": {"min": 2048},
                                                  "osFamily": "LINUX", "cpuArchitectureType": "x86_64"},
                         "instanceMarketOptions": {"type": "on-demand"}}})
    assert [f["name"] for f in error["fieldList"]] == ["configuration"]
    after = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    assert after == {**before, "ResponseMetadata": after["ResponseMetadata"]}


def test_update_that_puts_min_above_existing_max_is_refused(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id, maxWorkerCount=2)
    error = error_of(deadline.update_fleet, farmId=farm_id, fleetId=fleet_id, minWorkerCount=3)
    assert [f["name"] for f in error["fieldList"]] == ["minWorkerCount"]
    assert deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)["minWorkerCount"] == 0


def test_delete_fleet_then_get_is_not_found(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id)
    deadline.delete_fleet(farmId=farm_id, fleetId=fleet_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)


def test_list_fleets_pages_and_filters(deadline, farm_id):
    ids = [make_fleet(deadline, farm_id, f"fleet {i}") for i in range(3)]
    seen = []
    for page in deadline.get_paginator("list_fleets").paginate(farmId=farm_id, PaginationConfig={"PageSize": 2}):
        assert len(page["fleets"]) <= 2
        seen += [f["fleetId"] for f in page["fleets"]]
    assert seen == ids
    summary = deadline.list_fleets(farmId=farm_id, displayName="fleet 1")["fleets"]
    assert [f["fleetId"] for f in summary] == [ids[1]]
    assert set(summary[0]) >= {"fleetId", "farmId", "displayName", "status", "workerCount", "minWorkerCount",
                               "maxWorkerCount", "configuration", "createdAt", "createdBy"}
    assert len(deadline.list_fleets(farmId=farm_id, status="ACTIVE")["fleets"]) == 3
    assert deadline.list_fleets(farmId=farm_id, status="SUSPENDED")["fleets"] == []


def test_fleet_member_lists_only_their_fleet_and_stranger_is_denied(deadline, farm_id, server, unique_name):
    mine, other = make_fleet(deadline, farm_id, "mine"), make_fleet(deadline, farm_id, "other")
    principal_id, key_id, secret = server.new_user(unique_name("fleetviewer"))
    deadline.associate_member_to_fleet(farmId=farm_id, fleetId=mine, principalId=principal_id,
                                       principalType="USER", identityStoreId="d-0123456789",
                                       membershipLevel="VIEWER")
    user = server.client(key_id=key_id, secret=secret)
    assert [f["fleetId"] for f in user.list_fleets(farmId=farm_id)["fleets"]] == [mine]
    assert user.get_fleet(farmId=farm_id, fleetId=mine)["fleetId"] == mine
    with pytest.raises(ClientError) as caught:
        user.get_fleet(farmId=farm_id, fleetId=other)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    # The administrator may ask for the fleets one principal is a member of.
    listed = deadline.list_fleets(farmId=farm_id, principalId=principal_id)["fleets"]
    assert [f["fleetId"] for f in listed] == [mine]

    _, stranger_key, stranger_secret = server.new_user(unique_name("stranger"))
    stranger = server.client(key_id=stranger_key, secret=stranger_secret)
    with pytest.raises(ClientError) as caught:
        stranger.list_fleets(farmId=farm_id)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_only_the_administrator_creates_fleets(deadline, farm_id, server, unique_name):
    principal_id, key_id, secret = server.new_user(unique_name("owner"))
    deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="USER",
                                      identityStoreId="d-0123456789", membershipLevel="OWNER")
    owner = server.client(key_id=key_id, secret=secret)
    error = error_of(make_fleet, deadline=owner, farm_id=farm_id)
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert deadline.list_fleets(farmId=farm_id)["fleets"] == []


def test_volumes_do_not_exist_on_customer_managed_fleets(deadline, farm_id):
    fleet_id = make_fleet(deadline, farm_id)
    volume_id = "volume-" + "9" * 32
    assert deadline.list_volumes(farmId=farm_id, fleetId=fleet_id)["volumes"] == []
    for call in (deadline.get_volume, deadline.delete_volume):
        error = error_of(call, farmId=farm_id, fleetId=fleet_id, volumeId=volume_id)
        assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
            "ResourceNotFoundException", "volume", volume_id)
    missing_fleet = "fleet-" + "9" * 32
    error = error_of(deadline.list_volumes, farmId=farm_id, fleetId=missing_fleet)
    assert (error["resourceType"], error["resourceId"]) == ("fleet", missing_fleet)
