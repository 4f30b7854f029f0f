"""A silent worker on the metrics: the heartbeat lag grows, then it is counted as a timeout and as
unhealthy (Deadline Cloud's UnhealthyWorkerCount) in its fleet."""

from __future__ import annotations

import time

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.scrapes import scrape
from support.worker_jobs import ROLE, served_queue


@pytest.fixture
def quick_server(tmp_path):
    """A server of the test's own: the heartbeat lag is the whole farm's, other tests' workers not wanted."""
    with LiveServer(tmp_path, extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "2"}) as live:
        yield live


def test_silent_worker_raises_the_heartbeat_lag_then_counts_as_a_timeout(quick_server):
    deadline = quick_server.client()
    farm_id = deadline.create_farm(displayName="timeouts")["farmId"]
    farm = served_queue(deadline, farm_id)
    fleet = {"farm_id": farm_id, "fleet_id": farm["fleetId"]}
    before = scrape(quick_server.endpoint).value("farmstead_worker_timeouts_total")
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    time.sleep(1.0)
    assert scrape(quick_server.endpoint).value("farmstead_worker_heartbeat_lag_seconds") >= 1.0

    wait_until(lambda: deadline.get_worker(**worker.ids)["status"] == "NOT_RESPONDING", 20, "the worker NOT_RESPONDING")
    scraped = scrape(quick_server.endpoint)
    assert scraped.value("farmstead_worker_timeouts_total") - before == 1
    assert scraped.value("UnhealthyWorkerCount", **fleet) == 1
    assert scraped.value("farmstead_workers", **fleet, status="NOT_RESPONDING") == 1
    assert scraped.value("farmstead_worker_heartbeat_lag_seconds") == 0  # nobody is expected to heartbeat


def test_a_worker_running_its_host_configuration_script_is_not_lagging(quick_server):
    deadline = quick_server.client()
    farm_id = deadline.create_farm(displayName="configuring")["farmId"]
    script = {"scriptBody": "sleep 60", "scriptTimeoutSeconds": 300}
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="scripted", roleArn=ROLE, maxWorkerCount=2,
                                     configuration=LINUX_FLEET, hostConfiguration=script)["fleetId"]
    worker = ScriptedWorker(deadline, farm_id, fleet_id)  # STARTED: now runs the script, silent by right
    time.sleep(2.5)  # past the worker timeout
    assert scrape(quick_server.endpoint).value("farmstead_worker_heartbeat_lag_seconds") == 0
    assert deadline.get_worker(**worker.ids)["status"] != "NOT_RESPONDING"
