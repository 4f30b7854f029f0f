"""Farms through a real boto3 client against a live server."""

import pytest
from botocore.exceptions import ClientError


def test_create_then_get_farm_returns_every_stored_field(deadline):
    farm_id = deadline.create_farm(displayName="Main farm", description="renders", costScaleFactor=2.5)["farmId"]
    farm = deadline.get_farm(farmId=farm_id)
    assert farm["farmId"] == farm_id
    assert farm["displayName"] == "Main farm"
    assert farm["description"] == "renders"
    assert farm["costScaleFactor"] == 2.5
    assert farm["createdBy"].endswith("user/admin")
    assert farm["createdAt"].tzinfo is not None
    assert "updatedAt" not in farm


def test_cost_scale_factor_defaults_to_one(deadline):
    farm_id = deadline.create_farm(displayName="plain")["farmId"]
    assert deadline.get_farm(farmId=farm_id)["costScaleFactor"] == 1.0


def test_update_farm_changes_fields_and_stamps_updated(deadline, farm_id):
    deadline.update_farm(farmId=farm_id, displayName="renamed", description="new")
    farm = deadline.get_farm(farmId=farm_id)
    assert (farm["displayName"], farm["description"]) == ("renamed", "new")
    assert farm["updatedBy"].endswith("user/admin") and "updatedAt" in farm


def test_unknown_farm_is_resource_not_found_naming_it(deadline):
    missing = "farm-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.get_farm(farmId=missing)
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["resourceId"] == missing and error["resourceType"] == "farm"


def test_malformed_farm_id_is_validation_exception_with_field_list(deadline):
    with pytest.raises(ClientError) as caught:
        deadline.get_farm(farmId="farm-nothex")
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in error["fieldList"]] == ["farmId"]


def test_delete_farm_then_get_is_not_found(deadline, farm_id):
    deadline.delete_farm(farmId=farm_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_farm(farmId=farm_id)


def test_list_farms_pages_with_opaque_tokens(deadline):
    created = {deadline.create_farm(displayName=f"paged {i}")["farmId"] for i in range(5)}
    seen = []
    for page in deadline.get_paginator("list_farms").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["farms"]) <= 2
        seen += [f["farmId"] for f in page["farms"]]
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_tampered_next_token_is_validation_exception(deadline):
    for i in range(3):
        deadline.create_farm(displayName=f"tamper {i}")
    token = deadline.list_farms(maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as caught:
        deadline.list_farms(maxResults=1, nextToken=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_same_client_token_returns_first_farm(deadline):
    first = deadline.create_farm(displayName="once", clientToken="token-farm-once")["farmId"]
    again = deadline.create_farm(displayName="once", clientToken="token-farm-once")["farmId"]
    assert first == again


def test_same_client_token_with_other_input_is_refused_with_a_modelled_error(deadline):
    # CreateFarm models no ConflictException, so a reused token is a ValidationException naming it.
    deadline.create_farm(displayName="first", clientToken="token-farm-conflict")
    with pytest.raises(ClientError) as caught:
        deadline.create_farm(displayName="second", clientToken="token-farm-conflict")
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["clientToken"]


def test_delete_farm_takes_its_storage_profiles_and_limits_along(deadline, farm_id):
    deadline.create_storage_profile(farmId=farm_id, displayName="linux", osFamily="LINUX")
    deadline.create_limit(farmId=farm_id, displayName="licences", amountRequirementName="amount.licence.nuke",
                          maxCount=5)
    deadline.delete_farm(farmId=farm_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_farm(farmId=farm_id)


def test_delete_farm_that_holds_a_queue_is_conflict_resource_in_use(deadline, farm_id):
    deadline.create_queue(farmId=farm_id, displayName="q")
    with pytest.raises(ClientError) as caught:
        deadline.delete_farm(farmId=farm_id)
    error = caught.value.response
    assert error["Error"]["Code"] == "ConflictException" and error["reason"] == "RESOURCE_IN_USE"
    assert deadline.get_farm(farmId=farm_id)["farmId"] == farm_id
