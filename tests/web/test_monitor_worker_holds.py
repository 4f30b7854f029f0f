"""The fleet page's drain, disable and enable buttons, for one worker and for the whole fleet
(docs/self-managing.md); a VIEWER sees the holds but no buttons."""

from __future__ import annotations

import re

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit, task_runs


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "holds-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="holds-admin-pw")[0] == 303
    return browser


def _press(browser: Browser, page: str, kind: str, action: str, item: str, **fields: str) -> str:
    form = [("csrf", browser.csrf(page)), ("back", page), ("confirmed", "1"), ("kind", kind), ("action", action),
            *fields.items(), ("item", item)]
    status, headers, _ = browser.request("/actions", form)
    assert (status, headers["location"]) == (303, page)
    return browser.request(page)[2]


def _row(body: str, worker_id: str) -> str:
    return re.search(rf'<tr data-id="{worker_id}".*?</tr>', body, re.S).group(0)


def test_one_worker_is_drained_from_its_row_and_enabled_again(admin, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    submit(deadline, farm, "1-3")
    held = ScriptedWorker(deadline, farm_id, farm["fleetId"], host_name="held-node")
    free = ScriptedWorker(deadline, farm_id, farm["fleetId"], host_name="free-node")
    page = f"/farms/{farm_id}/fleets/{farm['fleetId']}"
    body = _press(admin, page, "host", "drain", held.worker_id, farm_id=farm_id, fleet_id=farm["fleetId"])
    assert "Drain: 1 of 1 host done." in body
    assert "Draining" in _row(body, held.worker_id) and 'value="enable"' in _row(body, held.worker_id)
    assert "Draining" not in _row(body, free.worker_id)
    assert task_runs(held.poll()) == [] and task_runs(free.poll())
    body = _press(admin, page, "host", "enable", held.worker_id, farm_id=farm_id, fleet_id=farm["fleetId"])
    assert "Draining" not in _row(body, held.worker_id)
    assert task_runs(held.poll())


def test_the_whole_fleet_is_disabled_at_once_and_its_running_task_goes_back(admin, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    submit(deadline, farm, "1-2")
    first = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    second = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    (action,) = task_runs(first.poll())
    page = f"/farms/{farm_id}/fleets/{farm['fleetId']}"
    body = _press(admin, page, "fleet", "disable", farm["fleetId"], farm_id=farm_id)
    assert "2 workers." in body
    assert "Disabled" in _row(body, first.worker_id) and "Disabled" in _row(body, second.worker_id)
    canceled = [i for ids in first.poll()["cancelSessionActions"].values() for i in ids]
    assert action["sessionActionId"] in canceled
    assert task_runs(second.poll()) == []


def test_a_viewer_sees_a_hold_but_no_buttons_and_cannot_press_them(server, admin, deadline, farm_id, unique_name):
    farm = served_queue(deadline, farm_id)
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    page = f"/farms/{farm_id}/fleets/{farm['fleetId']}"
    _press(admin, page, "host", "drain", worker.worker_id, farm_id=farm_id, fleet_id=farm["fleetId"])
    name = unique_name("holds-viewer")
    principal = new_user(server, name, "holds-viewer-pw")
    deadline.associate_member_to_farm(farmId=farm_id, principalId=principal, principalType="USER",
                                      identityStoreId="d-0000000000", membershipLevel="VIEWER")
    viewer = Browser(server.endpoint)
    viewer.sign_in(username=name, password="holds-viewer-pw")
    body = viewer.request(page)[2]
    assert "Draining" in _row(body, worker.worker_id) and 'value="enable"' not in body
    body = _press(viewer, page, "host", "enable", worker.worker_id, farm_id=farm_id, fleet_id=farm["fleetId"])
    assert "Draining" in _row(body, worker.worker_id)  # refused
