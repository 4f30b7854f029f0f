"""Delivering the event outbox to subscriptions (docs/events.md), off the request path: webhooks
(POSTed) and mailboxes (background/event_mail.py); and removing old delivered events.

One thread per server: each pass takes the subscriptions not waiting out a backoff and, for each,
sends the events after its cursor that it wants, one at a time and in outbox order (so in order per
job), moving the cursor past each acknowledged one (any 2xx; a mail the SMTP server accepted). A
failure (an error status, a refused connection, no answer within the timeout) stops that
subscription where it is: the same event is tried again after a backoff that doubles, so a receiver
that comes back gets every event, in order, at least once (the body's `id` lets it drop a repeat).
Several replicas on one PostgreSQL database each run this thread; a subscription is served by
whichever takes its item lock (store/leases.py).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
import urllib3

from farmstead.background import event_mail
from farmstead.background.job_threads import JobThread
from farmstead.clock import Clock
from farmstead.domain import event_mails, events
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
#: Old delivered events are looked for at most this often (and at least twice per retention period).
PRUNE_EVERY_SECONDS = 600.0


@dataclass(frozen=True)
class DeliverySettings:
    account: str
    region: str
    #: A receiver (HTTP or SMTP) that has not answered in this long has failed the attempt.
    timeout_seconds: float
    #: The backoff after a failed attempt: `retry_seconds`, doubling, at most `retry_max_seconds`.
    retry_seconds: float
    retry_max_seconds: float
    #: Delivered events older than this are removed from the outbox.
    retention_seconds: float
    smtp: event_mail.SmtpSettings


class EventDelivery(JobThread):
    NAME = "farmstead-events"
    POLL_SECONDS = POLL_SECONDS
    log = log
    FAILED = "delivering events failed"

    def __init__(self, store: Store, clock: Clock, settings: DeliverySettings) -> None:
        super().__init__(store, clock)
        self._settings = settings
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(total=settings.timeout_seconds), retries=False)
        self._pruned_at: float | None = None

    def pending(self, conn: Connection) -> list[str]:
        outbox.refresh_per_task_answer(conn)  # the dispatch path's answer, kept fresh (store/events.py)
        self._prune_now_and_then()
        return outbox.due(conn, self._clock.now())

    def _prune_now_and_then(self) -> None:
        every = min(PRUNE_EVERY_SECONDS, self._settings.retention_seconds / 2)
        if self._pruned_at is not None and time.monotonic() - self._pruned_at < every:
            return
        self._pruned_at = time.monotonic()
        with self._store.write() as conn:
            removed = outbox.prune(conn, self._clock.now() - timedelta(seconds=self._settings.retention_seconds))
        if removed:
            log.info("removed %d delivered events older than %.0f hours", removed,
                     self._settings.retention_seconds / 3600)

    def handle(self, job_id: str) -> None:
        subscription_id = job_id  # JobThread's item: here a subscription
        with self._store.read() as conn:
            outbox.refresh_per_task_answer(conn)  # fresh after each receiver's attempt, slow or not
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
                if sub.interest.wants(row.farm_id, row.queue_id, row.job_id, row.detail_type, row.detail):
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
        """Send one event (POST it, or mail it) and write down how it went; whether it was acknowledged."""
        envelope = events.envelope(row.event_id, row.detail_type, row.at, self._settings.account,
                                   self._settings.region, outbox.full_detail(row))
        if sub.url.startswith(events.MAILTO):
            with self._store.read() as conn:
                name = outbox.job_name(conn, row.job_id)
            error = event_mail.send(self._settings.smtp, sub.url.removeprefix(events.MAILTO),
                                    event_mails.compose(envelope, name), row.event_id)
        else:
            error = self._post(sub, orjson.dumps(envelope))
        attempt = sub.failed_attempts + 1
        now = self._clock.now()
        with self._store.write() as conn:
            outbox.note_attempt(conn, sub.subscription_id, row.seq, now, attempt,
                                events.DeliveryOutcome.FAILED if error else events.DeliveryOutcome.DELIVERED, error)
            if error:
                outbox.advance(conn, sub.subscription_id, through)  # keeps the skipped ones skipped
                wait = events.backoff_seconds(attempt, self._settings.retry_seconds, self._settings.retry_max_seconds)
                outbox.back_off(conn, sub.subscription_id, attempt, now + timedelta(seconds=wait))
            else:
                outbox.advance(conn, sub.subscription_id, row.seq)
        if error:
            log.info("event %s to %s failed (attempt %d): %s", row.event_id, sub.url, attempt, error)
        return error is None

    def _hole_settled(self, row) -> bool:
        return (self._clock.now() - row.at).total_seconds() >= HOLE_SECONDS

    def _post(self, sub: outbox.Subscription, body: bytes) -> str | None:
        """None when the receiver acknowledged the event; else why not."""
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
    return dataclasses.replace(sub, delivered_through=through, failed_attempts=0, next_attempt_at=None)
