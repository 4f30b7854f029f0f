"""Queues through a real boto3 client against a live server."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError, WaiterError

MISSING_SP = "sp-" + "0" * 32
FAST = {"Delay": 1, "MaxAttempts": 3}


def _error(caught):
    return caught.value.response


def _queue(deadline, farm_id, **extra):
    return deadline.create_queue(farmId=farm_id, displayName=extra.pop("displayName", "q"), **extra)["queueId"]


def _profile(deadline, farm_id, os_family="LINUX"):
    return deadline.create_storage_profile(farmId=farm_id, displayName="sp", osFamily=os_family)["storageProfileId"]


def _queue_ids(deadline, farm_id, **filters):
    return [q["queueId"] for q in deadline.list_queues(farmId=farm_id, **filters)["queues"]]


def _implemented(call):
    """Run a call into another family's operation; skip the test while that operation is unimplemented."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(f"{error.operation_name} is not implemented yet")
        raise


def _linux_fleet(deadline, farm_id):
    return _implemented(lambda: deadline.create_fleet(
        farmId=farm_id, displayName="f", roleArn="arn:aws:iam::123456789012:role/FleetRole", maxWorkerCount=1,
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}}))["fleetId"]


def test_create_with_only_required_members_gets_documented_defaults(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, displayName="plain")
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert (queue["farmId"], queue["queueId"], queue["displayName"]) == (farm_id, queue_id, "plain")
    assert queue["status"] == "IDLE" and "blockedReason" not in queue
    assert queue["defaultBudgetAction"] == "NONE"
    assert queue["schedulingConfiguration"] == {"priorityFifo": {}}
    assert queue["requiredFileSystemLocationNames"] == [] and queue["allowedStorageProfileIds"] == []
    # No user given: jobs run as the worker agent's user, and GetQueue reports no jobRunAsUser.
    assert "jobRunAsUser" not in queue and "roleArn" not in queue and "jobAttachmentSettings" not in queue
    assert queue["createdBy"].endswith("user/admin") and "updatedAt" not in queue


def test_create_then_get_returns_every_given_member(deadline, farm_id):
    sp = _profile(deadline, farm_id)
    given = dict(
        description="renders", defaultBudgetAction="NONE",
        jobAttachmentSettings={"s3BucketName": "bucket", "rootPrefix": "root/prefix"},
        roleArn="arn:aws:iam::123456789012:role/QueueRole",
        jobRunAsUser={"runAs": "QUEUE_CONFIGURED_USER", "posix": {"user": "render", "group": "render"}},
        requiredFileSystemLocationNames=["Assets", "Output"], allowedStorageProfileIds=[sp],
        schedulingConfiguration={"weightedBalanced": {"priorityWeight": 50.0,
                                                      "maxPriorityOverride": {"alwaysScheduleFirst": {}}}})
    queue_id = _queue(deadline, farm_id, **given)
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    for member, value in given.items():
        assert queue[member] == value, member


def test_tags_given_on_create_are_on_the_queue_arn(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, tags={"team": "lighting"})
    arn = f"arn:aws:deadline:us-west-2:{_account(deadline, farm_id, queue_id)}:farm/{farm_id}/queue/{queue_id}"
    assert _implemented(lambda: deadline.list_tags_for_resource(resourceArn=arn))["tags"] == {"team": "lighting"}


def _account(deadline, farm_id, queue_id):
    # createdBy is the caller's IAM-style ARN: arn:aws:iam::<account>:user/admin
    return deadline.get_queue(farmId=farm_id, queueId=queue_id)["createdBy"].split(":")[4]


def test_queue_configured_user_without_a_user_is_refused_and_nothing_is_created(deadline, farm_id):
    with pytest.raises(ClientError) as caught:
        _queue(deadline, farm_id, jobRunAsUser={"runAs": "QUEUE_CONFIGURED_USER"})
    error = _error(caught)
    assert error["Error"]["Code"] == "ValidationException" and error["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in error["fieldList"]] == ["jobRunAsUser"]
    assert _queue_ids(deadline, farm_id) == []


def test_unknown_allowed_storage_profile_is_not_found_and_nothing_is_created(deadline, farm_id):
    with pytest.raises(ClientError) as caught:
        _queue(deadline, farm_id, allowedStorageProfileIds=[MISSING_SP])
    error = _error(caught)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["resourceId"], error["resourceType"]) == (MISSING_SP, "storage-profile")
    assert _queue_ids(deadline, farm_id) == []


