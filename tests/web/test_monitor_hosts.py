"""The fleet's host table over HTTP: filtered by status and by text in a host name, address or id, sorted
by host, status or last heartbeat, with the filters kept in the URL."""

from __future__ import annotations

import re
import time

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "hosts-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="hosts-admin-pw")[0] == 303
    return browser


@pytest.fixture(scope="module")
def fleet(deadline) -> dict:
    farm = served_queue(deadline, deadline.create_farm(displayName="hosts farm")["farmId"])
    for name, address in (("render-b", "10.0.0.2"), ("render-a", "10.0.0.1"), ("sim-c", "10.0.1.3")):
        worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
        deadline.update_worker(farmId=farm["farmId"], fleetId=farm["fleetId"], workerId=worker.worker_id,
                               hostProperties={"hostName": name, "ipAddresses": {"ipV4Addresses": [address]}})
        worker.poll()
        if name == "sim-c":
            deadline.update_worker(farmId=farm["farmId"], fleetId=farm["fleetId"], workerId=worker.worker_id,
                                   status="STOPPED")
        time.sleep(0.05)
    return {**farm, "url": f"/farms/{farm['farmId']}/fleets/{farm['fleetId']}"}


def hosts(browser: Browser, url: str) -> list[str]:
    body = browser.request(url)[2]
    return re.findall(r'<td data-label="Worker"><strong title="[^"]+">([^<]+)</strong>', body)


def test_hosts_are_sorted_by_name_by_default_and_either_way(admin, fleet):
    assert hosts(admin, fleet["url"]) == ["render-a", "render-b", "sim-c"]
    assert hosts(admin, fleet["url"] + "?sort=host&order=DESCENDING") == ["sim-c", "render-b", "render-a"]


def test_hosts_sort_by_last_heartbeat(admin, fleet):
    # sim-c reported last (its stop); render-a before it, render-b first.
    assert hosts(admin, fleet["url"] + "?sort=heartbeat&order=DESCENDING")[0] == "sim-c"


def test_hosts_filter_by_status_and_by_text_in_name_or_address(admin, fleet):
    assert hosts(admin, fleet["url"] + "?status=STOPPED") == ["sim-c"]
    assert hosts(admin, fleet["url"] + "?q=RENDER") == ["render-a", "render-b"]
    assert hosts(admin, fleet["url"] + "?q=10.0.1.") == ["sim-c"]
    body = admin.request(fleet["url"] + "?q=nothing-like-it")[2]
    assert "No workers match these filters (3 in the fleet)." in body


def test_the_sort_links_keep_the_filters(admin, fleet):
    body = admin.request(fleet["url"] + "?q=render")[2]
    links = re.findall(r'href="([^"]*sort=heartbeat[^"]*)"', body)
    assert links and all("q=render" in link for link in links)


def test_the_fleet_page_shows_what_a_worker_hour_costs(server, admin, fleet):
    # The shared server sets no FARMSTEAD_WORKER_HOUR_COST: the farm default is $0 until a rate is set.
    assert "$0.00 a worker-hour (the farm default" in admin.request(fleet["url"])[2]
    server.cli("fleets", "cost", "--fleet-id", fleet["fleetId"], "--dollars-per-hour", "1.75")
    try:
        assert "$1.75 a worker-hour (this fleet&#39;s rate" in admin.request(fleet["url"])[2]
    finally:
        server.cli("fleets", "cost", "--fleet-id", fleet["fleetId"], "--default")
