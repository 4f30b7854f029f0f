"""The monitor's pages at scale: 100,000 jobs in one queue and a 100,000-task step (docs/web.md, "Speed").

Opt-in (about a minute of setup): FARMSTEAD_WEB_SCALE=1 pytest tests/web/test_scale.py -s
The medians it prints are the ones docs/web.md quotes; the assertions only catch a page that has
started to cost in proportion to the queue or step (seconds instead of tens of milliseconds).
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import statistics
import time

import pytest
import sqlalchemy as sa
from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.store import schema
from farmstead.store.engine import Store
from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET
from farmstead.testing.waiting import wait_until

pytestmark = [pytest.mark.skipif(os.environ.get("FARMSTEAD_WEB_SCALE") != "1",
                                 reason="opt-in: FARMSTEAD_WEB_SCALE=1 (about a minute of setup)"),
              pytest.mark.timeout(900)]
JOBS = 100_000
SLOW = 1.0  # seconds: a page this slow costs in proportion to the data


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("web-scale")).start()
    deadline = live.client()
    farm = deadline.create_farm(displayName="scale")["farmId"]
    queue = deadline.create_queue(farmId=farm, displayName="q")["queueId"]
    fleet = deadline.create_fleet(farmId=farm, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                  maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm, queueId=queue, fleetId=fleet)
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "big", "steps": [{
        "name": "frames", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "Frame", "type": "INT", "range": "1-100000"}]},
        "script": {"actions": {"onRun": {"command": "true"}}}}]}
    job = deadline.create_job(farmId=farm, queueId=queue, priority=50, templateType="JSON",
                              template=json.dumps(template))["jobId"]
    wait_until(lambda: deadline.get_job(farmId=farm, queueId=queue, jobId=job)["lifecycleStatus"]
               != "CREATE_IN_PROGRESS", 300, "the 100,000 tasks to be materialized", interval=1)
    # 100,000 more jobs, written straight into the store as copies of the real one (CreateJob one by one
    # would take far longer than the pages being measured).
    store = Store.open(live.database_url or f"sqlite:///{live.data_dir}/farmstead.db", migrate=False)
    with store.write() as conn:
        row = dict(conn.execute(sa.select(schema.jobs).where(schema.jobs.c.job_id == job)).mappings().one())
        statuses = ["SUCCEEDED"] * 8 + ["FAILED", "CANCELED"]
        for start in range(0, JOBS, 5000):
            conn.execute(schema.jobs.insert(), [
                {**row, "job_id": f"job-{i:032x}", "name": f"shot-{i:06d} comp", "priority": i % 100,
                 "task_run_status": statuses[i % 10],
                 "created_at": row["created_at"] - datetime.timedelta(seconds=JOBS - i)}
                for i in range(start, start + 5000)])
    store.engine.dispose()
    set_password(live, "admin", "scale-admin-pw")
    browser = Browser(live.endpoint)
    browser.sign_in(username="admin", password="scale-admin-pw")
    step = deadline.list_steps(farmId=farm, queueId=queue, jobId=job)["steps"][0]["stepId"]
    yield browser, f"/farms/{farm}/queues/{queue}", f"/farms/{farm}/queues/{queue}/jobs/{job}", step
    live.stop()


def median_seconds(browser: Browser, path: str, headers: dict | None = None) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        status = browser.request(path, headers=headers)[0]
        times.append(time.perf_counter() - start)
        assert status in (200, 304), path
    return statistics.median(times)


@pytest.mark.parametrize("query", ["", "?offset=5000", "?offset=9950", "?status=FAILED", "?q=shot-0999",
                                   "?sort=priority", "?sort=name&order=ASCENDING", "?live=1"])
def test_the_job_list_of_a_100000_job_queue_answers_in_time(big, query):
    browser, queue_page, _, _ = big
    seconds = median_seconds(browser, queue_page + query)
    print(f"job list {query or '(newest first)'}: {seconds * 1000:.0f} ms")
    assert seconds < SLOW


def test_a_100000_task_job_and_its_step_pages_answer_in_time(big):
    browser, _, job_page, step = big
    polls = {"X-Requested-With": "fetch"}
    etag = browser.request(job_page + "?live=1", headers=polls)[1]["etag"]
    timings = {"job page": median_seconds(browser, job_page),
               "job poll, unchanged": median_seconds(browser, job_page + "?live=1",
                                                     {**polls, "If-None-Match": etag}),
               "step, first page": median_seconds(browser, f"{job_page}/steps/{step}"),
               "step, READY filter": median_seconds(browser, f"{job_page}/steps/{step}?status=READY")}
    deep = f"{job_page}/steps/{step}"
    for _ in range(100):  # 100 pages deep (tasks 10,001-10,100) by the pages' own Next links
        body = browser.request(deep)[2]
        deep = html.unescape(re.search(r'href="([^"]*\?token=[^"]*)"', body).group(1))
    timings["step, page 101"] = median_seconds(browser, deep)
    for name, seconds in timings.items():
        print(f"{name}: {seconds * 1000:.0f} ms")
        assert seconds < SLOW