def test_storage_profile_of_another_farm_cannot_be_allowed(deadline, farm_id):
    other_farm = deadline.create_farm(displayName="other")["farmId"]
    foreign = _profile(deadline, other_farm)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        _queue(deadline, farm_id, allowedStorageProfileIds=[foreign])


def test_unknown_farm_or_queue_is_not_found_naming_it(deadline, farm_id):
    missing_farm, missing_queue = "farm-" + "1" * 32, "queue-" + "1" * 32
    with pytest.raises(ClientError) as caught:
        deadline.get_queue(farmId=missing_farm, queueId=missing_queue)
    assert (_error(caught)["resourceId"], _error(caught)["resourceType"]) == (missing_farm, "farm")
    with pytest.raises(ClientError) as caught:
        deadline.get_queue(farmId=farm_id, queueId=missing_queue)
    assert (_error(caught)["resourceId"], _error(caught)["resourceType"]) == (missing_queue, "queue")


def test_queue_is_not_found_under_another_farm(deadline, farm_id):
    queue_id = _queue(deadline, farm_id)
    other_farm = deadline.create_farm(displayName="other")["farmId"]
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue(farmId=other_farm, queueId=queue_id)


def test_update_edits_lists_and_replaces_scheduling_configuration_whole(deadline, farm_id):
    sp1, sp2 = _profile(deadline, farm_id), _profile(deadline, farm_id)
    queue_id = _queue(deadline, farm_id, requiredFileSystemLocationNames=["A", "B"], allowedStorageProfileIds=[sp1],
                      schedulingConfiguration={"priorityBalanced": {"renderingTaskBuffer": 5}})
    deadline.update_queue(farmId=farm_id, queueId=queue_id, displayName="renamed", description="d",
                          requiredFileSystemLocationNamesToAdd=["C", "A"],
                          requiredFileSystemLocationNamesToRemove=["B", "Z"],
                          allowedStorageProfileIdsToAdd=[sp2], allowedStorageProfileIdsToRemove=[sp1],
                          schedulingConfiguration={"weightedBalanced": {}},
                          jobRunAsUser={"runAs": "WORKER_AGENT_USER"})
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert (queue["displayName"], queue["description"]) == ("renamed", "d")
    assert queue["requiredFileSystemLocationNames"] == ["A", "C"]
    assert queue["allowedStorageProfileIds"] == [sp2]
    assert queue["schedulingConfiguration"] == {"weightedBalanced": {}}
    assert queue["jobRunAsUser"] == {"runAs": "WORKER_AGENT_USER"}
    assert queue["updatedBy"].endswith("user/admin") and "updatedAt" in queue


