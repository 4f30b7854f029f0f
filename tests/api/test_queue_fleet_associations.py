"""Queue-fleet associations through a real boto3 client: ACTIVE -> stop -> STOPPED -> delete, and the run-as rule."""

import time

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/fleet"
POSIX_ONLY = {"runAs": "QUEUE_CONFIGURED_USER", "posix": {"user": "render", "group": "render"}}


def make_fleet(deadline, farm_id, os_family="LINUX", name="nodes"):
    return deadline.create_fleet(farmId=farm_id, displayName=name, roleArn=ROLE, maxWorkerCount=5, configuration={
        "customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": os_family,
            "cpuArchitectureType": "x86_64"}}})["fleetId"]


def make_queue(deadline, farm_id, name="renders", **kwargs):
    return deadline.create_queue(farmId=farm_id, displayName=name, **kwargs)["queueId"]


@pytest.fixture
def pair(deadline, farm_id):
    queue_id, fleet_id = make_queue(deadline, farm_id), make_fleet(deadline, farm_id)
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_new_association_is_active_with_audit_fields(deadline, pair):
    association = deadline.get_queue_fleet_association(**pair)
    assert (association["queueId"], association["fleetId"], association["status"]) == (
        pair["queueId"], pair["fleetId"], "ACTIVE")
    assert association["createdBy"].endswith("user/admin") and "updatedAt" not in association


def test_second_association_of_the_same_pair_is_already_exists(deadline, pair):
    error = error_of(deadline.create_queue_fleet_association, **pair)
    assert (error["Error"]["Code"], error["reason"]) == ("ConflictException", "RESOURCE_ALREADY_EXISTS")
    assert error["resourceType"] == "queue-fleet-association"
    assert error["resourceId"] == f"{pair['queueId']}/{pair['fleetId']}"


