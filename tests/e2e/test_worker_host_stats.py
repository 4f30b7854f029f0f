"""A real `farmstead worker` reports its host's CPU, memory and disk use: lines in its worker log on the
server (the logs API), shown on the fleet page."""

from __future__ import annotations

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.domain.host_stats import parse
from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.worker_farms import Farm


@pytest.fixture
def farm(tmp_path):
    (tmp_path / "server").mkdir()
    with LiveServer(tmp_path / "server") as live:
        farm = Farm(live, tmp_path)
        yield farm
        farm.stop_all()


def test_the_worker_logs_host_statistics_and_the_fleet_page_shows_them(farm):
    farm.start_worker("w1", FARMSTEAD_WORKER_HOST_STATS_INTERVAL="0.5")
    worker_id = wait_until(lambda: (farm.tmp / "w1" / "worker.json").exists() and farm.worker_id("w1"), 30,
                           "the worker to register")
    logs = farm.live.client("logs")

    def host_lines():
        try:
            events = logs.get_log_events(logGroupName=f"/aws/deadline/{farm.farm_id}/{farm.fleet_id}",
                                         logStreamName=worker_id, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [stats for e in events if (stats := parse(e["message"], e["timestamp"])) is not None]

    stats = wait_until(lambda: len(found := host_lines()) >= 2 and found[-1], 30, "two host statistics lines",
                       interval=0.5)
    assert stats.cpu_percent is not None and 0.0 <= stats.cpu_percent <= 100.0
    assert stats.memory_total_bytes and stats.disk_total_bytes
    assert 0 < stats.memory_percent <= 100 and 0 < stats.disk_percent <= 100

    set_password(farm.live, "admin", "worker-host-stats-pw")
    browser = Browser(farm.live.endpoint)
    assert browser.sign_in(username="admin", password="worker-host-stats-pw")[0] == 303
    body = browser.request(f"/farms/{farm.farm_id}/fleets/{farm.fleet_id}")[2]
    assert f'<tr data-id="{worker_id}"' in body
    assert '<td data-label="Host use" class="host-use">CPU ' in body and " GiB · disk " in body
