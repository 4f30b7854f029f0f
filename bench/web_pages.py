"""web_pages: the monitor's job page of a 100,000-task job against a 1-task job's, and the queue page of a
10,000-job queue against a 10-job queue's (target: <= 300 ms of server time and a ratio <= 2).

Owns: one server with those jobs and queues, a signed-in browser session (a password sign-in, then the
session cookie), and rounds in which each pair of pages is asked back to back in alternating order, so
noise hits both alike. The figure is each page's server time from its Server-Timing header (the page's
API calls and rendering, without the connection), median over the rounds, and the ratio of the medians;
the wall time of the whole request is printed beside it. The frame grid's data (the job's task map) is
measured too: how long the first read of a 100,000-task job takes, and what a poll costs after it.
The 10,000 jobs are 9,999 copies of one real job written into the store (CreateJob one by one would take
minutes), as tests/web/test_scale.py does.
Must not: change the jobs it measures.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import re
import statistics
import time
import urllib.parse

from bench.farm_setup import Farm, frame_template, new_farm
from bench.figures import table
from bench.launcher import running_server

DESCRIPTION = "monitor job page 100,000 tasks / 1 task, queue page 10,000 jobs / 10 jobs (<= 300 ms, ratio <= 2)"
BIG_JOB_TASKS = 100_000
BIG_QUEUE_JOBS = 10_000
PASSWORD = "bench-admin-password"
TARGET_MS = 300.0
TARGET_RATIO = 2.0


class Browser:
    """One keep-alive connection with the monitor's session cookie."""

    def __init__(self, endpoint: str) -> None:
        parsed = urllib.parse.urlsplit(endpoint)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        sent = {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["content-type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request("POST" if form is not None else "GET", path, body=body, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        wall = time.perf_counter() - started
        for value in response.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.headers.items()}, data, wall

    def sign_in(self, username: str, password: str) -> None:
        page = self.request("/signin")[2].decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        status = self.request("/signin", {"csrf": csrf, "method": "password", "username": username,
                                          "password": password})[0]
        if status != 303:
            raise RuntimeError(f"sign-in answered {status}")

    def timed(self, path: str, headers: dict[str, str] | None = None) -> tuple[float, float]:
        """(server ms from Server-Timing, wall ms)."""
        status, answer, _, wall = self.request(path, headers=headers)
        if status not in (200, 304):
            raise RuntimeError(f"{path} answered {status}")
        return float(answer["server-timing"].split("dur=")[1]), wall * 1000


def _copies_of(farm: Farm, job_id: str, queue_id: str, count: int, first: int = 0) -> None:
    """`count` more jobs in `queue_id`: copies of `job_id`'s row with new ids, names and times."""
    import sqlalchemy as sa

    from farmstead.store import schema
    from farmstead.store.engine import Store

    store = Store.open(f"sqlite:///{farm.server.data_dir}/farmstead.db", migrate=False)
    try:
        with store.write() as conn:
            row = dict(conn.execute(sa.select(schema.jobs).where(schema.jobs.c.job_id == job_id)).mappings().one())
            statuses = ["SUCCEEDED"] * 8 + ["FAILED", "READY"]
            conn.execute(schema.jobs.insert(), [
                {**row, "job_id": f"job-{first + i:032x}", "queue_id": queue_id, "name": f"shot-{i:05d} comp",
                 "priority": i % 100, "task_run_status": statuses[i % 10],
                 "created_at": row["created_at"] - datetime.timedelta(seconds=count - i)}
                for i in range(count)])
    finally:
        store.engine.dispose()


def _mixed(farm: Farm, job_id: str) -> None:
    """Frames of several statuses spread over the big job (1,000 SUCCEEDED, 100 FAILED, 100 SUSPENDED), so
    its grid can't be drawn from the counters alone and the first visit reads every task."""
    ids = {"farmId": farm.farm_id, "queueId": farm.queue_id, "jobId": job_id}
    step = farm.client.list_steps(**ids)["steps"][0]["stepId"]
    hex_id = step.split("-", 1)[1]
    for target, indexes in (("SUCCEEDED", range(0, BIG_JOB_TASKS, 100)), ("FAILED", range(7, BIG_JOB_TASKS, 1000)),
                            ("SUSPENDED", range(13, BIG_JOB_TASKS, 1000))):
        chosen = list(indexes)
        for start in range(0, len(chosen), 100):
            farm.client.batch_update_task(tasks=[{**ids, "stepId": step, "taskId": f"task-{hex_id}-{i}",
                                                  "targetRunStatus": target} for i in chosen[start:start + 100]])


def _setup(farm: Farm) -> dict[str, str]:
    client = farm.client
    small, big = farm.create_job(1), farm.create_job(BIG_JOB_TASKS)
    farm.wait_created(small, timeout=30)
    farm.wait_created(big, timeout=300)
    _mixed(farm, big)
    # The small job's one task failed too, so both job pages show the same parts (a failure, its step's
    # latest failure); what differs is the size.
    small_ids = {"farmId": farm.farm_id, "queueId": farm.queue_id, "jobId": small}
    small_step = client.list_steps(**small_ids)["steps"][0]["stepId"]
    client.update_task(**small_ids, stepId=small_step, taskId=f"task-{small_step.split('-', 1)[1]}-0",
                       targetRunStatus="FAILED")
    ten = client.create_queue(farmId=farm.farm_id, displayName="ten jobs")["queueId"]
    for _ in range(10):
        client.create_job(farmId=farm.farm_id, queueId=ten, priority=50, templateType="JSON",
                          template=frame_template(1))
    # A full first page (50 rows) of a small queue: what the 10,000-job queue's page costs beyond the rows.
    fifty = client.create_queue(farmId=farm.farm_id, displayName="fifty jobs")["queueId"]
    seed50 = client.create_job(farmId=farm.farm_id, queueId=fifty, priority=50, templateType="JSON",
                               template=frame_template(1))["jobId"]
    _copies_of(farm, seed50, fifty, 49, first=BIG_QUEUE_JOBS)
    many = client.create_queue(farmId=farm.farm_id, displayName="ten thousand jobs")["queueId"]
    seed = client.create_job(farmId=farm.farm_id, queueId=many, priority=50, templateType="JSON",
                             template=frame_template(1))["jobId"]
    _copies_of(farm, seed, many, BIG_QUEUE_JOBS - 1)
    base = f"/farms/{farm.farm_id}/queues"
    return {"job 1 task": f"{base}/{farm.queue_id}/jobs/{small}",
            f"job {BIG_JOB_TASKS:,} tasks": f"{base}/{farm.queue_id}/jobs/{big}",
            "queue 10 jobs": f"{base}/{ten}", f"queue {BIG_QUEUE_JOBS:,} jobs": f"{base}/{many}",
            "queue 50 jobs": f"{base}/{fifty}"}


def _first_grid(browser: Browser, job_page: str) -> tuple[float, int]:
    """Seconds until the grid of a never-seen job holds every task, and how many polls that took."""
    started, polls = time.perf_counter(), 0
    while True:
        polls += 1
        data = json.loads(browser.request(job_page + "/grid")[2])
        if all("?" not in step["codes"] for step in data["steps"]) and not data["refreshing"]:
            return time.perf_counter() - started, polls
        time.sleep(0.2)


def _rounds(browser: Browser, pairs: list[tuple[str, str]], pages: dict[str, str], rounds: int,
            headers: dict[str, str] | None = None) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for pair in pairs for name in pair}
    for round_number in range(rounds):
        for pair in pairs:
            for name in (pair if round_number % 2 == 0 else pair[::-1]):
                samples[name].append(browser.timed(pages[name], headers))
    return samples


