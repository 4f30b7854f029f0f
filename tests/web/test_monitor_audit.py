"""The monitor's actions are audited as the signed-in user, from the browser's address (docs/audit.md)."""

from __future__ import annotations

import json

from web.conftest import set_password
from web.test_monitor_http import Browser

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
