"""Events to webhooks through the outbox (docs/events.md): a job's run status changes reach a real
receiver as Deadline Cloud's EventBridge events, signed; a receiver that is down gets every event once
it is back, in order per job; a wrong secret is refused and shown as a failed delivery; a transaction
that rolls back leaves no event."""

from __future__ import annotations

import sqlite3

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.webhook_receiver import WebhookReceiver
from support.worker_jobs import finish_frames, served_queue, submit

SECRET = "a shared secret"
JOB_RUN = "Job Run Status Change"
STEP_RUN = "Step Run Status Change"


@pytest.fixture
def server(tmp_path):
    with LiveServer(tmp_path) as live:
        yield live


def _subscribe(server: LiveServer, farm_id: str, url: str, *extra: str, secret: str = SECRET) -> str:
    return server.cli("events", "subscribe", "--farm-id", farm_id, "--url", url, "--secret", secret,
                      *extra).split()[0]


def _chain(events: list[dict]) -> list[tuple[str, str]]:
    """(previous, status) of each event, first delivery of each id only (receivers dedupe on `id`)."""
    seen, chain = set(), []
    for event in events:
        if event["id"] not in seen:
            seen.add(event["id"])
            chain.append((event["detail"]["previousTaskRunStatus"], event["detail"]["taskRunStatus"]))
    return chain


def _assert_unbroken(chain: list[tuple[str, str]], last: str) -> None:
    for (_, before), (previous, _) in zip(chain, chain[1:], strict=False):
        assert previous == before, chain
    assert chain[-1][1] == last, chain


def test_a_finished_jobs_run_status_changes_arrive_signed_as_eventbridge_events(server):
    receiver = WebhookReceiver(SECRET).start()
    try:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="events")["farmId"])
        _subscribe(server, farm["farmId"], receiver.url)
        job_id = submit(deadline, farm, "1-3")
        wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
        finish_frames(deadline, farm)
        wait_until(lambda: any(e["detail"]["taskRunStatus"] == "SUCCEEDED" for e in receiver.received(JOB_RUN)),
                   30, "the job's SUCCEEDED event")
    finally:
        receiver.stop()

    job_events = receiver.received(JOB_RUN)
    first = job_events[0]
    assert (first["version"], first["source"], first["account"], first["region"], first["resources"]) == \
        ("0", "aws.deadline", "000000000000", "us-west-2", [])
    assert set(first["detail"]) == {"farmId", "queueId", "jobId", "previousTaskRunStatus", "taskRunStatus",
                                    "taskRunStatusCounts"}
    assert (first["detail"]["farmId"], first["detail"]["queueId"], first["detail"]["jobId"]) == \
        (farm["farmId"], farm["queueId"], job_id)
    _assert_unbroken(_chain(job_events), "SUCCEEDED")
    assert job_events[-1]["detail"]["taskRunStatusCounts"]["SUCCEEDED"] == 3
    step_events = receiver.received(STEP_RUN)
    assert {e["detail"]["jobId"] for e in step_events} == {job_id}
    assert step_events[0]["detail"]["stepId"].startswith("step-")
    _assert_unbroken(_chain(step_events), "SUCCEEDED")
    assert receiver.refused == 0


def test_a_receiver_that_was_down_gets_every_event_in_order_once_it_is_back(server):
    receiver = WebhookReceiver(SECRET)  # not listening yet: connections are refused
    deadline = server.client()
    farm = served_queue(deadline, deadline.create_farm(displayName="events down")["farmId"])
    subscription_id = _subscribe(server, farm["farmId"], receiver.url, "--detail-type", JOB_RUN)
    jobs = [submit(deadline, farm, "1-2") for _ in range(2)]
    for job_id in jobs:
        wait_until(lambda job_id=job_id: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"],
                                                          jobId=job_id)["taskRunStatus"] == "READY",
                   30, "the jobs READY")
    finish_frames(deadline, farm)
    wait_until(lambda: "\tFAILED\t" in server.cli("events", "deliveries", "--subscription-id", subscription_id),
               30, "a failed delivery shown")
    listed = server.cli("events", "list")
    assert subscription_id in listed and SECRET not in listed
    audited = server.cli("audit", "--json", "--resource", subscription_id)
    assert '"events subscribe"' in audited and SECRET not in audited

    receiver.start()
    try:
        wait_until(lambda: len({e["detail"]["jobId"] for e in receiver.received()
                                if e["detail"]["taskRunStatus"] == "SUCCEEDED"}) == 2, 60, "both jobs' ends")
    finally:
        receiver.stop()
    assert {e["detail-type"] for e in receiver.received()} == {JOB_RUN}
    for job_id in jobs:
        _assert_unbroken(_chain([e for e in receiver.received() if e["detail"]["jobId"] == job_id]), "SUCCEEDED")
    deliveries = server.cli("events", "deliveries", "--subscription-id", subscription_id)
    assert "\tDELIVERED\t" in deliveries


