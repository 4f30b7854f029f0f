"""Limits and queue-limit associations through a real boto3 client."""

import time

import pytest
from botocore.exceptions import ClientError

from support.raw_http import signed_request


def make_limit(deadline, farm_id, name="amount.nuke", max_count=5, **kwargs):
    return deadline.create_limit(farmId=farm_id, displayName=f"{name} licences", amountRequirementName=name,
                                 maxCount=max_count, **kwargs)["limitId"]


def make_queue(deadline, farm_id, name="renders"):
    return deadline.create_queue(farmId=farm_id, displayName=name)["queueId"]


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


@pytest.fixture
def pair(deadline, farm_id):
    queue_id, limit_id = make_queue(deadline, farm_id), make_limit(deadline, farm_id)
    deadline.create_queue_limit_association(farmId=farm_id, queueId=queue_id, limitId=limit_id)
    return {"farmId": farm_id, "queueId": queue_id, "limitId": limit_id}


# --- limits ------------------------------------------------------------------------------------------

def test_create_then_get_limit_returns_every_field(deadline, farm_id):
    limit_id = make_limit(deadline, farm_id, "amount.vray", 7, description="floating")
    limit = deadline.get_limit(farmId=farm_id, limitId=limit_id)
    assert (limit["farmId"], limit["limitId"], limit["displayName"], limit["description"]) == (
        farm_id, limit_id, "amount.vray licences", "floating")
    assert (limit["amountRequirementName"], limit["maxCount"], limit["currentCount"]) == ("amount.vray", 7, 0)
    assert limit["createdBy"].endswith("user/admin") and "updatedAt" not in limit


def test_unlimited_max_count_is_minus_one(deadline, farm_id):
    limit_id = make_limit(deadline, farm_id, max_count=-1)
    assert deadline.get_limit(farmId=farm_id, limitId=limit_id)["maxCount"] == -1


def test_zero_max_count_is_refused_on_create_and_update(deadline, farm_id):
    error = error_of(make_limit, deadline=deadline, farm_id=farm_id, max_count=0)
    assert (error["Error"]["Code"], [f["name"] for f in error["fieldList"]]) == ("ValidationException", ["maxCount"])
    assert deadline.list_limits(farmId=farm_id)["limits"] == []
    limit_id = make_limit(deadline, farm_id)
    error = error_of(deadline.update_limit, farmId=farm_id, limitId=limit_id, maxCount=0)
    assert [f["name"] for f in error["fieldList"]] == ["maxCount"]
    assert deadline.get_limit(farmId=farm_id, limitId=limit_id)["maxCount"] == 5


@pytest.mark.parametrize("name", ["", "nuke", "amount.", "amount.worker.vcpu"])
def test_amount_requirement_name_must_be_a_usable_amount_name(deadline, farm_id, name):
    error = error_of(make_limit, deadline=deadline, farm_id=farm_id, name=name)
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["amountRequirementName"]


def test_vendor_prefixed_amount_name_is_accepted(deadline, farm_id):
    limit_id = make_limit(deadline, farm_id, "acme:amount.licence")
    assert deadline.get_limit(farmId=farm_id, limitId=limit_id)["amountRequirementName"] == "acme:amount.licence"


def test_update_limit_changes_fields_and_may_lower_max_count(deadline, farm_id):
    limit_id = make_limit(deadline, farm_id, max_count=10)
    deadline.update_limit(farmId=farm_id, limitId=limit_id, displayName="renamed", description="d", maxCount=1)
    limit = deadline.get_limit(farmId=farm_id, limitId=limit_id)
    assert (limit["displayName"], limit["description"], limit["maxCount"]) == ("renamed", "d", 1)
    assert limit["updatedBy"].endswith("user/admin") and "updatedAt" in limit


