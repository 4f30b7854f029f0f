"""What one server process counts, black-box: API requests, dispatch events, store transactions.

The counters are the process's own and other tests on the server move them too, so each test takes
the difference between two scrapes around what it does (tests in one process run one at a time).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.testing.waiting import wait_until
from farmstead.worker.schedule import ask_to_be_held
from support.scrapes import scrape
from support.worker_jobs import finish_frames, served_queue, submit

COUNTERS = ("farmstead_tasks_handed_out_total", "farmstead_tasks_completed_total", "farmstead_tasks_failed_total",
            "farmstead_tasks_retried_total")


def _counters(endpoint: str, queue_id: str) -> dict[str, float]:
    scraped = scrape(endpoint)
    figures = {name: scraped.value(name) for name in COUNTERS}
    figures["runs"] = scraped.value("farmstead_task_run_duration_seconds_count", queue_id=queue_id)
    return figures


def _job(deadline, farm: dict, job_id: str) -> dict:
    return deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)


def test_dispatch_counts_tasks_handed_out_completed_and_their_run_times(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-5")
    wait_until(lambda: _job(deadline, farm, job_id)["taskRunStatus"] == "READY", 30, "the job READY")
    before = _counters(server.endpoint, farm["queueId"])
    finish_frames(deadline, farm)
    after = _counters(server.endpoint, farm["queueId"])
    moved = {name: after[name] - before[name] for name in after}
    assert moved == {"farmstead_tasks_handed_out_total": 5, "farmstead_tasks_completed_total": 5,
                     "farmstead_tasks_failed_total": 0, "farmstead_tasks_retried_total": 0, "runs": 5}


def test_failed_runs_count_as_retried_until_the_task_fails_for_good(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-2", maxRetriesPerTask=1)
    wait_until(lambda: _job(deadline, farm, job_id)["taskRunStatus"] == "READY", 30, "the job READY")
    before = _counters(server.endpoint, farm["queueId"])
    finish_frames(deadline, farm, failing={1})
    after = _counters(server.endpoint, farm["queueId"])
    job = _job(deadline, farm, job_id)
    moved = {name: after[name] - before[name] for name in after}
    assert job["taskRunStatusCounts"]["FAILED"] == moved["farmstead_tasks_failed_total"] == 1
    assert job["taskFailureRetryCount"] == moved["farmstead_tasks_retried_total"] >= 1
    assert moved["farmstead_tasks_completed_total"] == 1 and moved["runs"] == 1
    # Every run was handed out once: the first try of each task and each retry.
    assert moved["farmstead_tasks_handed_out_total"] == 2 + moved["farmstead_tasks_retried_total"]


def test_api_requests_are_counted_by_operation_and_outcome_with_their_latency(server, deadline, farm_id):
    def figures():
        scraped = scrape(server.endpoint)
        return (scraped.value("farmstead_api_requests_total", service="deadline", operation="GetFarm",
                              outcome="success"),
                scraped.value("farmstead_api_requests_total", service="deadline", operation="GetFarm",
                              outcome="ResourceNotFoundException"),
                scraped.value("farmstead_api_request_duration_seconds_count", service="deadline",
                              operation="GetFarm"))

    before = figures()
    deadline.get_farm(farmId=farm_id)
    deadline.get_farm(farmId=farm_id)
    with pytest.raises(ClientError):
        deadline.get_farm(farmId="farm-00000000000000000000000000000000")
    after = figures()
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 3]


def test_store_transactions_and_the_connection_pool_are_reported(server, deadline, farm_id):
    def writes() -> float:
        return scrape(server.endpoint).value("farmstead_store_transaction_duration_seconds_count", kind="write")

    before = writes()
    deadline.create_queue(farmId=farm_id, displayName="one write")
    assert writes() > before
    scraped = scrape(server.endpoint)
    assert scraped.families["farmstead_store_transaction_duration_seconds"] == "histogram"
    assert scraped.value("farmstead_store_pool_size") >= 1
    # The scrape's own read gave its connection back to the pool before the pool was read.
    assert scraped.value("farmstead_store_pool_connections", state="idle") >= 1
    assert scraped.matching("farmstead_store_pool_connections", state="checked_out")


def _waits(endpoint: str, queue_id: str) -> tuple[float, float, float]:
    """(runs started, of those within 1 s of becoming READY, seconds waited in all)."""
    scraped = scrape(endpoint)
    name = "farmstead_task_ready_to_running_seconds"
    return (scraped.value(f"{name}_count", queue_id=queue_id),
            scraped.value(f"{name}_bucket", queue_id=queue_id, le="1.0"),
            scraped.value(f"{name}_sum", queue_id=queue_id))


def test_ready_to_running_is_timed_from_the_tasks_last_becoming_ready(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-2", maxRetriesPerTask=1)
    wait_until(lambda: _job(deadline, farm, job_id)["taskRunStatus"] == "READY", 30, "the job READY")
    time.sleep(1.5)  # both tasks wait this long for their first run
    before = _waits(server.endpoint, farm["queueId"])
    # Frame 1 fails once and is READY again: its second run waits only for the next heartbeat.
    tries: dict[str, int] = {}

    def outcome(action: dict) -> str:
        run = action["definition"].get("taskRun")
        if run is None:
            return "SUCCEEDED"
        tries[run["taskId"]] = tries.get(run["taskId"], 0) + 1
        return "FAILED" if run["parameters"]["Frame"]["int"] == "1" and tries[run["taskId"]] == 1 else "SUCCEEDED"

    ScriptedWorker(deadline, farm_id, farm["fleetId"]).run(outcome=outcome)
    after = _waits(server.endpoint, farm["queueId"])
    runs, quick, waited = (a - b for a, b in zip(after, before, strict=True))
    assert _job(deadline, farm, job_id)["taskRunStatusCounts"]["SUCCEEDED"] == 2
    assert (runs, quick) == (3, 1)  # two first runs after 1.5 s, the retry at once
    assert waited >= 3.0


def test_a_held_schedule_call_is_counted_once_without_its_hold(server, deadline, farm_id):
    """The edge runs the handler again when a held call is woken: still one request, and its
    latency is the work of answering it, not the wait."""
    worker_client = server.client()
    ask_to_be_held(worker_client)
    farm = served_queue(deadline, farm_id)
    worker = ScriptedWorker(worker_client, farm["farmId"], farm["fleetId"])

    def figures() -> tuple[float, float, float]:
        scraped = scrape(server.endpoint)
        labels = {"service": "deadline", "operation": "UpdateWorkerSchedule"}
        return (scraped.value("farmstead_api_requests_total", **labels, outcome="success"),
                scraped.value("farmstead_api_request_duration_seconds_count", **labels),
                scraped.value("farmstead_api_request_duration_seconds_sum", **labels))

    before = figures()
    called_at = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(worker.poll)
        time.sleep(1.0)  # the call is held meanwhile: the worker has nothing to do yet
        assert not answer.done()
        submit(deadline, farm, "1-1")
        assert answer.result(timeout=30)["assignedSessions"]
    took = time.monotonic() - called_at
    after = figures()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert after[2] - before[2] < took - 0.9
