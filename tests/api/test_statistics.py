"""Sessions statistics over real sessions made by scripted workers: Start computes, Get pages the answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

ROLE = "arn:aws:iam::000000000000:role/fleet"
STORE = "d-0123456789"
ONE_FRAME = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "one",
    "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "true"}}}}],
})


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def farm(deadline, farm_id):
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    queues = [deadline.create_queue(farmId=farm_id, displayName=f"q{i}")["queueId"] for i in range(2)]
    for queue_id in queues:
        deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return SimpleNamespace(farm_id=farm_id, fleet_id=fleet_id, queues=queues)


def submit(client, farm, queue_id: str, name: str = "one") -> str:
    return client.create_job(farmId=farm.farm_id, queueId=queue_id, priority=50, templateType="JSON",
                             template=ONE_FRAME, nameOverride=name)["jobId"]


def runtime_of(deadline, farm, queue_id: str, job_id: str) -> float:
    key = {"farmId": farm.farm_id, "queueId": queue_id, "jobId": job_id}
    (session,) = deadline.list_sessions(**key)["sessions"]
    return (session["endedAt"] - session["startedAt"]).total_seconds()


@pytest.fixture
def two_sessions(deadline, farm):
    """One finished session in each queue, both run by the same worker."""
    jobs = [submit(deadline, farm, farm.queues[0], "first"), submit(deadline, farm, farm.queues[1], "second")]
    ScriptedWorker(deadline, farm.farm_id, farm.fleet_id).run()
    runtimes = [runtime_of(deadline, farm, q, j) for q, j in zip(farm.queues, jobs, strict=True)]
    return SimpleNamespace(jobs=jobs, runtimes=runtimes)


def aggregate(client, farm, **overrides) -> dict:
    request = {"farmId": farm.farm_id, "resourceIds": {"queueIds": farm.queues},
               "startTime": now() - timedelta(hours=1), "endTime": now() + timedelta(hours=1),
               "groupBy": ["QUEUE_ID"], "statistics": ["SUM", "MIN", "MAX", "AVG"], **overrides}
    aggregation_id = client.start_sessions_statistics_aggregation(**request)["aggregationId"]
    return client.get_sessions_statistics_aggregation(farmId=farm.farm_id, aggregationId=aggregation_id)


def test_two_sessions_grouped_by_fleet_give_count_and_runtime_sum(deadline, farm, two_sessions):
    answer = aggregate(deadline, farm, groupBy=["FLEET_ID"])
    assert answer["status"] == "COMPLETED"
    (row,) = answer["statistics"]
    assert row["fleetId"] == farm.fleet_id and "queueId" not in row
    assert row["count"] == 2
    runtime = row["runtimeInSeconds"]
    assert runtime["sum"] == pytest.approx(sum(two_sessions.runtimes), abs=0.01)
    assert runtime["min"] == pytest.approx(min(two_sessions.runtimes), abs=0.01)
    assert runtime["max"] == pytest.approx(max(two_sessions.runtimes), abs=0.01)
    assert runtime["avg"] == pytest.approx(sum(two_sessions.runtimes) / 2, abs=0.01)
    assert row["costInUsd"] == {"sum": 0.0, "min": 0.0, "max": 0.0, "avg": 0.0}


def test_grouped_by_queue_each_queue_has_its_session(deadline, farm, two_sessions):
    rows = aggregate(deadline, farm)["statistics"]
    assert sorted((r["queueId"], r["count"]) for r in rows) == sorted((q, 1) for q in farm.queues)


def test_only_the_requested_statistics_are_given(deadline, farm, two_sessions):
    (row,) = aggregate(deadline, farm, groupBy=["USAGE_TYPE"], statistics=["SUM"])["statistics"]
    assert row["usageType"] == "COMPUTE"
    assert set(row["runtimeInSeconds"]) == {"sum"} and row["costInUsd"] == {"sum": 0.0}


def test_resources_filter_the_sessions(deadline, farm, two_sessions):
    (row,) = aggregate(deadline, farm, resourceIds={"queueIds": farm.queues[1:]})["statistics"]
    assert row["queueId"] == farm.queues[1] and row["count"] == 1


def test_job_grouping_names_the_job(deadline, farm, two_sessions):
    rows = aggregate(deadline, farm, groupBy=["JOB_ID"])["statistics"]
    assert sorted((r["jobId"], r["jobName"]) for r in rows) == sorted(
        zip(two_sessions.jobs, ["first", "second"], strict=True))


def test_window_without_sessions_gives_no_rows(deadline, farm, two_sessions):
    answer = aggregate(deadline, farm, startTime=now() - timedelta(days=3), endTime=now() - timedelta(days=2))
    assert answer["status"] == "COMPLETED" and answer["statistics"] == []


def test_hourly_periods_follow_the_requested_utc_offset(deadline, farm, two_sessions):
    start = now() - timedelta(hours=3)
    answer = aggregate(deadline, farm, startTime=start, period="HOURLY", timezone="UTC+05:30", groupBy=["FLEET_ID"])
    (row,) = answer["statistics"]
    period_start, period_end = row["aggregationStartTime"], row["aggregationEndTime"]
    assert period_start.minute == 30 and period_start.second == 0  # the hour starts at :30 in UTC+05:30
    assert period_end - period_start == timedelta(hours=1)
    assert period_start <= now() < period_end + timedelta(minutes=1)


def test_without_a_period_the_window_is_one_period(deadline, farm, two_sessions):
    start, end = now() - timedelta(hours=5), now() + timedelta(hours=5)
    (row,) = aggregate(deadline, farm, startTime=start, endTime=end, groupBy=["FLEET_ID"])["statistics"]
    assert abs((row["aggregationStartTime"] - start).total_seconds()) < 0.01
    assert abs((row["aggregationEndTime"] - end).total_seconds()) < 0.01


def test_open_session_counts_until_now(deadline, farm):
    submit(deadline, farm, farm.queues[0])
    ScriptedWorker(deadline, farm.farm_id, farm.fleet_id).poll()  # assigned, never reported
    (row,) = aggregate(deadline, farm, groupBy=["QUEUE_ID"])["statistics"]
    assert row["count"] == 1 and row["runtimeInSeconds"]["sum"] >= 0


def test_statistics_page(deadline, farm, two_sessions):
    aggregation_id = deadline.start_sessions_statistics_aggregation(
        farmId=farm.farm_id, resourceIds={"queueIds": farm.queues}, startTime=now() - timedelta(hours=1),
        endTime=now() + timedelta(hours=1), groupBy=["QUEUE_ID"], statistics=["SUM"])["aggregationId"]
    pages = list(deadline.get_paginator("get_sessions_statistics_aggregation").paginate(
        farmId=farm.farm_id, aggregationId=aggregation_id, PaginationConfig={"PageSize": 1}))
    assert [len(p["statistics"]) for p in pages] == [1, 1]
    assert {p["statistics"][0]["queueId"] for p in pages} == set(farm.queues)


def test_user_grouping_gives_the_submitters_principal_id(server, deadline, farm):
    principal_id, key_id, secret = server.new_user("statistics-submitter")
    deadline.associate_member_to_queue(farmId=farm.farm_id, queueId=farm.queues[0], principalId=principal_id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    submit(server.client(key_id=key_id, secret=secret), farm, farm.queues[0])
    ScriptedWorker(deadline, farm.farm_id, farm.fleet_id).run()
    (row,) = aggregate(deadline, farm, groupBy=["USER_ID"])["statistics"]
    assert row["userId"] == principal_id


# --- refusals ------------------------------------------------------------------------------------

def test_end_before_start_is_validation_exception(deadline, farm):
    with pytest.raises(ClientError) as caught:
        aggregate(deadline, farm, startTime=now(), endTime=now() - timedelta(hours=1))
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException" and error["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in error["fieldList"]] == ["endTime"]


def test_bad_timezone_is_validation_exception(deadline, farm):
    with pytest.raises(ClientError) as caught:
        aggregate(deadline, farm, timezone="Europe/Rome")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("member, resource_type", [("queueIds", "queue"), ("fleetIds", "fleet")])
def test_unknown_queue_or_fleet_is_not_found_naming_it(deadline, farm, member, resource_type):
    missing = f"{resource_type}-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        aggregate(deadline, farm, resourceIds={member: [missing]})
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["resourceId"], error["resourceType"]) == (missing, resource_type)


def test_unknown_aggregation_is_not_found(deadline, farm):
    missing = "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.get_sessions_statistics_aggregation(farmId=farm.farm_id, aggregationId=missing)
    error = caught.value.response
    assert (error["Error"]["Code"], error["resourceId"], error["resourceType"]) == (
        "ResourceNotFoundException", missing, "aggregation")


def test_aggregation_of_another_farm_is_not_found(deadline, farm):
    aggregation_id = deadline.start_sessions_statistics_aggregation(
        farmId=farm.farm_id, resourceIds={"fleetIds": [farm.fleet_id]}, startTime=now() - timedelta(hours=1),
        endTime=now(), groupBy=["FLEET_ID"], statistics=["SUM"])["aggregationId"]
    other = deadline.create_farm(displayName="other")["farmId"]
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_sessions_statistics_aggregation(farmId=other, aggregationId=aggregation_id)


def test_too_many_periods_is_a_failed_aggregation(deadline, farm):
    answer = aggregate(deadline, farm, startTime=now() - timedelta(days=800), period="HOURLY")
    assert answer["status"] == "FAILED" and "statusMessage" in answer and "statistics" not in answer


@pytest.fixture(scope="module")
def members(server):
    made = {}
    for level in ("manager", "owner"):
        principal_id, key_id, secret = server.new_user(f"statistics-{level}")
        made[level] = SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def test_queue_manager_is_refused_and_queue_owner_may_aggregate_that_queue(deadline, farm, members):
    for who, level in ((members.manager, "MANAGER"), (members.owner, "OWNER")):
        deadline.associate_member_to_queue(farmId=farm.farm_id, queueId=farm.queues[0], principalId=who.id,
                                           principalType="USER", identityStoreId=STORE, membershipLevel=level)
    with pytest.raises(ClientError) as caught:
        aggregate(members.manager.client, farm, resourceIds={"queueIds": farm.queues[:1]})
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    answer = aggregate(members.owner.client, farm, resourceIds={"queueIds": farm.queues[:1]})
    assert answer["status"] == "COMPLETED"
    with pytest.raises(ClientError) as caught:  # the other queue is not theirs
        aggregate(members.owner.client, farm, resourceIds={"queueIds": farm.queues})
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
