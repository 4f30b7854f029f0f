"""The metrics on PostgreSQL, with two API replicas on one database: each counts its own requests and
dispatch, and both report the same farm-wide gauges (they read them from the store)."""

from __future__ import annotations

import pytest

from farmstead.testing.live_server import LiveServer
from support.scrapes import scrape
from support.worker_jobs import finish_frames, submit

FARM_WIDE = ("farmstead_tasks", "farmstead_jobs", "farmstead_workers", "farmstead_sessions_open")


@pytest.mark.farmstead(store="postgresql")
def test_two_replicas_agree_on_the_farm_and_count_their_own_work(farmstead, tmp_path):
    farm = farmstead.ids
    submit(farmstead.deadline, farm, "1-3")
    handed_out = "farmstead_tasks_handed_out_total"
    (tmp_path / "replica").mkdir()
    with LiveServer(tmp_path / "replica", database_url=farmstead.server.database_url) as replica:
        before = scrape(replica.endpoint).value(handed_out)
        finish_frames(farmstead.deadline, farm)  # through the first replica only
        first, second = scrape(farmstead.endpoint), scrape(replica.endpoint)

    queue = {"queue_id": farmstead.queue_id}
    fleet = {"fleet_id": farmstead.fleet_id}
    for name in FARM_WIDE:
        mine = queue if name in ("farmstead_tasks", "farmstead_jobs") else fleet
        assert first.matching(name, **mine) == second.matching(name, **mine)
    assert first.value("farmstead_tasks", farm_id=farmstead.farm_id, status="SUCCEEDED", **queue) == 3
    assert first.value("farmstead_workers", farm_id=farmstead.farm_id, status="STARTED", **fleet) == 1
    assert second.value(handed_out) == before  # the other replica handed out nothing
    assert first.value("farmstead_task_run_duration_seconds_count", **queue) == 3
    assert second.matching("farmstead_task_run_duration_seconds_count", **queue) == {}
