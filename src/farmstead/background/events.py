"""Delivering the event outbox to webhook subscriptions (docs/events.md), off the request path.

One thread per server: each pass takes the subscriptions not waiting out a backoff and, for each,
POSTs the events after its cursor that it wants, one at a time and in outbox order (so in order per
job), moving the cursor past each acknowledged one (any 2xx). A failure (an error status, a refused
connection, no answer within the timeout) stops that subscription where it is: the same event is
tried again after a backoff that doubles, so a receiver that comes back gets every event, in order, at
least once (the body's `id` lets it drop a repeat). Several replicas on one PostgreSQL database each
run this thread; a subscription is served by whichever takes its item lock (store/leases.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import orjson
import urllib3

from farmstead.background.job_threads import JobThread
from farmstead.clock import Clock
from farmstead.domain import events
from farmstead.store import events as outbox
from farmstead.store import leases
from farmstead.store.engine import Connection, Store

log = logging.getLogger("farmstead.events")

#: How often the outbox is looked at (events are written by any replica's transactions).
POLL_SECONDS = 1.0
#: Events read per statement.
BATCH = 200
#: On PostgreSQL a seq can be taken by a transaction that has not committed yet: a hole before a
#: committed event is waited on (it may fill) until the event after it is this old, then passed
#: (its transaction rolled back). SQLite never leaves a hole.
HOLE_SECONDS = 30.0


class EventDelivery(JobThread):
    NAME = "farmstead-events"
    POLL_SECONDS = POLL_SECONDS
    log = log
    FAILED = "delivering events failed"

    def __init__(self, store: Store, clock: Clock, account: str, region: str, timeout_seconds: float) -> None:
        super().__init__(store, clock)
        self._account, self._region = account, region
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout_seconds), retries=False)

    def pending(self, conn: Connection) -> list[str]:
        return outbox.due(conn, self._clock.now())

    def handle(self, job_id: str) -> None:
        subscription_id = job_id  # JobThread's item: here a subscription
        with leases.item_lock(self._store.engine, f"events:{subscription_id}") as mine:
            if mine:
                self.deliver(subscription_id)

    def deliver(self, subscription_id: str) -> None:
        """Send what the subscription has not had yet, until it is all sent, one fails, or stopping."""
        while not self._stop.is_set():
            with self._store.read() as conn:
                sub = outbox.get(conn, subscription_id)
                rows = outbox.after(conn, sub.delivered_through, BATCH) if sub else []
            if sub is None or not rows:
                return
            through, blocked = sub.delivered_through, False
            for row in rows:
                if self._stop.is_set() or (row.seq != through + 1 and not self._hole_settled(row)):
                    blocked = True
                    break
                if events.wanted(sub.detail_types, sub.queue_id, sub.farm_id, row.farm_id, row.queue_id,
                                 row.detail_type):
                    if not self._send(sub, through, row):
                        return
                    sub = _fresh(sub, row.seq)
                through = row.seq
            if through != sub.delivered_through:
                with self._store.write() as conn:
                    outbox.advance(conn, sub.subscription_id, through)  # past the events it does not want
                sub = _fresh(sub, through)
            if blocked or len(rows) < BATCH:
                return

    def _send(self, sub: outbox.Subscription, through: int, row) -> bool:
        """POST one event and write down how it went; whether it was acknowledged."""
        error = self._post(sub, row)
        attempt = sub.failed_attempts + 1
        now = self._clock.now()
        with self._store.write() as conn:
            outbox.note_attempt(conn, sub.subscription_id, row.seq, now, attempt,
                                events.DeliveryOutcome.FAILED if error else events.DeliveryOutcome.DELIVERED, error)
            if error:
                outbox.advance(conn, sub.subscription_id, through)  # keeps the skipped ones skipped
                outbox.back_off(conn, sub.subscription_id, attempt,
                                now + timedelta(seconds=events.backoff_seconds(attempt)))
            else:
                outbox.advance(conn, sub.subscription_id, row.seq)
        if error:
            log.info("event %s to %s failed (attempt %d): %s", row.event_id, sub.url, attempt, error)
        return error is None

    def _hole_settled(self, row) -> bool:
        return (self._clock.now() - row.at).total_seconds() >= HOLE_SECONDS

    def _post(self, sub: outbox.Subscription, row) -> str | None:
        """None when the receiver acknowledged the event; else why not."""
        body = orjson.dumps(events.envelope(row.event_id, row.detail_type, row.at, self._account, self._region,
                                            outbox.full_detail(row)))
        headers = {"Content-Type": "application/json", events.SIGNATURE_HEADER: events.signature(sub.secret, body),
                   "User-Agent": "farmstead-events"}
        try:
            response = self._http.request("POST", sub.url, body=body, headers=headers, redirect=False,
                                          preload_content=True)
        except urllib3.exceptions.HTTPError as error:
            return f"{type(error).__name__}: {error}"[:500]
        if 200 <= response.status < 300:
            return None
        return f"HTTP {response.status}"


def _fresh(sub: outbox.Subscription, through: int) -> outbox.Subscription:
    return outbox.Subscription(sub.subscription_id, sub.farm_id, sub.queue_id, sub.detail_types, sub.url, sub.secret,
                               through, 0, None)
