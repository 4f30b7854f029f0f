"""The monitor's Events page (docs/events.md): an administrator subscribes a webhook (its secret shown
once), sees its deliveries and removes it, all audited as them; a user who may see a job mails
themselves its end, but may not send events to a webhook, subscribe to a queue they only view, or
remove someone else's subscription; a form without the session's CSRF token changes nothing."""

from __future__ import annotations

import json
import re

from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.testing.waiting import wait_until
from support.webhook_receiver import WebhookReceiver
from support.worker_jobs import served_queue, submit


def _signed_in(server, name: str, password: str) -> Browser:
    set_password(server, name, password)
    browser = Browser(server.endpoint)
    assert browser.sign_in(username=name, password=password)[0] == 303
    return browser


def _subscribe(browser: Browser, **fields: str) -> tuple[int, str]:
    """POST the page's form; (status, the page /events shows next, with the notice)."""
    form = {"csrf": browser.csrf("/events"), **fields}
    status = browser.request("/events/subscribe", form)[0]
    return status, browser.request("/events")[2] if status == 303 else ""


def test_an_administrator_subscribes_a_webhook_sees_its_deliveries_and_removes_it(server, deadline, farm_id):
    admin = _signed_in(server, "admin", "events-admin-pw")
    status, page = _subscribe(admin, farm_id=farm_id, destination="http://127.0.0.1:9/placeholder",
                              detail_type="Job Lifecycle Status Change")
    assert status == 303
    subscription_id = re.search(r"Subscribed: (subscription-[0-9a-f]+)", page).group(1)
    secret = re.search(r"shown once\): ([0-9a-f]{64})", page).group(1)
    assert secret not in admin.request("/events")[2]  # once

    server.cli("events", "remove", subscription_id)  # the placeholder URL: subscribe again to a real receiver
    receiver = WebhookReceiver("unknown yet").start()
    try:
        status, page = _subscribe(admin, farm_id=farm_id, destination=receiver.url,
                                  detail_type="Job Lifecycle Status Change")
        subscription_id = re.search(r"Subscribed: (subscription-[0-9a-f]+)", page).group(1)
        receiver.secret = re.search(r"shown once\): ([0-9a-f]{64})", page).group(1)
        farm = served_queue(deadline, farm_id)
        job_id = submit(deadline, farm, "1-2")
        wait_until(lambda: receiver.received(), 30, "the job's lifecycle event")
    finally:
        receiver.stop()
    assert receiver.received()[0]["detail"]["jobId"] == job_id

    page = admin.request("/events")[2]
    assert subscription_id in page and receiver.url in page and "Job Lifecycle Status Change" in page
    assert "DELIVERED" in page and receiver.secret not in page

    form = {"csrf": admin.csrf("/events"), "subscription_id": subscription_id}
    assert admin.request("/events/remove", form)[0] == 303
    assert subscription_id not in server.cli("events", "list")
    audited = [json.loads(line) for line in server.cli("audit", "--json", "--resource", subscription_id).splitlines()]
    assert [(e["operation"], e["source"], e["principalName"], e["outcome"]) for e in audited] == [
        ("events subscribe", "web", "admin", "success"), ("events remove", "web", "admin", "success")]
    assert receiver.secret not in json.dumps(audited)


def test_a_user_mails_themselves_a_jobs_end_but_gets_no_webhook_queue_or_others_subscription(server, deadline,
                                                                                           farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1")
    principal = new_user(server, "events-viewer", "events-viewer-pw")
    deadline.associate_member_to_queue(farmId=farm_id, queueId=farm["queueId"], principalId=principal,
                                       principalType="USER", identityStoreId="d-0000000000", membershipLevel="VIEWER")
    admins = server.cli("events", "subscribe", "--farm-id", farm_id, "--url", "http://127.0.0.1:9/admins",
                        "--detail-type", "Job Run Status Change").split()[0]
    viewer = _signed_in(server, "events-viewer", "events-viewer-pw")
    job_page = viewer.request(f"/farms/{farm_id}/queues/{farm['queueId']}/jobs/{job_id}")[2]
    link = re.search(r'href="(/events\?[^"]+)">E-mail me when it ends', job_page).group(1).replace("&amp;", "&")
    form_page = viewer.request(link)[2]
    assert f'name="job_id" value="{job_id}"' in form_page and f'name="farm_id" value="{farm_id}"' in form_page

    status, page = _subscribe(viewer, farm_id=farm_id, queue_id=farm["queueId"], job_id=job_id,
                              destination="me@studio.test")
    assert status == 303
    mine = re.search(r"Subscribed: (subscription-[0-9a-f]+)", page).group(1)
    assert "shown once" not in page  # a mailbox has no secret
    assert "mailto:me@studio.test" in page and "Job Run Status Change" in page  # the job's end by default
    assert admins not in page and "127.0.0.1:9/admins" not in page  # only their own

    assert _subscribe(viewer, farm_id=farm_id, destination="http://127.0.0.1:9/mine")[0] == 403
    assert _subscribe(viewer, farm_id=farm_id, queue_id=farm["queueId"], destination="me@studio.test")[0] == 403
    status, page = _subscribe(viewer, farm_id=farm_id, queue_id=farm["queueId"], job_id=job_id,
                              destination="not an address")
    assert status == 303 and "is not an e-mail address" in page
    refused = viewer.request("/events/remove", {"csrf": viewer.csrf("/events"), "subscription_id": admins})
    assert refused[0] == 403
    assert admins in server.cli("events", "list")
    listed = server.cli("events", "list")
    assert mine in listed and job_id in listed

    assert viewer.request("/events/remove", {"subscription_id": mine})[0] == 403  # no CSRF token
    assert mine in server.cli("events", "list")
    assert viewer.request("/events/remove", {"csrf": viewer.csrf("/events"), "subscription_id": mine})[0] == 303
    assert mine not in server.cli("events", "list")
    server.cli("events", "remove", admins)
