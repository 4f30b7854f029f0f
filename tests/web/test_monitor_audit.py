"""The monitor's actions are audited as the signed-in user, from the browser's address (docs/audit.md)."""

from __future__ import annotations

import json

from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit


def test_a_monitor_action_is_audited_as_the_signed_in_user_from_the_browsers_address(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-4")
    set_password(server, "admin", "audit-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="audit-admin-pw")[0] == 303
    page = f"/farms/{farm_id}/queues/{farm['queueId']}/jobs/{job_id}"
    form = [("csrf", browser.csrf(page)), ("back", page), ("confirmed", "1"), ("kind", "job"), ("action", "suspend"),
            ("farm_id", farm_id), ("queue_id", farm["queueId"]), ("item", job_id)]
    assert browser.request("/actions", form)[0] == 303

    from_web = [e for e in map(json.loads, server.cli("audit", "--json", "--resource", job_id).splitlines())
                if e["source"] == "web"]
    assert [(e["operation"], e["principalName"], e["address"], e["outcome"]) for e in from_web] == [
        ("UpdateJob", "admin", "127.0.0.1", "success")]
    assert from_web[0]["accessKeyId"] is None and from_web[0]["params"]["targetTaskRunStatus"] == "SUSPENDED"


def test_the_audit_page_shows_administrators_the_filtered_log_and_refuses_everyone_else(server, deadline, farm_id):
    deadline.update_farm(farmId=farm_id, description="seen on the audit page")
    set_password(server, "admin", "audit-admin-pw")
    admin = Browser(server.endpoint)
    assert admin.sign_in(username="admin", password="audit-admin-pw")[0] == 303
    status, _, body = admin.request(f"/audit?resource={farm_id}&operation=UpdateFarm")
    assert status == 200 and "1 entry, oldest first" in body
    assert "UpdateFarm" in body and "CreateFarm" not in body and "api 127.0.0.1" in body

    server.new_user("audit-page-viewer")
    set_password(server, "audit-page-viewer", "audit-viewer-pw")
    viewer = Browser(server.endpoint)
    assert viewer.sign_in(username="audit-page-viewer", password="audit-viewer-pw")[0] == 303
    status, _, body = viewer.request("/audit")
    assert status == 403 and "Only an administrator may read the audit log." in body
    assert 'href="/audit"' not in viewer.request("/")[2]


def test_a_monitor_worker_hold_is_audited_as_the_signed_in_user(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    set_password(server, "admin", "audit-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="audit-admin-pw")[0] == 303
    page = f"/farms/{farm_id}/fleets/{farm['fleetId']}"
    form = [("csrf", browser.csrf(page)), ("back", page), ("confirmed", "1"), ("kind", "host"), ("action", "drain"),
            ("farm_id", farm_id), ("fleet_id", farm["fleetId"]), ("item", worker.worker_id)]
    assert browser.request("/actions", form)[0] == 303

    entries = [json.loads(line) for line in server.cli("audit", "--json", "--resource", worker.worker_id).splitlines()]
    assert [(e["operation"], e["source"], e["principalName"], e["outcome"]) for e in entries] == [
        ("CreateWorker", "api", "admin", "success"), ("workers drain", "web", "admin", "success")]
