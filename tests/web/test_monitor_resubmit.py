"""Resubmit with edits over HTTP: a new job from a job's stored template (CreateJob sourceJobId) with a new
frame range (a job parameter), name, priority and limits; the API's refusal shown on the form; and a
VIEWER refused by the API."""

from __future__ import annotations

import json
import re

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from support.worker_jobs import served_queue

TEMPLATE = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "comp shot-0100",
    "parameterDefinitions": [{"name": "Frames", "type": "STRING", "default": "1-10"},
                             {"name": "Quality", "type": "INT", "default": 2, "minValue": 1, "maxValue": 5},
                             {"name": "Layer", "type": "STRING", "allowedValues": ["beauty", "shadow"],
                              "default": "beauty"}],
    "steps": [{"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}]})


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "resubmit-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="resubmit-admin-pw")[0] == 303
    return browser


@pytest.fixture(scope="module")
def original(deadline) -> dict:
    farm = served_queue(deadline, deadline.create_farm(displayName="resubmit farm")["farmId"])
    job_id = deadline.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=40, templateType="JSON",
                                 template=TEMPLATE, maxRetriesPerTask=1)["jobId"]
    return {**farm, "jobId": job_id,
            "url": f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{job_id}/resubmit"}


def post(browser: Browser, url: str, **fields) -> tuple[int, dict, str]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.request(url)[2]).group(1)
    return browser.request(url, {"csrf": csrf, **fields})


def test_the_form_shows_the_values_the_job_ran_with(admin, original):
    body = admin.request(original["url"])[2]
    assert 'name="param:Frames" value="1-10"' in body and 'name="priority" type="number" min="0" max="100" value="40"' \
        in body
    assert "<option selected>beauty</option>" in body and "from 1 to 5" in body


def test_a_new_job_gets_the_new_frame_range_name_priority_and_limits(admin, deadline, original):
    status, headers, _ = post(admin, original["url"], name="comp shot-0100 v2", priority="80", maxRetriesPerTask="3",
                              maxFailedTasksCount="7", **{"param:Frames": "5-7", "param:Quality": "4",
                                                           "param:Layer": "shadow"})
    assert status == 303
    new_id = headers["location"].rsplit("/", 1)[1]
    assert new_id != original["jobId"]
    job = deadline.get_job(farmId=original["farmId"], queueId=original["queueId"], jobId=new_id)
    assert (job["name"], job["priority"], job["maxRetriesPerTask"], job["maxFailedTasksCount"]) == \
        ("comp shot-0100 v2", 80, 3, 7)
    assert job["parameters"]["Frames"] == {"string": "5-7"} and job["parameters"]["Layer"] == {"string": "shadow"}
    assert sum(job["taskRunStatusCounts"].values()) == 3
    assert "Submitted as a new job" in admin.request(headers["location"])[2]


def test_a_value_the_template_refuses_comes_back_on_the_form(admin, deadline, original):
    status, _, body = post(admin, original["url"], priority="50", **{"param:Quality": "9", "param:Frames": "1-2"})
    assert status == 400 and "The API refused the new job" in body and "Quality" in body
    assert 'name="param:Quality" value="9"' in body  # what was typed stays, to be corrected


def test_a_viewer_is_refused_by_the_api(server, deadline, original):
    viewer_id = new_user(server, "resubmit-viewer", "resubmit-viewer-pw")
    deadline.associate_member_to_farm(farmId=original["farmId"], principalId=viewer_id, principalType="USER",
                                      identityStoreId="d-0000000000", membershipLevel="VIEWER")
    viewer = Browser(server.endpoint)
    assert viewer.sign_in(username="resubmit-viewer", password="resubmit-viewer-pw")[0] == 303
    status, _, body = post(viewer, original["url"], priority="50")
    assert status == 400 and "not authorized" in body