def test_unknown_queue_or_fleet_is_not_found_naming_it(deadline, farm_id):
    queue_id, fleet_id = make_queue(deadline, farm_id), make_fleet(deadline, farm_id)
    missing_queue, missing_fleet = "queue-" + "4" * 32, "fleet-" + "5" * 32
    error = error_of(deadline.create_queue_fleet_association, farmId=farm_id, queueId=missing_queue, fleetId=fleet_id)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "queue", missing_queue)
    error = error_of(deadline.create_queue_fleet_association, farmId=farm_id, queueId=queue_id, fleetId=missing_fleet)
    assert (error["resourceType"], error["resourceId"]) == ("fleet", missing_fleet)
    error = error_of(deadline.get_queue_fleet_association, farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    assert (error["resourceType"], error["resourceId"]) == ("queue-fleet-association", f"{queue_id}/{fleet_id}")
    assert deadline.list_queue_fleet_associations(farmId=farm_id)["queueFleetAssociations"] == []


def test_fleet_of_another_farm_is_not_found(deadline, farm_id):
    other_farm = deadline.create_farm(displayName="elsewhere")["farmId"]
    queue_id, foreign_fleet = make_queue(deadline, farm_id), make_fleet(deadline, other_farm)
    error = error_of(deadline.create_queue_fleet_association, farmId=farm_id, queueId=queue_id, fleetId=foreign_fleet)
    assert (error["Error"]["Code"], error["resourceType"]) == ("ResourceNotFoundException", "fleet")


@pytest.mark.parametrize("stop", ["STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS"])
def test_stop_completes_at_once_and_the_stopped_waiter_returns(deadline, pair, stop):
    deadline.update_queue_fleet_association(**pair, status=stop)
    started = time.monotonic()
    deadline.get_waiter("queue_fleet_association_stopped").wait(**pair)
    assert time.monotonic() - started < 2
    association = deadline.get_queue_fleet_association(**pair)
    assert association["status"] == "STOPPED" and association["updatedBy"].endswith("user/admin")


def test_stopped_association_can_be_reactivated(deadline, pair):
    deadline.update_queue_fleet_association(**pair, status="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    deadline.update_queue_fleet_association(**pair, status="ACTIVE")
    assert deadline.get_queue_fleet_association(**pair)["status"] == "ACTIVE"


def test_active_association_cannot_be_deleted(deadline, pair):
    error = error_of(deadline.delete_queue_fleet_association, **pair)
    assert (error["Error"]["Code"], error["reason"]) == ("ConflictException", "STATUS_CONFLICT")
    assert error["context"] == {"status": "ACTIVE"}
    assert deadline.get_queue_fleet_association(**pair)["status"] == "ACTIVE"


def test_stopped_association_is_deleted(deadline, pair):
    deadline.update_queue_fleet_association(**pair, status="STOP_SCHEDULING_AND_CANCEL_TASKS")
    deadline.delete_queue_fleet_association(**pair)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue_fleet_association(**pair)


def test_fleet_with_associations_cannot_be_deleted_until_they_are_gone(deadline, pair):
    error = error_of(deadline.delete_fleet, farmId=pair["farmId"], fleetId=pair["fleetId"])
    assert (error["Error"]["Code"], error["reason"], error["resourceId"]) == (
        "ConflictException", "RESOURCE_IN_USE", pair["fleetId"])
    deadline.update_queue_fleet_association(**pair, status="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    deadline.delete_queue_fleet_association(**pair)
    deadline.delete_fleet(farmId=pair["farmId"], fleetId=pair["fleetId"])


def test_list_filters_by_queue_and_fleet_and_pages(deadline, farm_id):
    queues = [make_queue(deadline, farm_id, f"q{i}") for i in range(2)]
    fleets = [make_fleet(deadline, farm_id, name=f"f{i}") for i in range(2)]
    for queue_id in queues:
        for fleet_id in fleets:
            deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    pairs = []
    for page in deadline.get_paginator("list_queue_fleet_associations").paginate(
            farmId=farm_id, PaginationConfig={"PageSize": 3}):
        assert len(page["queueFleetAssociations"]) <= 3
        pairs += [(a["queueId"], a["fleetId"]) for a in page["queueFleetAssociations"]]
    assert sorted(pairs) == sorted((q, f) for q in queues for f in fleets) and len(pairs) == 4
    by_queue = deadline.list_queue_fleet_associations(farmId=farm_id, queueId=queues[0])["queueFleetAssociations"]
    assert {a["fleetId"] for a in by_queue} == set(fleets) and {a["queueId"] for a in by_queue} == {queues[0]}
    both = deadline.list_queue_fleet_associations(farmId=farm_id, queueId=queues[1], fleetId=fleets[0])
    assert [(a["queueId"], a["fleetId"], a["status"]) for a in both["queueFleetAssociations"]] == [
        (queues[1], fleets[0], "ACTIVE")]


def test_queue_configured_user_without_user_for_the_fleet_os_is_refused(deadline, farm_id):
    queue_id = make_queue(deadline, farm_id, jobRunAsUser=POSIX_ONLY)
    windows_fleet, linux_fleet = make_fleet(deadline, farm_id, "WINDOWS"), make_fleet(deadline, farm_id, "LINUX")
    error = error_of(deadline.create_queue_fleet_association, farmId=farm_id, queueId=queue_id, fleetId=windows_fleet)
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["queueId"]
    assert "Windows user" in error["Error"]["Message"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=linux_fleet)
    listed = deadline.list_queue_fleet_associations(farmId=farm_id, queueId=queue_id)["queueFleetAssociations"]
    assert [a["fleetId"] for a in listed] == [linux_fleet]


def test_worker_agent_user_queue_associates_with_any_fleet(deadline, farm_id):
    queue_id = make_queue(deadline, farm_id, jobRunAsUser={"runAs": "WORKER_AGENT_USER"})
    fleet_id = make_fleet(deadline, farm_id, "WINDOWS")
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)


def test_fleet_os_change_that_breaks_an_associated_queue_is_refused(deadline, farm_id):
    queue_id = make_queue(deadline, farm_id, jobRunAsUser=POSIX_ONLY)
    fleet_id = make_fleet(deadline, farm_id, "LINUX")
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    windows = {"customerManaged": {**fleet["configuration"]["customerManaged"], "workerCapabilities": {
        **fleet["configuration"]["customerManaged"]["workerCapabilities"], "osFamily": "WINDOWS"}}}
    error = error_of(deadline.update_fleet, farmId=farm_id, fleetId=fleet_id, configuration=windows)
    assert [f["name"] for f in error["fieldList"]] == [
        "configuration.customerManaged.workerCapabilities.osFamily"]
    assert deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)["configuration"] == fleet["configuration"]


def test_queue_viewer_reads_associations_but_cannot_change_them(deadline, pair, server, unique_name):
    principal_id, key_id, secret = server.new_user(unique_name("qviewer"))
    deadline.associate_member_to_queue(farmId=pair["farmId"], queueId=pair["queueId"], principalId=principal_id,
                                       principalType="USER", identityStoreId="d-0123456789",
                                       membershipLevel="VIEWER")
    user = server.client(key_id=key_id, secret=secret)
    assert user.get_queue_fleet_association(**pair)["status"] == "ACTIVE"
    listed = user.list_queue_fleet_associations(farmId=pair["farmId"], queueId=pair["queueId"])
    assert len(listed["queueFleetAssociations"]) == 1
    error = error_of(user.update_queue_fleet_association, **pair, status="STOP_SCHEDULING_AND_CANCEL_TASKS")
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert deadline.get_queue_fleet_association(**pair)["status"] == "ACTIVE"
