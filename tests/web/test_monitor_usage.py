"""Usage over HTTP: worker-hours per day by queue and by job from the sessions statistics, the same figures
as CSV, budgets against their limits with the worker-hours their queue used, and a non-owner told why
they see none."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from support.worker_jobs import finish_frames, served_queue, submit


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "usage-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="usage-admin-pw")[0] == 303
    return browser


@pytest.fixture(scope="module")
def used(deadline) -> dict:
    farm = served_queue(deadline, deadline.create_farm(displayName="usage farm")["farmId"])
    job_id = submit(deadline, farm, "1-5")
    finish_frames(deadline, farm)
    now = datetime.now(UTC)
    deadline.create_budget(farmId=farm["farmId"], usageTrackingResource={"queueId": farm["queueId"]},
                           displayName="December renders", approximateDollarLimit=500.0,
                           actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100}],
                           schedule={"fixed": {"startTime": now - timedelta(days=1),
                                               "endTime": now + timedelta(days=30)}})
    return {**farm, "jobId": job_id, "url": f"/farms/{farm['farmId']}/usage"}


def test_the_usage_page_charts_worker_hours_per_day_by_queue(admin, used, deadline):
    status, _, body = admin.request(used["url"])
    assert status == 200
    chart = json.loads(re.search(r'<script type="application/json" id="usage-data">(.*?)</script>', body, re.S)[1])
    assert [s["name"] for s in chart["series"]] == ["q"] and len(chart["labels"]) >= 1
    assert '<td data-label="Queue" title="' + used["queueId"] + '">q</td>' in body
    assert "/static/vendor/chart.umd.min.js" in body


def test_usage_by_job_names_the_job(admin, used):
    body = admin.request(used["url"] + "?group=JOB_ID&period=WEEKLY")[2]
    assert f'title="{used["jobId"]}">frames</td>' in body


def test_the_csv_has_the_tables_figures(admin, used):
    status, headers, body = admin.request(used["url"] + "?group=QUEUE_ID&format=csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert "attachment" in headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and {r["queue_id"] for r in rows} == {used["queueId"]} and rows[0]["queue"] == "q"
    assert sum(int(r["sessions"]) for r in rows) >= 1 and float(rows[0]["worker_hours"]) >= 0


def test_budgets_show_their_limit_and_the_worker_hours_their_queue_used(admin, used):
    body = admin.request(used["url"])[2]
    assert "December renders" in body and "$0.00 / $500.00" in body
    assert re.search(r'<td data-label="Worker-hours" class="num">\d+\.\d\d</td>', body)


def test_a_viewer_is_told_usage_needs_an_owner(server, deadline, used):
    viewer_id = new_user(server, "usage-viewer", "usage-viewer-pw")
    deadline.associate_member_to_farm(farmId=used["farmId"], principalId=viewer_id, principalType="USER",
                                      identityStoreId="d-0000000000", membershipLevel="VIEWER")
    viewer = Browser(server.endpoint)
    assert viewer.sign_in(username="usage-viewer", password="usage-viewer-pw")[0] == 303
    body = viewer.request(used["url"])[2]
    assert "Usage needs OWNER" in body and "Download CSV" not in body


def test_the_charts_axis_has_every_period_of_the_window_quiet_ones_too(admin, used):
    body = admin.request(used["url"] + "?from=2026-01-01&to=2026-01-07&period=DAILY")[2]
    chart = json.loads(re.search(r'<script type="application/json" id="usage-data">(.*?)</script>', body, re.S)[1]) \
        if 'id="usage-data"' in body else None
    assert chart is None  # nothing ran in that window: no chart, the page says so
    assert "No sessions ran in this window." in body
    from farmstead.web.usage_views import _period_starts
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    assert len(_period_starts(window, "DAILY")) == 7
    assert [d.day for d in _period_starts(window, "WEEKLY")] == [1, 5]       # then Monday the 5th
    assert [d.month for d in _period_starts((window[0], datetime(2026, 3, 15, tzinfo=UTC)), "MONTHLY")] == [1, 2, 3]
    assert len(_period_starts(window, "HOURLY")) == 7 * 24