def test_update_naming_an_entry_in_both_add_and_remove_is_refused_and_changes_nothing(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, requiredFileSystemLocationNames=["A"])
    with pytest.raises(ClientError) as caught:
        deadline.update_queue(farmId=farm_id, queueId=queue_id, displayName="changed",
                              requiredFileSystemLocationNamesToAdd=["B"],
                              requiredFileSystemLocationNamesToRemove=["B"])
    assert _error(caught)["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in _error(caught)["fieldList"]] == ["requiredFileSystemLocationNamesToRemove"]
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert (queue["displayName"], queue["requiredFileSystemLocationNames"]) == ("q", ["A"])


def test_update_beyond_twenty_location_names_is_refused(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, requiredFileSystemLocationNames=[f"L{i}" for i in range(20)])
    with pytest.raises(ClientError) as caught:
        deadline.update_queue(farmId=farm_id, queueId=queue_id, requiredFileSystemLocationNamesToAdd=["more"])
    assert [f["name"] for f in _error(caught)["fieldList"]] == ["requiredFileSystemLocationNamesToAdd"]
    assert len(deadline.get_queue(farmId=farm_id, queueId=queue_id)["requiredFileSystemLocationNames"]) == 20


def test_update_allowing_unknown_storage_profile_is_not_found_and_changes_nothing(deadline, farm_id):
    queue_id = _queue(deadline, farm_id)
    with pytest.raises(ClientError) as caught:
        deadline.update_queue(farmId=farm_id, queueId=queue_id, displayName="changed",
                              allowedStorageProfileIdsToAdd=[MISSING_SP])
    assert (_error(caught)["Error"]["Code"], _error(caught)["resourceId"]) == ("ResourceNotFoundException", MISSING_SP)
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert (queue["displayName"], queue["allowedStorageProfileIds"]) == ("q", [])


def test_default_budget_action_without_a_budget_blocks_scheduling(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, defaultBudgetAction="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    deadline.get_waiter("queue_scheduling_blocked").wait(farmId=farm_id, queueId=queue_id, WaiterConfig=FAST)
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert (queue["status"], queue["blockedReason"]) == ("SCHEDULING_BLOCKED", "NO_BUDGET_CONFIGURED")
    summary, = deadline.list_queues(farmId=farm_id)["queues"]
    assert (summary["status"], summary["blockedReason"]) == ("SCHEDULING_BLOCKED", "NO_BUDGET_CONFIGURED")


def test_setting_default_budget_action_back_to_none_unblocks(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, defaultBudgetAction="STOP_SCHEDULING_AND_CANCEL_TASKS")
    deadline.update_queue(farmId=farm_id, queueId=queue_id, defaultBudgetAction="NONE")
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert queue["status"] == "IDLE" and "blockedReason" not in queue


def test_scheduling_waiter_gives_up_on_an_idle_queue(deadline, farm_id):
    queue_id = _queue(deadline, farm_id)
    with pytest.raises(WaiterError):
        deadline.get_waiter("queue_scheduling").wait(farmId=farm_id, queueId=queue_id,
                                                      WaiterConfig={"Delay": 1, "MaxAttempts": 1})


def test_an_active_budget_tracking_the_queue_lifts_the_no_budget_block(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, defaultBudgetAction="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    now = datetime.now(UTC)
    _implemented(lambda: deadline.create_budget(
        farmId=farm_id, usageTrackingResource={"queueId": queue_id}, displayName="b", approximateDollarLimit=10.0,
        actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}],
        schedule={"fixed": {"startTime": now - timedelta(days=1), "endTime": now + timedelta(days=30)}}))
    queue = deadline.get_queue(farmId=farm_id, queueId=queue_id)
    assert queue["status"] == "IDLE" and "blockedReason" not in queue


def test_list_queues_filters_by_status_and_pages(deadline, farm_id):
    idle = {_queue(deadline, farm_id) for _ in range(3)}
    blocked = _queue(deadline, farm_id, defaultBudgetAction="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    assert _queue_ids(deadline, farm_id, status="SCHEDULING_BLOCKED") == [blocked]
    assert set(_queue_ids(deadline, farm_id, status="IDLE")) == idle
    assert _queue_ids(deadline, farm_id, status="SCHEDULING") == []
    seen = []
    for page in deadline.get_paginator("list_queues").paginate(farmId=farm_id, PaginationConfig={"PageSize": 2}):
        assert len(page["queues"]) <= 2
        seen += [q["queueId"] for q in page["queues"]]
    assert seen == sorted(seen, key=seen.index) and set(seen) == idle | {blocked} and len(seen) == 4


def test_queue_member_lists_only_its_queues_and_outsider_is_denied(server, deadline, farm_id, unique_name):
    mine, _other = _queue(deadline, farm_id), _queue(deadline, farm_id)
    principal_id, key_id, secret = server.new_user(unique_name("queue-member"))
    _implemented(lambda: deadline.associate_member_to_queue(
        farmId=farm_id, queueId=mine, principalId=principal_id, principalType="USER",
        identityStoreId="d-0000000000", membershipLevel="VIEWER"))
    member = server.client(key_id=key_id, secret=secret)
    assert _queue_ids(member, farm_id) == [mine]
    assert _queue_ids(deadline, farm_id, principalId=principal_id) == [mine]
    _, outsider_key, outsider_secret = server.new_user(unique_name("outsider"))
    with pytest.raises(ClientError) as caught:
        server.client(key_id=outsider_key, secret=outsider_secret).list_queues(farmId=farm_id)
    assert _error(caught)["Error"]["Code"] == "AccessDeniedException"


def test_farm_member_lists_every_queue(server, deadline, farm_id, unique_name):
    queues = {_queue(deadline, farm_id), _queue(deadline, farm_id)}
    principal_id, key_id, secret = server.new_user(unique_name("farm-member"))
    _implemented(lambda: deadline.associate_member_to_farm(
        farmId=farm_id, principalId=principal_id, principalType="USER", identityStoreId="d-0000000000",
        membershipLevel="VIEWER"))
    assert set(_queue_ids(server.client(key_id=key_id, secret=secret), farm_id)) == queues
    assert set(_queue_ids(deadline, farm_id, principalId=principal_id)) == queues


def test_only_an_administrator_creates_queues(server, deadline, farm_id, unique_name):
    principal_id, key_id, secret = server.new_user(unique_name("owner"))
    _implemented(lambda: deadline.associate_member_to_farm(
        farmId=farm_id, principalId=principal_id, principalType="USER", identityStoreId="d-0000000000",
        membershipLevel="OWNER"))
    with pytest.raises(ClientError) as caught:
        server.client(key_id=key_id, secret=secret).create_queue(farmId=farm_id, displayName="nope")
    assert _error(caught)["Error"]["Code"] == "AccessDeniedException"
    assert _queue_ids(deadline, farm_id) == []


def test_delete_queue_takes_its_environments_and_then_is_not_found(deadline, farm_id):
    queue_id = _queue(deadline, farm_id)
    env_id = deadline.create_queue_environment(
        farmId=farm_id, queueId=queue_id, priority=1, templateType="JSON",
        template='{"specificationVersion": "environment-2023-09", '
                 '"environment": {"name": "E", "variables": {"A": "1"}}}',
    )["queueEnvironmentId"]
    deadline.delete_queue(farmId=farm_id, queueId=queue_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue(farmId=farm_id, queueId=queue_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    assert _queue_ids(deadline, farm_id) == []


def test_delete_queue_with_a_fleet_association_is_conflict_and_keeps_the_queue(deadline, farm_id):
    queue_id = _queue(deadline, farm_id)
    fleet_id = _linux_fleet(deadline, farm_id)
    _implemented(lambda: deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id))
    with pytest.raises(ClientError) as caught:
        deadline.delete_queue(farmId=farm_id, queueId=queue_id)
    error = _error(caught)
    assert (error["Error"]["Code"], error["reason"]) == ("ConflictException", "RESOURCE_IN_USE")
    assert (error["resourceId"], error["resourceType"]) == (queue_id, "queue")
    assert deadline.get_queue(farmId=farm_id, queueId=queue_id)["queueId"] == queue_id


def test_update_job_run_as_user_must_suit_associated_customer_managed_fleets(deadline, farm_id):
    queue_id = _queue(deadline, farm_id, jobRunAsUser={"runAs": "QUEUE_CONFIGURED_USER",
                                                       "posix": {"user": "u", "group": "g"}})
    fleet_id = _linux_fleet(deadline, farm_id)
    _implemented(lambda: deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id))
    windows_only = {"runAs": "QUEUE_CONFIGURED_USER",
                    "windows": {"user": "u", "passwordArn": "arn:aws:secretsmanager:us-west-2:123456789012:secret:pw"}}
    with pytest.raises(ClientError) as caught:
        deadline.update_queue(farmId=farm_id, queueId=queue_id, jobRunAsUser=windows_only)
    assert [f["name"] for f in _error(caught)["fieldList"]] == ["jobRunAsUser"]
    assert deadline.get_queue(farmId=farm_id, queueId=queue_id)["jobRunAsUser"]["posix"] == {"user": "u", "group": "g"}


def test_same_client_token_returns_the_first_queue(deadline, farm_id):
    first = _queue(deadline, farm_id, clientToken="queue-once")
    assert _queue(deadline, farm_id, clientToken="queue-once") == first
    assert _queue_ids(deadline, farm_id) == [first]
