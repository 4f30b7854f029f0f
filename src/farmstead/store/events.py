"""The event outbox and webhook subscriptions (docs/events.md): events appended in the transaction of
the change they report, subscriptions with their delivery cursor and retry state, and the log of
delivery attempts. The only SQL of the events feature."""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain import events as event_types
from farmstead.store.schema import event_deliveries, event_outbox, event_subscriptions, jobs
from farmstead.store.send_later import SEND_LATER
from farmstead.store.types import Json, UtcDateTime

#: Where a transaction's events wait for its commit (conn.info, as store/notifications.py does).
_NOTED = "farmstead.events"
_NOTED_FOR_FARM = "farmstead.events.farm"
# One statement per transaction (executemany); each job's farm and queue ids are read from its row.
_APPEND_FOR_JOB = event_outbox.insert().from_select(
    ["event_id", "at", "detail_type", "farm_id", "queue_id", "job_id", "detail"],
    sa.select(sa.bindparam("b_event_id", type_=sa.String), sa.bindparam("b_at", type_=UtcDateTime()),
              sa.bindparam("b_detail_type", type_=sa.String), jobs.c.farm_id, jobs.c.queue_id, jobs.c.job_id,
              sa.bindparam("b_detail", type_=Json))
    .where(jobs.c.job_id == sa.bindparam("b_job_id")))


# Per engine (one per database): does any subscription want per-task events? Read once by the first
# task move of a process, then kept fresh by the delivery thread (`refresh_per_task_answer`, each
# pass and before each subscription it serves), so the dispatch path asks memory, never the database.
_per_task_wanted: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    farm_id: str
    queue_id: str | None
    job_id: str | None
    detail_types: list[str]
    url: str
    secret: str
    delivered_through: int
    failed_attempts: int
    next_attempt_at: datetime | None
    created_by: str | None

    @property
    def interest(self) -> event_types.Interest:
        return event_types.Interest(self.farm_id, self.queue_id, self.job_id, tuple(self.detail_types),
                                    self.url.startswith(event_types.MAILTO))


def append_for_job(conn: Connection, job_id: str, at: datetime, detail_type: str, detail: dict[str, Any]) -> None:
    """One event about the job (or its step), kept on the transaction and written by `write_noted` just
    before it commits (Store.write): it exists exactly when the change it reports does, and a transaction
    with several costs one statement. `detail` without farmId and queueId: the row holds those."""
    conn.info.setdefault(_NOTED, []).append({"b_event_id": str(uuid.uuid4()), "b_at": at, "b_detail_type": detail_type,
                                             "b_detail": detail, "b_job_id": job_id})


def append_for_farm(conn: Connection, farm_id: str, at: datetime, detail_type: str, detail: dict[str, Any]) -> None:
    """An event about the farm itself (a fleet's), with no queue or job: kept like `append_for_job`'s."""
    conn.info.setdefault(_NOTED_FOR_FARM, []).append({
        "event_id": str(uuid.uuid4()), "at": at, "detail_type": detail_type, "farm_id": farm_id, "queue_id": None,
        "job_id": None, "detail": detail})


def write_noted(conn: Connection) -> None:
    """The transaction's events, in the order they were noted (a job's, then the farm's); no statement
    when there are none."""
    noted = conn.info.pop(_NOTED, None)
    if noted:  # sent with the COMMIT (store/send_later.py)
        conn.execute(_APPEND_FOR_JOB, noted, execution_options=SEND_LATER)
    for_farm = conn.info.pop(_NOTED_FOR_FARM, None)
    if for_farm:
        conn.execute(event_outbox.insert(), for_farm, execution_options=SEND_LATER)


def forget(conn: Connection) -> None:
    """A rolled-back transaction's events go with it (conn.info outlives the transaction in the pool)."""
    conn.info.pop(_NOTED, None)
    conn.info.pop(_NOTED_FOR_FARM, None)


def per_task_events_wanted(conn: Connection) -> bool:
    """Whether some subscription wants per-task events (Task Run Status Change). Asked on every task
    move, so answered from memory (read from the database only the first time in a process)."""
    wanted = _per_task_wanted.get(conn.engine)
    return refresh_per_task_answer(conn) if wanted is None else wanted


def refresh_per_task_answer(conn: Connection) -> bool:
    """Read the subscriptions' detail-types again: a subscription made or removed by another process
    (the CLI, another replica) is seen by this one's dispatch path from the next refresh."""
    types = conn.execute(sa.select(event_subscriptions.c.detail_types)).scalars()
    wanted = any(event_types.wants_per_task_events(list(t)) for t in types)
    _per_task_wanted[conn.engine] = wanted
    return wanted


def _forget_per_task_answer(conn: Connection) -> None:
    _per_task_wanted.pop(conn.engine, None)


def full_detail(row: Row) -> dict[str, Any]:
    """The event's detail as Deadline Cloud sends it: farmId and queueId (a queue's or job's event) first."""
    if row.queue_id is None:  # a fleet's
        return {"farmId": row.farm_id, **row.detail}
    return {"farmId": row.farm_id, "queueId": row.queue_id, **row.detail}


def after(conn: Connection, seq: int, limit: int) -> list[Row]:
    """Every event after `seq`, in order, at most `limit` (unfiltered, so a gap in seq shows)."""
    query = sa.select(event_outbox).where(event_outbox.c.seq > seq).order_by(event_outbox.c.seq).limit(limit)
    return list(conn.execute(query))


