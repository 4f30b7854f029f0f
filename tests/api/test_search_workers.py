"""SearchWorkers over real workers through boto3: CREATED, IDLE, RUNNING (holding a session) and STOPPED
workers made with ScriptedWorker, searched by the status GetWorker shows, host name, fleet and creation time.
(Its input checks live with the other searches' in test_search.py.)"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import CAPABILITIES as SCRIPTED_CAPABILITIES
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

STORE = "d-0123456789"
ONE_TASK = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "one",
                       "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "true"}}}}]})


def new_fleet(deadline, farm_id) -> str:
    return deadline.create_fleet(farmId=farm_id, displayName="linux", roleArn="arn:aws:iam::000000000000:role/fleet",
                                 maxWorkerCount=4, configuration=LINUX_FLEET)["fleetId"]


def string_filter(name, value, operator="EQUAL") -> dict:
    return {"stringFilter": {"name": name, "operator": operator, "value": value}}


def error_of(caught) -> dict:
    return caught.value.response


@pytest.fixture(scope="module")
def viewer(server):
    principal_id, key_id, secret = server.new_user("search-workers-viewer")
    return SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))


WORKER_SUMMARY_KEYS = {"fleetId", "workerId", "status", "hostProperties", "createdBy", "createdAt", "updatedBy",
                       "updatedAt"}


@pytest.fixture
def fleet(deadline, farm_id):
    """A fleet (serving one queue) with four workers made in this order, each named `render-<status>`:
    CREATED (never started), IDLE (started, no session), RUNNING (holds the session of a job it was
    given), STOPPED (started, then stopped)."""
    fleet_id = new_fleet(deadline, farm_id)
    queue_id = deadline.create_queue(farmId=farm_id, displayName="served")["queueId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    ids = {"CREATED": deadline.create_worker(farmId=farm_id, fleetId=fleet_id,
                                             hostProperties={"hostName": "render-created"})["workerId"]}
    made = {}
    for status in ("IDLE", "RUNNING", "STOPPED"):
        made[status] = ScriptedWorker(deadline, farm_id, fleet_id)
        deadline.update_worker(**made[status].ids, hostProperties={"hostName": f"render-{status.lower()}"})
        ids[status] = made[status].worker_id
    deadline.update_worker(**made["STOPPED"].ids, status="STOPPED")
    deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON", template=ONE_TASK)
    assert made["RUNNING"].poll()["assignedSessions"]  # now it holds an open session
    return SimpleNamespace(farm_id=farm_id, fleet_id=fleet_id, queue_id=queue_id, ids=ids)


def search_workers(client, fleet, **kwargs) -> dict:
    return client.search_workers(farmId=fleet.farm_id, fleetIds=[fleet.fleet_id], itemOffset=0, **kwargs)


def worker_ids(answer) -> list[str]:
    return [w["workerId"] for w in answer["workers"]]


def where(*filters, operator="AND") -> dict:
    return {"filters": list(filters), "operator": operator}


def test_search_workers_gives_every_worker_in_creation_order_as_get_worker_shows_it(deadline, fleet):
    answer = search_workers(deadline, fleet)
    assert answer["totalResults"] == 4 and "nextItemOffset" not in answer
    assert worker_ids(answer) == [fleet.ids[s] for s in ("CREATED", "IDLE", "RUNNING", "STOPPED")]
    for item in answer["workers"]:
        shown = deadline.get_worker(farmId=fleet.farm_id, fleetId=fleet.fleet_id, workerId=item["workerId"])
        assert item == {k: v for k, v in shown.items() if k in WORKER_SUMMARY_KEYS}
    assert [w["status"] for w in answer["workers"]] == ["CREATED", "IDLE", "RUNNING", "STOPPED"]


def test_worker_summary_has_exactly_the_models_members(deadline, fleet):
    [idle] = search_workers(deadline, fleet, filterExpressions=where(string_filter("WORKER_ID", fleet.ids["IDLE"])))[
        "workers"]
    assert set(idle) == WORKER_SUMMARY_KEYS
    assert (idle["fleetId"], idle["hostProperties"]) == (fleet.fleet_id, {"hostName": "render-idle"})
    [created] = search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", "CREATED")))["workers"]
    assert set(created) == WORKER_SUMMARY_KEYS - {"updatedAt", "updatedBy"}  # never updated


@pytest.mark.parametrize("status", ["RUNNING", "IDLE", "STOPPED", "CREATED"])
def test_status_filter_matches_the_status_get_worker_shows(deadline, fleet, status):
    answer = search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", status)))
    assert (worker_ids(answer), answer["totalResults"]) == ([fleet.ids[status]], 1)


def test_stored_started_status_is_never_shown_so_matches_no_worker(deadline, fleet):
    answer = search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", "STARTED")))
    assert (answer["workers"], answer["totalResults"]) == ([], 0)
    online = where({"stringListFilter": {"name": "STATUS", "operator": "ANY_EQUALS", "values": ["RUNNING", "IDLE"]}})
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=online)) == [fleet.ids["IDLE"],
                                                                                    fleet.ids["RUNNING"]]


def test_running_worker_reads_idle_once_its_session_ends(deadline, fleet):
    ids = {"farmId": fleet.farm_id, "fleetId": fleet.fleet_id, "workerId": fleet.ids["RUNNING"]}
    deadline.update_worker(**ids, status="STOPPED")  # a stopped worker's sessions are released
    deadline.update_worker(**ids, status="STARTED", capabilities=SCRIPTED_CAPABILITIES)
    answer = search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", "IDLE")))
    assert worker_ids(answer) == [fleet.ids["IDLE"], fleet.ids["RUNNING"]]
    assert search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", "RUNNING")))[
        "totalResults"] == 0


def test_status_not_equal_and_all_not_equals(deadline, fleet):
    not_running = where(string_filter("STATUS", "RUNNING", "NOT_EQUAL"))
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=not_running)) == [
        fleet.ids[s] for s in ("CREATED", "IDLE", "STOPPED")]
    offline = where({"stringListFilter": {"name": "STATUS", "operator": "ALL_NOT_EQUALS",
                                          "values": ["RUNNING", "IDLE", "CREATED"]}})
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=offline)) == [fleet.ids["STOPPED"]]


def test_search_term_finds_workers_by_host_name_or_worker_id(deadline, fleet):
    for term, match_type in (("RENDER idle", "FUZZY_MATCH"), ("der-idl", "CONTAINS")):
        found = search_workers(deadline, fleet, filterExpressions=where(
            {"searchTermFilter": {"searchTerm": term, "matchType": match_type}}))
        assert worker_ids(found) == [fleet.ids["IDLE"]], term
    by_id = where({"searchTermFilter": {"searchTerm": fleet.ids["STOPPED"][-8:].upper(), "matchType": "CONTAINS"}})
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=by_id)) == [fleet.ids["STOPPED"]]
    everyone = where({"searchTermFilter": {"searchTerm": "render"}})
    assert search_workers(deadline, fleet, filterExpressions=everyone)["totalResults"] == 4


def test_host_name_filter_compares_exactly(deadline, fleet):
    exact = where(string_filter("HOST_NAME", "render-running"))
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=exact)) == [fleet.ids["RUNNING"]]
    assert search_workers(deadline, fleet, filterExpressions=where(string_filter("HOST_NAME", "RENDER-RUNNING")))[
        "totalResults"] == 0


def test_created_at_sort_and_offset_pages(deadline, fleet):
    newest_first = [{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}]
    first = search_workers(deadline, fleet, pageSize=3, sortExpressions=newest_first)
    assert (worker_ids(first), first["totalResults"], first["nextItemOffset"]) == (
        [fleet.ids[s] for s in ("STOPPED", "RUNNING", "IDLE")], 4, 3)
    rest = deadline.search_workers(farmId=fleet.farm_id, fleetIds=[fleet.fleet_id], itemOffset=3, pageSize=3,
                                   sortExpressions=newest_first)
    assert worker_ids(rest) == [fleet.ids["CREATED"]] and "nextItemOffset" not in rest


def test_status_and_host_name_sorts(deadline, fleet):
    by_status = search_workers(deadline, fleet, sortExpressions=[{"fieldSort": {"name": "STATUS",
                                                                                "sortOrder": "ASCENDING"}}])
    assert [w["status"] for w in by_status["workers"]] == ["CREATED", "IDLE", "RUNNING", "STOPPED"]
    by_host = search_workers(deadline, fleet, sortExpressions=[{"fieldSort": {"name": "HOST_NAME",
                                                                              "sortOrder": "DESCENDING"}}])
    assert [w["hostProperties"]["hostName"] for w in by_host["workers"]] == [
        "render-stopped", "render-running", "render-idle", "render-created"]


def test_created_at_filter_finds_workers_made_after_one(deadline, fleet):
    [running] = search_workers(deadline, fleet, filterExpressions=where(string_filter("STATUS", "RUNNING")))["workers"]
    later = where({"dateTimeFilter": {"name": "CREATED_AT", "operator": "GREATER_THAN_EQUAL_TO",
                                      "dateTime": running["createdAt"]}})
    assert worker_ids(search_workers(deadline, fleet, filterExpressions=later)) == [fleet.ids["RUNNING"],
                                                                                   fleet.ids["STOPPED"]]


def test_workers_of_several_fleets_but_only_those_named(deadline, fleet):
    other = new_fleet(deadline, fleet.farm_id)
    unnamed = new_fleet(deadline, fleet.farm_id)
    theirs = deadline.create_worker(farmId=fleet.farm_id, fleetId=other)["workerId"]
    deadline.create_worker(farmId=fleet.farm_id, fleetId=unnamed)
    answer = deadline.search_workers(farmId=fleet.farm_id, fleetIds=[other, fleet.fleet_id, other], itemOffset=0,
                                     filterExpressions=where(string_filter("STATUS", "CREATED")))
    assert worker_ids(answer) == [fleet.ids["CREATED"], theirs]
    assert [w["fleetId"] for w in answer["workers"]] == [fleet.fleet_id, other]
    by_fleet = where(string_filter("FLEET_ID", other))
    assert worker_ids(deadline.search_workers(farmId=fleet.farm_id, fleetIds=[other, fleet.fleet_id], itemOffset=0,
                                              filterExpressions=by_fleet)) == [theirs]


def test_fleet_viewer_searches_that_fleet_but_not_another(deadline, fleet, viewer):
    other = new_fleet(deadline, fleet.farm_id)
    deadline.associate_member_to_fleet(farmId=fleet.farm_id, fleetId=fleet.fleet_id, principalId=viewer.id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="VIEWER")
    assert search_workers(viewer.client, fleet)["totalResults"] == 4
    with pytest.raises(ClientError) as caught:
        viewer.client.search_workers(farmId=fleet.farm_id, fleetIds=[fleet.fleet_id, other], itemOffset=0)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