def test_unknown_limit_is_not_found_naming_it(deadline, farm_id):
    missing = "limit-" + "6" * 32
    error = error_of(deadline.get_limit, farmId=farm_id, limitId=missing)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "limit", missing)
    error = error_of(deadline.update_limit, farmId=farm_id, limitId=missing, maxCount=3)
    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_limit_is_idempotent(deadline, farm_id):
    limit_id = make_limit(deadline, farm_id)
    deadline.delete_limit(farmId=farm_id, limitId=limit_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_limit(farmId=farm_id, limitId=limit_id)
    deadline.delete_limit(farmId=farm_id, limitId=limit_id)  # DeleteLimit models no ResourceNotFoundException


def test_limit_with_associations_cannot_be_deleted(deadline, pair):
    error = error_of(deadline.delete_limit, farmId=pair["farmId"], limitId=pair["limitId"])
    assert (error["Error"]["Code"], error["reason"]) == ("ValidationException", "OTHER")
    assert [f["name"] for f in error["fieldList"]] == ["limitId"]
    assert deadline.get_limit(farmId=pair["farmId"], limitId=pair["limitId"])["limitId"] == pair["limitId"]


def test_list_limits_pages(deadline, farm_id):
    ids = [make_limit(deadline, farm_id, f"amount.l{i}") for i in range(3)]
    seen = []
    for page in deadline.get_paginator("list_limits").paginate(farmId=farm_id, PaginationConfig={"PageSize": 2}):
        assert len(page["limits"]) <= 2
        seen += [(limit["limitId"], limit["currentCount"]) for limit in page["limits"]]
    assert seen == [(i, 0) for i in ids]


def test_list_limits_answers_only_the_members_of_a_limit_summary(server, deadline, farm_id):
    """LimitSummary has no description (GetLimit has): the list leaves it out (it answered it before)."""
    make_limit(deadline, farm_id, "amount.houdini", 2, description="floating")
    status, _, body = signed_request(server.endpoint, "GET", f"/2023-10-12/farms/{farm_id}/limits")
    assert status == 200, body
    (summary,) = body["limits"]
    assert "description" not in summary and summary["amountRequirementName"] == "amount.houdini"


# --- queue-limit associations -----------------------------------------------------------------------

def test_new_association_is_active(deadline, pair):
    association = deadline.get_queue_limit_association(**pair)
    assert (association["queueId"], association["limitId"], association["status"]) == (
        pair["queueId"], pair["limitId"], "ACTIVE")
    assert association["createdBy"].endswith("user/admin")


def test_second_association_of_the_same_pair_is_already_exists(deadline, pair):
    error = error_of(deadline.create_queue_limit_association, **pair)
    assert (error["Error"]["Code"], error["reason"], error["resourceType"]) == (
        "ConflictException", "RESOURCE_ALREADY_EXISTS", "queue-limit-association")


def test_two_limits_with_one_amount_name_cannot_share_a_queue(deadline, pair):
    twin = make_limit(deadline, pair["farmId"], "amount.nuke")
    error = error_of(deadline.create_queue_limit_association, farmId=pair["farmId"], queueId=pair["queueId"],
                     limitId=twin)
    assert error["Error"]["Code"] == "ValidationException" and pair["limitId"] in error["Error"]["Message"]
    other_queue = make_queue(deadline, pair["farmId"], "other")
    deadline.create_queue_limit_association(farmId=pair["farmId"], queueId=other_queue, limitId=twin)


def test_unknown_queue_or_limit_is_not_found_naming_it(deadline, farm_id):
    queue_id, limit_id = make_queue(deadline, farm_id), make_limit(deadline, farm_id)
    missing_queue, missing_limit = "queue-" + "7" * 32, "limit-" + "8" * 32
    error = error_of(deadline.create_queue_limit_association, farmId=farm_id, queueId=missing_queue, limitId=limit_id)
    assert (error["resourceType"], error["resourceId"]) == ("queue", missing_queue)
    error = error_of(deadline.create_queue_limit_association, farmId=farm_id, queueId=queue_id, limitId=missing_limit)
    assert (error["resourceType"], error["resourceId"]) == ("limit", missing_limit)
    error = error_of(deadline.get_queue_limit_association, farmId=farm_id, queueId=queue_id, limitId=limit_id)
    assert (error["resourceType"], error["resourceId"]) == ("queue-limit-association", f"{queue_id}/{limit_id}")


@pytest.mark.parametrize("stop", ["STOP_LIMIT_USAGE_AND_COMPLETE_TASKS", "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"])
def test_stop_completes_at_once_and_the_stopped_waiter_returns(deadline, pair, stop):
    deadline.update_queue_limit_association(**pair, status=stop)
    started = time.monotonic()
    deadline.get_waiter("queue_limit_association_stopped").wait(**pair)
    assert time.monotonic() - started < 2
    assert deadline.get_queue_limit_association(**pair)["status"] == "STOPPED"
    deadline.update_queue_limit_association(**pair, status="ACTIVE")
    assert deadline.get_queue_limit_association(**pair)["status"] == "ACTIVE"


def test_only_a_stopped_association_is_deleted(deadline, pair):
    error = error_of(deadline.delete_queue_limit_association, **pair)
    assert (error["Error"]["Code"], error["reason"], error["context"]) == (
        "ConflictException", "STATUS_CONFLICT", {"status": "ACTIVE"})
    deadline.update_queue_limit_association(**pair, status="STOP_LIMIT_USAGE_AND_COMPLETE_TASKS")
    deadline.delete_queue_limit_association(**pair)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue_limit_association(**pair)
    deadline.delete_limit(farmId=pair["farmId"], limitId=pair["limitId"])


def test_list_associations_filters_by_queue_and_limit(deadline, farm_id):
    queues = [make_queue(deadline, farm_id, f"q{i}") for i in range(2)]
    limits = [make_limit(deadline, farm_id, f"amount.l{i}") for i in range(2)]
    for queue_id in queues:
        for limit_id in limits:
            deadline.create_queue_limit_association(farmId=farm_id, queueId=queue_id, limitId=limit_id)
    pairs = []
    for page in deadline.get_paginator("list_queue_limit_associations").paginate(
            farmId=farm_id, PaginationConfig={"PageSize": 3}):
        pairs += [(a["queueId"], a["limitId"]) for a in page["queueLimitAssociations"]]
    assert sorted(pairs) == sorted((q, limit) for q in queues for limit in limits) and len(pairs) == 4
    by_limit = deadline.list_queue_limit_associations(farmId=farm_id, limitId=limits[1])["queueLimitAssociations"]
    assert {a["queueId"] for a in by_limit} == set(queues)
    both = deadline.list_queue_limit_associations(farmId=farm_id, queueId=queues[0], limitId=limits[0])
    assert [(a["queueId"], a["limitId"]) for a in both["queueLimitAssociations"]] == [(queues[0], limits[0])]
