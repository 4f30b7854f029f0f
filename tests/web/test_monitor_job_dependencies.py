"""The job page shows the jobs a job waits on and those waiting on it (docs/self-managing.md)."""

from __future__ import annotations

import re

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from support.worker_jobs import served_queue, submit


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "links-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="links-admin-pw")[0] == 303
    return browser


def test_the_job_page_shows_upstream_and_downstream_jobs(admin, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    sim = submit(deadline, farm, "1-1", nameOverride="sim 010")
    render = submit(deadline, farm, "1-1", nameOverride="render 010", tags={"farmstead:after": sim})
    base = f"/farms/{farm_id}/queues/{farm['queueId']}/jobs"
    waiting = admin.request(f"{base}/{render}")[2]
    section = re.search(r'<h2 id="job-dependencies">.*?<h2 id="blocklist">', waiting, re.S).group(0)
    assert "Waits for (afterok)" in section and f'{base}/{sim}"' in section and "sim 010" in section
    upstream = admin.request(f"{base}/{sim}")[2]
    section = re.search(r'<h2 id="job-dependencies">.*?<h2 id="blocklist">', upstream, re.S).group(0)
    assert "Jobs waiting on this one" in section and "render 010" in section and "PENDING" in section


def test_the_queue_page_draws_the_waits_among_its_jobs(admin, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    sim = submit(deadline, farm, "1-1", nameOverride="sim 020")
    cache = submit(deadline, farm, "1-1", nameOverride="cache 020")
    render = submit(deadline, farm, "1-1", nameOverride="render 020", tags={"farmstead:after": f"{sim},{cache}"})
    body = admin.request(f"/farms/{farm_id}/queues/{farm['queueId']}")[2]
    graph = re.search(r'<ul class="dependency-graph">.*?</ul>', body, re.S).group(0)
    edge = re.search(r"<li>.*?</li>", graph, re.S).group(0)
    assert "sim 020" in edge and "cache 020" in edge and " + " in edge
    assert f'jobs/{render}">render 020</a> (PENDING, waiting; afterok)' in edge
