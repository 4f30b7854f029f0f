"""Find anything, over HTTP: jobs by name or id across farms, workers by host name, a submitter's jobs, the
status and parameter filters (kept in the URL), and nothing from a farm the user may not read."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue

TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "x",
                       "parameterDefinitions": [{"name": "Shot", "type": "STRING", "default": "sh010"}],
                       "steps": [{"name": "Only", "script": {"actions": {"onRun": {"command": "true"}}}}]})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: a search reaches every farm, so other modules' farms would be found too."""
    live = LiveServer(tmp_path_factory.mktemp("search")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def deadline(server):
    return server.client()


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "search-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="search-admin-pw")[0] == 303
    return browser


@pytest.fixture(scope="module")
def farms(deadline) -> dict:
    made = {}
    for name in ("search north", "search south"):
        farm = served_queue(deadline, deadline.create_farm(displayName=name)["farmId"])
        made[name] = farm
    north, south = made["search north"], made["search south"]

    def job(farm, name, shot, **extra):
        return deadline.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                                   template=TEMPLATE, nameOverride=name, parameters={"Shot": {"string": shot}},
                                   **extra)["jobId"]
    made["jobs"] = {"n1": job(north, "zebra comp sh010", "sh010", tags={"show": "wolf", "dept": "comp"}),
                    "n2": job(north, "zebra light sh020", "sh020", targetTaskRunStatus="SUSPENDED",
                              tags={"show": "bear"}),
                    "s1": job(south, "zebra fx sh010", "sh010", tags={"show": "wolf"}),
                    "other": job(south, "plain render", "sh030")}
    worker = ScriptedWorker(deadline, south["farmId"], south["fleetId"])
    deadline.update_worker(farmId=south["farmId"], fleetId=south["fleetId"], workerId=worker.worker_id,
                           hostProperties={"hostName": "zebra-node-04"})
    return made


def find(browser: Browser, **query) -> str:
    status, _, body = browser.request("/search?" + urllib.parse.urlencode(query))
    assert status == 200
    return body


def test_jobs_are_found_by_name_across_farms_and_workers_by_host(admin, farms):
    body = find(admin, q="ZEBRA")
    for key in ("n1", "n2", "s1"):
        assert farms["jobs"][key] in body
    assert farms["jobs"]["other"] not in body
    assert "zebra-node-04" in body
    assert "search north" in body and "search south" in body


def test_a_job_is_found_by_its_id(admin, farms):
    assert "zebra fx sh010" in find(admin, q=farms["jobs"]["s1"][4:20])


def test_status_and_parameter_filters_narrow_the_jobs(admin, farms):
    suspended = find(admin, q="zebra", status="SUSPENDED")
    assert farms["jobs"]["n2"] in suspended and farms["jobs"]["n1"] not in suspended
    shot = find(admin, param="Shot", value="sh010")
    assert farms["jobs"]["n1"] in shot and farms["jobs"]["s1"] in shot and farms["jobs"]["n2"] not in shot


def test_a_tag_filter_keeps_the_jobs_with_that_tag_or_that_tag_and_value(admin, farms):
    wolf = find(admin, tag="show=wolf")
    assert farms["jobs"]["n1"] in wolf and farms["jobs"]["s1"] in wolf and farms["jobs"]["n2"] not in wolf
    assert "show=wolf" in wolf and "newest jobs of each farm" in wolf
    any_show = find(admin, q="zebra", tag="show")
    assert all(farms["jobs"][k] in any_show for k in ("n1", "n2", "s1")) and farms["jobs"]["other"] not in any_show


def test_a_person_is_found_by_the_jobs_they_submitted(admin, farms):
    body = find(admin, submitter="admin")
    assert all(job in body for job in farms["jobs"].values())
    assert farms["jobs"]["other"] in find(admin, q="admin")  # the words as a user name find their jobs too
    assert 'href="/search?submitter=admin"' in body


def test_a_farm_filter_searches_only_that_farm(admin, farms):
    body = find(admin, q="zebra", farm=farms["search south"]["farmId"])
    assert farms["jobs"]["s1"] in body and farms["jobs"]["n1"] not in body


def test_the_search_and_its_filters_are_kept_in_the_url(admin, farms):
    body = find(admin, q="zebra", status="READY", param="Shot", value="sh010")
    assert 'name="q" type="search" value="zebra"' in body and '<option value="READY" selected>' in body
    assert 'name="param" value="Shot"' in body and 'name="value" value="sh010"' in body


def test_a_user_sees_only_the_farms_they_belong_to(server, deadline, farms):
    user_id = new_user(server, "search-south-viewer", "search-south-pw")
    deadline.associate_member_to_farm(farmId=farms["search south"]["farmId"], principalId=user_id,
                                      principalType="USER", identityStoreId="d-0000000000", membershipLevel="VIEWER")
    viewer = Browser(server.endpoint)
    assert viewer.sign_in(username="search-south-viewer", password="search-south-pw")[0] == 303
    body = find(viewer, q="zebra")
    assert farms["jobs"]["s1"] in body and farms["jobs"]["n1"] not in body and "search north" not in body
