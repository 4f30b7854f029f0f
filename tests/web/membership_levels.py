"""What a membership level lets a user signed in through an identity source see and do, in Chromium: shared
by the directory (LDAP) and OpenID Connect sign-in tests, each passing how its users sign in."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from farmstead.testing.live_server import LiveServer


def a_viewer_looks_and_a_manager_changes_the_priority(server: LiveServer, browser, group_id: str,
                                         sign_in: Callable[[object], None]) -> None:
    """A VIEWER of the user's group sees the job page with no change buttons; raised to MANAGER (re-read
    within the cache window, docs/access.md), the same page offers them, and setting the priority works.
    `sign_in(page)` signs the group's member in from the sign-in page the job's URL led to."""
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="Levels farm")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="Levels queue")["queueId"]
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "a job to look at",
                "steps": [{"name": "Quick", "script": {"actions": {"onRun": {"command": "true"}}}}]}
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=json.dumps(template))["jobId"]  # READY: no fleet takes it

    def grant(level: str) -> None:
        deadline.associate_member_to_farm(farmId=farm_id, principalId=group_id, principalType="GROUP",
                                          identityStoreId="d-0123456789", membershipLevel=level)
    grant("VIEWER")
    job_url = f"{server.endpoint}/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"
    page = browser.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(job_url)  # signed out: to the sign-in page, and back to the job once signed in
        sign_in(page)
        page.wait_for_url(job_url)
        assert page.inner_text("h1") == "a job to look at"
        assert page.locator("button[value=cancel]").count() == 0
        assert page.locator("button[value=priority]").count() == 0
        assert "can view this job but not change it" in page.inner_text("main")

        grant("MANAGER")
        waited_until = time.monotonic() + 30
        while page.locator("button[value=priority]").count() == 0:
            assert time.monotonic() < waited_until, "no change buttons for a MANAGER"
            time.sleep(0.5)
            page.reload()
        page.once("dialog", lambda dialog: dialog.accept())
        page.fill("form[data-applies] input[name=priority]", "70")
        page.click("form[data-applies] button[value=priority]")
        page.wait_for_selector(".notice")
        assert "1 of 1 job done" in page.inner_text(".notice"), page.inner_text(".notice")
        assert deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)["priority"] == 70
    finally:
        page.close()