def run(args: argparse.Namespace) -> None:
    rounds = 5 if args.quick else 25
    with running_server() as server:
        farm = new_farm(server)
        pages = _setup(farm)
        result = server.admin("users", "passwd", "admin", "--stdin", stdin=PASSWORD + "\n")
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        browser = Browser(server.endpoint)
        browser.sign_in("admin", PASSWORD)
        big_job = pages[f"job {BIG_JOB_TASKS:,} tasks"]
        first_page = browser.timed(big_job)
        seconds, polls = _first_grid(browser, big_job)
        print(f"first visit of the {BIG_JOB_TASKS:,}-task job: page {first_page[0]:.0f} ms of server time; its "
              f"task map read in {seconds:.1f} s ({polls} grid polls answered meanwhile)")
        pairs = [("job 1 task", f"job {BIG_JOB_TASKS:,} tasks"), ("queue 10 jobs", f"queue {BIG_QUEUE_JOBS:,} jobs")]
        for path in pages.values():  # warm: templates compiled, caches filled
            browser.timed(path)
        samples = _rounds(browser, pairs, pages, rounds)
        grid_pages = {"grid 1 task": pages["job 1 task"] + "/grid", f"grid {BIG_JOB_TASKS:,} tasks": big_job + "/grid"}
        samples.update(_rounds(browser, [tuple(grid_pages)], grid_pages, rounds))
        full_page = ("queue 50 jobs", f"queue {BIG_QUEUE_JOBS:,} jobs ")
        pages[full_page[1]] = pages[f"queue {BIG_QUEUE_JOBS:,} jobs"]
        samples.update(_rounds(browser, [full_page], pages, rounds))
        rows = []
        for small, big in [*pairs, tuple(grid_pages), full_page]:
            medians = {name: statistics.median(s for s, _ in samples[name]) for name in (small, big)}
            walls = {name: statistics.median(w for _, w in samples[name]) for name in (small, big)}
            ratio = medians[big] / medians[small]
            verdict = "ok" if medians[big] <= TARGET_MS and ratio <= TARGET_RATIO else "MISSED"
            rows.append([small, f"{medians[small]:.0f}", f"{walls[small]:.0f}", "", ""])
            rows.append([big, f"{medians[big]:.0f}", f"{walls[big]:.0f}", f"{ratio:.2f}", verdict])
        print(table(["page", "server ms (median)", "wall ms", "ratio", f"<= {TARGET_MS:.0f} ms, <= {TARGET_RATIO}"],
                    rows))
        print(f"{rounds} rounds; the grid rows are polls without an ETag (each answer carries the whole map); the "
              "last pair compares the 10,000-job queue's page with a 50-job queue's, both showing 50 rows")
