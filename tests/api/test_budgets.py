"""Budgets through a real boto3 client: a queue to track, a schedule window, actions, owner-only access."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

NOW = datetime.now(UTC).replace(microsecond=0)
CURRENT = {"fixed": {"startTime": NOW - timedelta(days=1), "endTime": NOW + timedelta(days=30)}}
PAST = {"fixed": {"startTime": NOW - timedelta(days=30), "endTime": NOW - timedelta(days=1)}}
FUTURE = {"fixed": {"startTime": NOW + timedelta(days=1), "endTime": NOW + timedelta(days=30)}}
STOP = {"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}
CANCEL = {"type": "STOP_SCHEDULING_AND_CANCEL_TASKS", "thresholdPercentage": 80.0, "description": "hard"}


@pytest.fixture
def queue_id(deadline, farm_id):
    return deadline.create_queue(farmId=farm_id, displayName="tracked")["queueId"]


def make_budget(deadline, farm_id, queue_id, schedule=CURRENT, actions=(STOP,), **kwargs):
    return deadline.create_budget(farmId=farm_id, displayName=kwargs.pop("displayName", "monthly"),
                                  usageTrackingResource={"queueId": queue_id}, approximateDollarLimit=500.0,
                                  actions=list(actions), schedule=schedule, **kwargs)["budgetId"]


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_create_then_get_budget_returns_every_field(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id, actions=[STOP, CANCEL], description="render spend")
    budget = deadline.get_budget(farmId=farm_id, budgetId=budget_id)
    assert (budget["budgetId"], budget["displayName"], budget["description"]) == (budget_id, "monthly", "render spend")
    assert budget["usageTrackingResource"] == {"queueId": queue_id}
    assert (budget["status"], budget["approximateDollarLimit"]) == ("ACTIVE", 500.0)
    assert budget["usages"] == {"approximateDollarUsage": 0.0}
    assert budget["actions"] == [STOP, CANCEL]
    assert budget["schedule"] == CURRENT
    assert budget["createdBy"].endswith("user/admin") and "queueStoppedAt" not in budget


@pytest.mark.parametrize(("schedule", "status"), [(CURRENT, "ACTIVE"), (PAST, "INACTIVE"), (FUTURE, "INACTIVE")])
def test_status_follows_the_schedule_window(deadline, farm_id, queue_id, schedule, status):
    budget_id = make_budget(deadline, farm_id, queue_id, schedule=schedule)
    assert deadline.get_budget(farmId=farm_id, budgetId=budget_id)["status"] == status


def test_end_before_start_is_refused(deadline, farm_id, queue_id):
    backwards = {"fixed": {"startTime": NOW, "endTime": NOW - timedelta(hours=1)}}
    error = error_of(make_budget, deadline=deadline, farm_id=farm_id, queue_id=queue_id, schedule=backwards)
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["schedule.fixed.endTime"]
    assert deadline.list_budgets(farmId=farm_id)["budgets"] == []


def test_tracked_queue_must_be_a_queue_of_the_farm(deadline, farm_id):
    other_farm = deadline.create_farm(displayName="other")["farmId"]
    foreign = deadline.create_queue(farmId=other_farm, displayName="foreign")["queueId"]
    error = error_of(make_budget, deadline=deadline, farm_id=farm_id, queue_id=foreign)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "queue", foreign)


def test_repeated_action_is_refused(deadline, farm_id, queue_id):
    error = error_of(make_budget, deadline=deadline, farm_id=farm_id, queue_id=queue_id, actions=[STOP, STOP])
    assert [f["name"] for f in error["fieldList"]] == ["actions[1]"]


def test_update_budget_edits_fields_actions_and_schedule(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id)
    deadline.update_budget(farmId=farm_id, budgetId=budget_id, displayName="renamed", description="d",
                           approximateDollarLimit=750.5, actionsToRemove=[{k: STOP[k] for k in ("type",
                                                                                               "thresholdPercentage")}],
                           actionsToAdd=[CANCEL], schedule=PAST)
    budget = deadline.get_budget(farmId=farm_id, budgetId=budget_id)
    assert (budget["displayName"], budget["description"], budget["approximateDollarLimit"]) == ("renamed", "d", 750.5)
    assert budget["actions"] == [CANCEL]
    assert (budget["schedule"], budget["status"]) == (PAST, "INACTIVE")
    assert budget["updatedBy"].endswith("user/admin") and "updatedAt" in budget


def test_removing_an_absent_action_is_refused_and_changes_nothing(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id)
    error = error_of(deadline.update_budget, farmId=farm_id, budgetId=budget_id, displayName="changed",
                     actionsToRemove=[{"type": CANCEL["type"], "thresholdPercentage": 80.0}])
    assert [f["name"] for f in error["fieldList"]] == ["actionsToRemove[0]"]
    budget = deadline.get_budget(farmId=farm_id, budgetId=budget_id)
    assert (budget["displayName"], budget["actions"]) == ("monthly", [STOP])


def test_adding_an_existing_action_is_refused(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id)
    error = error_of(deadline.update_budget, farmId=farm_id, budgetId=budget_id, actionsToAdd=[STOP])
    assert [f["name"] for f in error["fieldList"]] == ["actionsToAdd[0]"]


def test_inactive_budget_stays_inactive_inside_its_window_until_reactivated(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id)
    deadline.update_budget(farmId=farm_id, budgetId=budget_id, status="INACTIVE")
    assert deadline.get_budget(farmId=farm_id, budgetId=budget_id)["status"] == "INACTIVE"
    deadline.update_budget(farmId=farm_id, budgetId=budget_id, status="ACTIVE")
    assert deadline.get_budget(farmId=farm_id, budgetId=budget_id)["status"] == "ACTIVE"


def test_list_budgets_filters_by_status_and_pages(deadline, farm_id, queue_id):
    active = [make_budget(deadline, farm_id, queue_id, displayName=f"a{i}") for i in range(2)]
    expired = make_budget(deadline, farm_id, queue_id, schedule=PAST, displayName="old")
    seen = []
    for page in deadline.get_paginator("list_budgets").paginate(farmId=farm_id, PaginationConfig={"PageSize": 2}):
        seen += [b["budgetId"] for b in page["budgets"]]
    assert seen == [*active, expired]
    listed = deadline.list_budgets(farmId=farm_id, status="ACTIVE")["budgets"]
    assert [b["budgetId"] for b in listed] == active
    assert listed[0]["usages"] == {"approximateDollarUsage": 0.0} and listed[0]["status"] == "ACTIVE"
    assert [b["budgetId"] for b in deadline.list_budgets(farmId=farm_id, status="INACTIVE")["budgets"]] == [expired]


def test_delete_budget_then_get_is_not_found(deadline, farm_id, queue_id):
    budget_id = make_budget(deadline, farm_id, queue_id)
    deadline.delete_budget(farmId=farm_id, budgetId=budget_id)
    error = error_of(deadline.get_budget, farmId=farm_id, budgetId=budget_id)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "budget", budget_id)


def test_budgets_are_for_farm_owners_only(deadline, farm_id, queue_id, server, unique_name):
    budget_id = make_budget(deadline, farm_id, queue_id)
    users = {}
    for level in ("MANAGER", "OWNER"):
        principal_id, key_id, secret = server.new_user(unique_name(level.lower()))
        deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="USER",
                                          identityStoreId="d-0123456789", membershipLevel=level)
        users[level] = server.client(key_id=key_id, secret=secret)
    error = error_of(users["MANAGER"].get_budget, farmId=farm_id, budgetId=budget_id)
    assert error["Error"]["Code"] == "AccessDeniedException"
    error = error_of(make_budget, deadline=users["MANAGER"], farm_id=farm_id, queue_id=queue_id)
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert users["OWNER"].get_budget(farmId=farm_id, budgetId=budget_id)["budgetId"] == budget_id
    owned = make_budget(users["OWNER"], farm_id, queue_id, displayName="by owner")
    assert len(users["OWNER"].list_budgets(farmId=farm_id)["budgets"]) == 2
    users["OWNER"].delete_budget(farmId=farm_id, budgetId=owned)
