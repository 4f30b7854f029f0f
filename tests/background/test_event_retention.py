"""A receiver down for what the default backoff makes over a minute of retries (shortened here through
the retry settings, not slept through) gets every event once it is back, in order per job; delivered
events then leave the outbox after the retention setting, with their delivery attempts, while one
a subscription still waits on stays (docs/events.md, "Delivery" and "The outbox")."""

from __future__ import annotations

import sqlalchemy as sa

from farmstead.domain import events
from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.webhook_receiver import WebhookReceiver
from support.worker_jobs import finish_frames, served_queue, submit

SECRET = "a shared secret"
JOB_RUN = "Job Run Status Change"
#: Failed attempts in a row to sit out before the receiver comes back: with the default backoff
#: (1 s, doubling) they span 1 + 2 + 4 + 8 + 16 + 32 = 63 s.
DOWN_FOR_ATTEMPTS = 7


def _outbox(server: LiveServer) -> tuple[int, int]:
    """(events in the outbox, delivery attempts of events no longer in it), from the server's database."""
    url = server.database_url or f"sqlite:///{server.data_dir / 'farmstead.db'}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return (conn.execute(sa.text("SELECT count(*) FROM event_outbox")).scalar_one(),
                    conn.execute(sa.text("SELECT count(*) FROM event_deliveries WHERE seq NOT IN "
                                         "(SELECT seq FROM event_outbox)")).scalar_one())
    finally:
        engine.dispose()


def _attempts(server: LiveServer, subscription_id: str) -> list[list[str]]:
    lines = server.cli("events", "deliveries", "--subscription-id", subscription_id, "--limit", "1000").splitlines()
    return [line.split("\t") for line in lines[1:]]


def test_a_receiver_down_for_a_minute_of_retries_gets_every_event_in_order_then_the_outbox_is_pruned(tmp_path):
    env = {"FARMSTEAD_EVENT_RETRY_SECONDS": "0.05", "FARMSTEAD_EVENT_RETRY_MAX_SECONDS": "0.5",
           "FARMSTEAD_EVENT_RETENTION_HOURS": str(2 / 3600)}  # two seconds
    up, down = WebhookReceiver(SECRET).start(), WebhookReceiver(SECRET)
    try:
        with LiveServer(tmp_path, extra_env=env) as server:
            deadline = server.client()
            farm = served_queue(deadline, deadline.create_farm(displayName="down a minute")["farmId"])
            waiting = ""
            for receiver in (up, down):
                waiting = server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--url", receiver.url,
                                     "--secret", SECRET, "--detail-type", JOB_RUN).split()[0]  # the last: `down`'s
            jobs = [submit(deadline, farm, "1-2") for _ in range(2)]
            for job_id in jobs:
                wait_until(lambda job_id=job_id: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"],
                                                                  jobId=job_id)["taskRunStatus"] == "READY",
                           30, "the jobs READY")
            finish_frames(deadline, farm)
            wait_until(lambda: len({e["detail"]["jobId"] for e in up.received()
                                    if e["detail"]["taskRunStatus"] == "SUCCEEDED"}) == 2, 30, "both ends, up")
            wait_until(lambda: max((int(row[5]) for row in _attempts(server, waiting)), default=0)
                       >= DOWN_FOR_ATTEMPTS, 60, f"{DOWN_FOR_ATTEMPTS} failed attempts in a row")
            kept_while_waiting = _outbox(server)[0]
            assert kept_while_waiting >= len(up.received())  # nothing `down` still waits on has gone

            down.start()
            wait_until(lambda: len({e["detail"]["jobId"] for e in down.received()
                                    if e["detail"]["taskRunStatus"] == "SUCCEEDED"}) == 2, 30, "both ends, back")
            assert [row[6] for row in _attempts(server, waiting)][0] == "DELIVERED"
            # Delivered everywhere and older than the retention: gone with their attempts, the newest kept.
            wait_until(lambda: _outbox(server)[0] == 1, 30, "the outbox pruned")
            assert _outbox(server)[1] == 0  # their attempts went with them
    finally:
        up.stop()
        down.stop()

    for receiver in (up, down):
        for job_id in jobs:
            chain = [(e["detail"]["previousTaskRunStatus"], e["detail"]["taskRunStatus"])
                     for e in receiver.received() if e["detail"]["jobId"] == job_id]
            for (_, before), (previous, _) in zip(chain, chain[1:], strict=False):
                assert previous == before, chain
            assert chain[-1][1] == "SUCCEEDED", chain
    assert [e["id"] for e in down.received()] == [e["id"] for e in up.received()]  # the same events, same order


def test_the_backoff_doubles_from_the_setting_up_to_its_ceiling():
    waits = [events.backoff_seconds(n, 0.05, 0.5) for n in range(1, 8)]
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert events.backoff_seconds(10_000, 1.0, 300.0) == 300.0  # no overflow after days of failures
