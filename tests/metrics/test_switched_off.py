"""FARMSTEAD_METRICS=0 and FARMSTEAD_EVENTS=0 (only to measure their cost, bench observability_cost): the
server does its work the same, with no /metrics and no event written to the outbox."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from farmstead.store import events
from farmstead.store.engine import Store
from farmstead.testing.live_server import LiveServer
from support.worker_jobs import finish_frames, served_queue, submit


def _outbox(server: LiveServer) -> list:
    store = Store.open(server.database_url or f"sqlite:///{server.data_dir / 'farmstead.db'}", migrate=False)
    try:
        with store.read() as conn:
            return events.after(conn, 0, 100)
    finally:
        store.dispose()


@pytest.mark.parametrize("switch", ["on", "off"])
def test_with_metrics_and_events_off_work_runs_without_metrics_or_outbox_rows(tmp_path, switch):
    off = {"FARMSTEAD_METRICS": "0", "FARMSTEAD_EVENTS": "0"} if switch == "off" else {}
    with LiveServer(tmp_path, extra_env=off) as server:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="switches")["farmId"])
        job_id = submit(deadline, farm, "1-3")
        finish_frames(deadline, farm)
        job = deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
        assert job["taskRunStatusCounts"]["SUCCEEDED"] == 3
        try:
            with urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10) as response:
                served = b"farmstead_tasks_handed_out_total 3.0" in response.read()
        except urllib.error.HTTPError as error:
            assert error.code == 404  # not served: the web monitor's "no such page"
            served = False
        written = {row.detail_type for row in _outbox(server) if row.job_id == job_id}
    if switch == "on":
        # Task Run Status Change rows only while a subscription wants them: none here.
        assert served and written == {"Job Lifecycle Status Change", "Job Run Status Change", "Step Run Status Change"}
    else:
        assert not served and written == set()
