"""The fleet page's host use column: each worker's latest host-metrics line from its worker log, in the
official agent's structured form (PutLogEvents as the agent uploads it) or `farmstead worker`'s plain one."""

from __future__ import annotations

import json
import re
import time

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue

GIB = 1024 ** 3


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "host-stats-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="host-stats-admin-pw")[0] == 303
    return browser


def _host_use(body: str, worker_id: str) -> str:
    row = re.search(rf'<tr data-id="{worker_id}".*?</tr>', body, re.S)
    assert row, body[-2000:]
    cell = re.search(r'<td data-label="Host use" class="host-use">(.*?)</td>', row.group(0), re.S)
    assert cell
    return re.sub(r"<[^>]+>", "", cell.group(1))


def test_each_worker_shows_its_latest_host_statistics_line_and_none_without_one(server, deadline, admin):
    farm = served_queue(deadline, deadline.create_farm(displayName="host stats")["farmId"])
    official, ours, silent = (ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]) for _ in range(3))
    logs = server.client("logs")
    group = f"/aws/deadline/{farm['farmId']}/{farm['fleetId']}"
    now = int(time.time() * 1000)
    older = {"level": "INFO", "ti": "📊", "type": "Metrics", "subtype": "System", "cpu-usage-percent": "5.0",
             "memory-total-bytes": str(16 * GIB), "memory-used-bytes": str(4 * GIB)}
    newer = {**older, "cpu-usage-percent": "87.5", "memory-used-bytes": str(12 * GIB),
             "total-disk-bytes": str(500 * GIB), "total-disk-used-bytes": str(100 * GIB),
             "gpu-utilization-percent": "40.0", "gpu-memory-used-mib": "2048", "gpu-memory-total-mib": "8192"}
    logs.put_log_events(logGroupName=group, logStreamName=official.worker_id, logEvents=[
        {"timestamp": now - 120_000, "message": json.dumps(older)},
        {"timestamp": now - 60_000, "message": json.dumps(newer)},
        {"timestamp": now - 1_000, "message": json.dumps({"level": "INFO", "message": "polling"})}])
    logs.put_log_events(logGroupName=group, logStreamName=ours.worker_id, logEvents=[
        {"timestamp": now, "message": "cpu-usage-percent 12.0 memory-total-bytes 8589934592 "
                                      "memory-used-bytes 2147483648 swap-used-bytes 0"}])
    logs.put_log_events(logGroupName=group, logStreamName=silent.worker_id, logEvents=[
        {"timestamp": now, "message": "worker STARTED"}])

    body = admin.request(f"/farms/{farm['farmId']}/fleets/{farm['fleetId']}")[2]
    assert "Host use" in body
    shown = _host_use(body, official.worker_id)
    assert shown.startswith("CPU 88 % · memory 75 % of 16.0 GiB · disk 20 % of 500 GiB · GPU 40 %, its memory 25 %")
    assert re.search(r"\((5\d|6\d) s ago\)", shown)
    assert _host_use(body, ours.worker_id).startswith("CPU 12 % · memory 25 % of 8.0 GiB")
    assert _host_use(body, silent.worker_id) == "—"