def last_seq(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(event_outbox.c.seq), 0))).scalar_one()


# --- subscriptions -------------------------------------------------------------------------------

def subscribe(conn: Connection, subscription_id: str, farm_id: str, queue_id: str | None, job_id: str | None,
              detail_types: list[str], url: str, secret: str, now: datetime, created_by: str | None = None) -> None:
    """A new subscription gets the events from now on (not the outbox's past)."""
    conn.execute(event_subscriptions.insert().values(
        subscription_id=subscription_id, farm_id=farm_id, queue_id=queue_id, job_id=job_id,
        detail_types=detail_types, url=url, secret=secret, created_at=now, delivered_through=last_seq(conn),
        failed_attempts=0, next_attempt_at=None, created_by=created_by))
    _forget_per_task_answer(conn)


def remove(conn: Connection, subscription_id: str) -> bool:
    c = event_subscriptions.c
    _forget_per_task_answer(conn)
    return conn.execute(event_subscriptions.delete().where(c.subscription_id == subscription_id)).rowcount > 0


def subscriptions(conn: Connection, created_by: str | None = None) -> list[Subscription]:
    """Every subscription, oldest first; with `created_by`, only those that user made."""
    query = sa.select(event_subscriptions).order_by(event_subscriptions.c.created_at)
    if created_by is not None:
        query = query.where(event_subscriptions.c.created_by == created_by)
    return [_subscription(row) for row in conn.execute(query)]


def get(conn: Connection, subscription_id: str) -> Subscription | None:
    c = event_subscriptions.c
    row = conn.execute(sa.select(event_subscriptions).where(c.subscription_id == subscription_id)).first()
    return None if row is None else _subscription(row)


def due(conn: Connection, now: datetime) -> list[str]:
    """The subscriptions not waiting out a retry's backoff."""
    c = event_subscriptions.c
    query = sa.select(c.subscription_id).where(sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
    return list(conn.execute(query.order_by(c.created_at)).scalars())


def advance(conn: Connection, subscription_id: str, through: int) -> None:
    """Delivered (or skipped as not wanted) every event up to `through`: the retry state resets."""
    c = event_subscriptions.c
    conn.execute(event_subscriptions.update().where(c.subscription_id == subscription_id)
                 .values(delivered_through=through, failed_attempts=0, next_attempt_at=None))


def back_off(conn: Connection, subscription_id: str, failed_attempts: int, next_attempt_at: datetime) -> None:
    c = event_subscriptions.c
    conn.execute(event_subscriptions.update().where(c.subscription_id == subscription_id)
                 .values(failed_attempts=failed_attempts, next_attempt_at=next_attempt_at))


# --- delivery attempts ---------------------------------------------------------------------------

def note_attempt(conn: Connection, subscription_id: str, seq: int, at: datetime, attempt: int, outcome: str,
                 error: str | None) -> None:
    conn.execute(event_deliveries.insert().values(subscription_id=subscription_id, seq=seq, at=at,
                                                  attempt=attempt, outcome=outcome, error=error))


def attempts(conn: Connection, subscription_id: str | list[str] | None, limit: int) -> list[Row]:
    """The latest attempts (newest first) with their event's type and job: of one subscription, of
    several (a list), or of all (None)."""
    d, o = event_deliveries.c, event_outbox.c
    query = (sa.select(d.subscription_id, d.seq, d.at, d.attempt, d.outcome, d.error, o.event_id, o.detail_type,
                       o.job_id)
             .join(event_outbox, event_outbox.c.seq == d.seq)
             .order_by(d.delivery_id.desc()).limit(limit))
    if isinstance(subscription_id, list):
        query = query.where(d.subscription_id.in_(subscription_id))
    elif subscription_id:
        query = query.where(d.subscription_id == subscription_id)
    return list(conn.execute(query))


def _subscription(row: Row) -> Subscription:
    return Subscription(row.subscription_id, row.farm_id, row.queue_id, row.job_id, list(row.detail_types), row.url,
                        row.secret, row.delivered_through, row.failed_attempts, row.next_attempt_at, row.created_by)


def job_name(conn: Connection, job_id: str | None) -> str | None:
    """The job's name for an e-mail's subject (None: no job, or it is gone)."""
    if job_id is None:
        return None
    return conn.execute(sa.select(jobs.c.name).where(jobs.c.job_id == job_id)).scalar_one_or_none()


# --- retention -----------------------------------------------------------------------------------

def prune(conn: Connection, older_than: datetime) -> int:
    """Remove the events every subscription has had (or skipped) that are older than `older_than`, with
    their delivery attempts; returns how many events went. The newest event always stays: SQLite
    numbers a new row after the largest seq left, and a cursor must never see a seq again."""
    c = event_subscriptions.c
    newest = last_seq(conn)
    lowest_cursor = conn.execute(sa.select(sa.func.min(c.delivered_through))).scalar_one_or_none()
    bound = min(newest - 1, newest if lowest_cursor is None else lowest_cursor)
    if bound <= 0:
        return 0
    o = event_outbox.c
    old = sa.select(o.seq).where(o.seq <= bound, o.at < older_than)
    conn.execute(event_deliveries.delete().where(event_deliveries.c.seq.in_(old)))
    return conn.execute(event_outbox.delete().where(o.seq <= bound, o.at < older_than)).rowcount
