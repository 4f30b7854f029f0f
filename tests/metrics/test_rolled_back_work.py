"""A request whose transaction rolls back is counted by its outcome, and what it did to tasks not at all."""

from __future__ import annotations

import sqlite3

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.scrapes import scrape
from support.worker_jobs import served_queue, submit

HANDED_OUT = "farmstead_tasks_handed_out_total"


@pytest.fixture
def sqlite_server(tmp_path):
    with LiveServer(tmp_path, embedded_only=True) as live:
        yield live


def test_a_heartbeat_that_rolls_back_hands_out_nothing_on_the_metrics(sqlite_server):
    deadline = sqlite_server.client()
    farm = served_queue(deadline, deadline.create_farm(displayName="rollback")["farmId"])
    job_id = submit(deadline, farm, "1-3")
    wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    before = scrape(sqlite_server.endpoint)
    # The claim of tasks is written, then the store refuses the session's actions: the whole
    # transaction rolls back and the heartbeat is answered 500.
    with sqlite3.connect(sqlite_server.data_dir / "farmstead.db") as db:
        db.execute("CREATE TRIGGER refuse_actions BEFORE INSERT ON session_actions "
                   "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    with pytest.raises(ClientError) as failed:
        worker.poll()
    assert failed.value.response["Error"]["Code"] == "InternalServerErrorException"

    after = scrape(sqlite_server.endpoint)
    operation = {"service": "deadline", "operation": "UpdateWorkerSchedule"}
    attempts = failed.value.response["ResponseMetadata"]["RetryAttempts"] + 1  # botocore may retry a 500
    assert after.value("farmstead_api_requests_total", **operation, outcome="InternalServerErrorException") == \
        before.value("farmstead_api_requests_total", **operation, outcome="InternalServerErrorException") + attempts
    assert after.value(HANDED_OUT) == before.value(HANDED_OUT)
    assert deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)[
        "taskRunStatusCounts"]["READY"] == 3

    with sqlite3.connect(sqlite_server.data_dir / "farmstead.db") as db:
        db.execute("DROP TRIGGER refuse_actions")
    worker.poll()  # the same heartbeat once the store takes it: now the tasks are handed out
    assert scrape(sqlite_server.endpoint).value(HANDED_OUT) > before.value(HANDED_OUT)
