"""Every link form the official `deadline` CLI builds for a monitor, and GetMonitor's `url`, redirect to
the monitor's own page; malformed ones are 404, never a redirect elsewhere. (The CLI's printed job
link, followed through sign-in, is in tests/e2e/test_monitor_links.py.)"""

from __future__ import annotations

import pytest
from web.test_monitor_http import Browser

FARM = "farm-" + "a" * 32
QUEUE = "queue-" + "b" * 32
JOB = "job-" + "c" * 32
STEP = "step-" + "d" * 32
TASK = "task-" + "d" * 32 + "-7"


@pytest.mark.parametrize(("link", "page"), [
    ("/monitors/studio-1/", "/"),
    ("/monitors/studio-1", "/"),
    ("/farms", "/"),
    (f"/us-west-2/farms/{FARM}", f"/farms/{FARM}"),
    (f"/eu-central-1/farms/{FARM}/queues/{QUEUE}", f"/farms/{FARM}/queues/{QUEUE}"),
    (f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId={JOB}", f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}"),
    (f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId={JOB}&stepId={STEP}",
     f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/steps/{STEP}"),
    (f"/us-gov-west-1/farms/{FARM}/queues/{QUEUE}?jobId={JOB}&stepId={STEP}&taskId={TASK}",
     f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/steps/{STEP}/tasks/{TASK}"),
])
def test_a_monitor_link_redirects_to_the_monitors_own_page(server, link, page):
    status, headers, _ = Browser(server.endpoint).request(link)
    assert (status, headers["location"]) == (302, page)


@pytest.mark.parametrize("link", [
    f"/not-a-region/farms/{FARM}",
    f"/us-west-2/farms/farm-xyz/queues/{QUEUE}",
    f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId=job-1",
    f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId=//evil.example/{JOB}",
    f"/us-west-2/farms/{FARM}/queues/{QUEUE}?stepId={STEP}",  # a step without its job
    f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId={JOB}&taskId={TASK}",  # a task without its step
    "/monitors/Not_A_Subdomain/",
])
def test_a_malformed_monitor_link_is_not_found(server, link):
    status, headers, _ = Browser(server.endpoint).request(link)
    assert status == 404 and "location" not in headers


def test_a_signed_out_visitor_of_a_job_link_signs_in_on_the_way_to_the_job(server):
    browser = Browser(server.endpoint)
    _, headers, _ = browser.request(f"/us-west-2/farms/{FARM}/queues/{QUEUE}?jobId={JOB}")
    status, headers, _ = browser.request(headers["location"])
    assert status == 303
    assert headers["location"] == f"/signin?next=%2Ffarms%2F{FARM}%2Fqueues%2F{QUEUE}%2Fjobs%2F{JOB}"