def test_a_receiver_with_another_secret_refuses_the_events_and_the_failure_shows(server):
    receiver = WebhookReceiver("the receiver's own secret").start()
    try:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="events refused")["farmId"])
        subscription_id = _subscribe(server, farm["farmId"], receiver.url, secret="not the receiver's")
        job_id = submit(deadline, farm, "1")
        wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
        finish_frames(deadline, farm)
        wait_until(lambda: receiver.refused > 0, 30, "a refused POST")
    finally:
        receiver.stop()
    assert receiver.received() == []
    attempts = [line.split("\t") for line in
                server.cli("events", "deliveries", "--subscription-id", subscription_id).splitlines()[1:]]
    # The newest attempts may be refused connections (the receiver stopped): the 401s are there too.
    assert any(row[6:8] == ["FAILED", "HTTP 401"] for row in attempts), attempts
    assert all(row[6] == "FAILED" for row in attempts)
    server.cli("events", "remove", subscription_id)
    assert subscription_id not in server.cli("events", "list")


def test_a_heartbeat_that_rolls_back_leaves_no_event(tmp_path):
    with LiveServer(tmp_path, embedded_only=True) as server:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="rollback")["farmId"])
        job_id = submit(deadline, farm, "1-3")
        wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
        worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
        database = server.data_dir / "farmstead.db"
        with sqlite3.connect(database) as db:
            before = db.execute("SELECT count(*) FROM event_outbox").fetchone()[0]
            # The claim of tasks (which moves the job to SCHEDULED) is written, then the store refuses
            # the session's actions: the whole transaction rolls back.
            db.execute("CREATE TRIGGER refuse_actions BEFORE INSERT ON session_actions "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        with pytest.raises(ClientError):
            worker.poll()
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT count(*) FROM event_outbox").fetchone()[0] == before
            db.execute("DROP TRIGGER refuse_actions")
        worker.poll()  # the same heartbeat once the store takes it: the job's status moves, one event
        with sqlite3.connect(database) as db:
            emitted = {row[0] for row in db.execute("SELECT detail_type FROM event_outbox WHERE seq > ?", (before,))}
        assert JOB_RUN in emitted


def test_events_outlive_a_killed_server_and_none_is_sent_twice(server):
    receiver = WebhookReceiver(SECRET).start()
    deadline = server.client()
    farm = served_queue(deadline, deadline.create_farm(displayName="events killed")["farmId"])
    _subscribe(server, farm["farmId"], receiver.url, "--detail-type", JOB_RUN)

    def run_job() -> str:
        job_id = submit(deadline, farm, "1-2")
        wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
        finish_frames(deadline, farm)
        return job_id

    def ended(job_id: str) -> bool:
        return any(e["detail"]["jobId"] == job_id and e["detail"]["taskRunStatus"] == "SUCCEEDED"
                   for e in receiver.received())

    try:
        delivered = run_job()
        wait_until(lambda: ended(delivered), 30, "the first job's events delivered")
        receiver.stop()
        pending = run_job()  # its events committed, none delivered: the receiver is down
        assert server.process is not None
        server.process.kill()  # SIGKILL: no shutdown of any kind
        server.process.wait()
        server.start()
        receiver.start()
        wait_until(lambda: ended(pending), 60, "the second job's events after the restart")
    finally:
        receiver.stop()
    ids = [e["id"] for e in receiver.received()]
    assert len(ids) == len(set(ids))
    for job_id in (delivered, pending):
        _assert_unbroken(_chain([e for e in receiver.received() if e["detail"]["jobId"] == job_id]), "SUCCEEDED")
