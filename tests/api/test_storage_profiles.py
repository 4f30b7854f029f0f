"""Storage profiles, and a queue's view of them, through a real boto3 client against a live server."""

import pytest
from botocore.exceptions import ClientError

ASSETS = {"name": "Assets", "path": "/mnt/assets", "type": "SHARED"}
SCRATCH = {"name": "Scratch", "path": "/tmp/scratch", "type": "LOCAL"}


def _profile(deadline, farm_id, locations=(), **extra):
    return deadline.create_storage_profile(farmId=farm_id, displayName=extra.pop("displayName", "sp"),
                                           osFamily=extra.pop("osFamily", "LINUX"),
                                           fileSystemLocations=list(locations), **extra)["storageProfileId"]


def _locations(deadline, farm_id, sp):
    return deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)["fileSystemLocations"]


def _field_names(caught):
    error = caught.value.response
    assert (error["Error"]["Code"], error["reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    return [f["name"] for f in error["fieldList"]]


def test_create_then_get_returns_every_field(deadline, farm_id):
    sp = _profile(deadline, farm_id, [ASSETS, SCRATCH], displayName="Linux workstations")
    profile = deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)
    assert (profile["storageProfileId"], profile["displayName"], profile["osFamily"]) == (
        sp, "Linux workstations", "LINUX")
    assert profile["fileSystemLocations"] == [ASSETS, SCRATCH]
    assert profile["createdBy"].endswith("user/admin") and "updatedAt" not in profile


def test_repeated_location_name_is_refused_and_nothing_is_created(deadline, farm_id):
    with pytest.raises(ClientError) as caught:
        _profile(deadline, farm_id, [ASSETS, {**SCRATCH, "name": "Assets"}])
    assert _field_names(caught) == ["fileSystemLocations"]
    assert deadline.list_storage_profiles(farmId=farm_id)["storageProfiles"] == []


def test_update_removes_then_adds_so_a_location_can_be_replaced(deadline, farm_id):
    sp = _profile(deadline, farm_id, [ASSETS, SCRATCH])
    moved = {**ASSETS, "path": "/net/assets"}
    deadline.update_storage_profile(farmId=farm_id, storageProfileId=sp, displayName="renamed", osFamily="MACOS",
                                    fileSystemLocationsToRemove=[ASSETS], fileSystemLocationsToAdd=[moved])
    profile = deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)
    assert (profile["displayName"], profile["osFamily"]) == ("renamed", "MACOS")
    assert profile["fileSystemLocations"] == [SCRATCH, moved]
    assert profile["updatedBy"].endswith("user/admin")


def test_update_adding_a_held_name_is_refused_and_changes_nothing(deadline, farm_id):
    sp = _profile(deadline, farm_id, [ASSETS])
    with pytest.raises(ClientError) as caught:
        deadline.update_storage_profile(farmId=farm_id, storageProfileId=sp, displayName="changed",
                                        fileSystemLocationsToAdd=[{**SCRATCH, "name": "Assets"}])
    assert _field_names(caught) == ["fileSystemLocationsToAdd"]
    profile = deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)
    assert (profile["displayName"], profile["fileSystemLocations"]) == ("sp", [ASSETS])


def test_update_removing_an_unknown_location_is_refused(deadline, farm_id):
    sp = _profile(deadline, farm_id, [ASSETS])
    with pytest.raises(ClientError) as caught:
        deadline.update_storage_profile(farmId=farm_id, storageProfileId=sp, fileSystemLocationsToRemove=[SCRATCH])
    assert _field_names(caught) == ["fileSystemLocationsToRemove"]
    assert _locations(deadline, farm_id, sp) == [ASSETS]


def test_unknown_profile_is_not_found_naming_it(deadline, farm_id):
    missing = "sp-" + "3" * 32
    with pytest.raises(ClientError) as caught:
        deadline.get_storage_profile(farmId=farm_id, storageProfileId=missing)
    error = caught.value.response
    assert (error["Error"]["Code"], error["resourceId"], error["resourceType"]) == (
        "ResourceNotFoundException", missing, "storage-profile")


def test_delete_then_get_is_not_found_and_deleting_again_succeeds(deadline, farm_id):
    sp = _profile(deadline, farm_id)
    deadline.delete_storage_profile(farmId=farm_id, storageProfileId=sp)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)
    # The model lists no ResourceNotFoundException for DeleteStorageProfile.
    deadline.delete_storage_profile(farmId=farm_id, storageProfileId=sp)


def test_profile_a_queue_allows_cannot_be_deleted_until_the_queue_lets_go(deadline, farm_id):
    sp = _profile(deadline, farm_id)
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q", allowedStorageProfileIds=[sp])["queueId"]
    with pytest.raises(ClientError) as caught:
        deadline.delete_storage_profile(farmId=farm_id, storageProfileId=sp)
    assert _field_names(caught) == ["storageProfileId"]
    assert queue_id in caught.value.response["message"]
    assert deadline.get_storage_profile(farmId=farm_id, storageProfileId=sp)["storageProfileId"] == sp
    deadline.update_queue(farmId=farm_id, queueId=queue_id, allowedStorageProfileIdsToRemove=[sp])
    deadline.delete_storage_profile(farmId=farm_id, storageProfileId=sp)


def test_list_pages_through_the_farms_profiles(deadline, farm_id):
    created = [_profile(deadline, farm_id, displayName=f"sp {i}") for i in range(5)]
    pages = deadline.get_paginator("list_storage_profiles").paginate(farmId=farm_id, PaginationConfig={"PageSize": 2})
    seen = [p for page in pages for p in page["storageProfiles"]]
    assert [p["storageProfileId"] for p in seen] == created
    assert seen[0] == {"storageProfileId": created[0], "displayName": "sp 0", "osFamily": "LINUX"}


def test_queue_sees_only_the_profiles_it_allows(deadline, farm_id):
    allowed, other = _profile(deadline, farm_id, [ASSETS], displayName="allowed"), _profile(deadline, farm_id)
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q", allowedStorageProfileIds=[allowed])["queueId"]
    profile = deadline.get_storage_profile_for_queue(farmId=farm_id, queueId=queue_id, storageProfileId=allowed)
    assert profile == {"storageProfileId": allowed, "displayName": "allowed", "osFamily": "LINUX",
                       "fileSystemLocations": [ASSETS], "ResponseMetadata": profile["ResponseMetadata"]}
    with pytest.raises(ClientError) as caught:
        deadline.get_storage_profile_for_queue(farmId=farm_id, queueId=queue_id, storageProfileId=other)
    error = caught.value.response
    assert (error["Error"]["Code"], error["resourceId"]) == ("ResourceNotFoundException", other)
    listed = deadline.list_storage_profiles_for_queue(farmId=farm_id, queueId=queue_id)["storageProfiles"]
    assert [p["storageProfileId"] for p in listed] == [allowed]


def test_queue_view_of_an_unknown_queue_is_not_found_naming_the_queue(deadline, farm_id):
    missing = "queue-" + "4" * 32
    with pytest.raises(ClientError) as caught:
        deadline.list_storage_profiles_for_queue(farmId=farm_id, queueId=missing)
    assert (caught.value.response["resourceId"], caught.value.response["resourceType"]) == (missing, "queue")
