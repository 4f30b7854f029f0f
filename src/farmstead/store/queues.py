"""Queues: rows in, rows out, and the one definition of a queue's status.

Owns: the queues table; the queue status, derived in SQL on every read so GetQueue, ListQueues and
its status filter can never disagree and nothing has to keep a stored status up to date:

* SCHEDULING_BLOCKED / BUDGET_THRESHOLD_REACHED — an ACTIVE budget tracking the queue has stopped it
  (its `queue_stopped_at` is set by the budget's stop action);
* SCHEDULING_BLOCKED / NO_BUDGET_CONFIGURED — defaultBudgetAction is not NONE and no ACTIVE budget
  tracks the queue ("the default action to take on a queue if a budget isn't configured");
* SCHEDULING — the queue has active jobs;
* IDLE — otherwise.

Also the few reads about a queue's surroundings its handlers need (memberships on it, whether a
storage profile is allowed by a queue). Must not: validate input or decide errors (api/queues.py does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain import rollup
from farmstead.domain.statuses import BudgetStatus, JobLifecycleStatus, QueueStatus
from farmstead.store import budgets as budget_store
from farmstead.store.driver_reads import DriverSelect
from farmstead.store.paging import keyset_page
from farmstead.store.schema import budgets, jobs, memberships, queues


def _has_active_jobs(queue_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Whether the queue holds active jobs (jobs the scheduler may still hand out work from).

    Everything that reports or filters on status goes through here.
    """
    active = sorted(str(status) for status in rollup.ACTIVE)
    return sa.exists().where(jobs.c.queue_id == queue_id, jobs.c.task_run_status.in_(active),
                             jobs.c.lifecycle_status != JobLifecycleStatus.ARCHIVED)


def status_columns(now: datetime) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """(status, blockedReason) of the queue row in the current query, as of `now` (budgets have windows)."""
    tracking = sa.and_(budgets.c.queue_id == queues.c.queue_id, budgets.c.farm_id == queues.c.farm_id,
                       budget_store.effective_status(now) == BudgetStatus.ACTIVE)
    tracked = sa.exists().where(tracking)
    stopped = sa.exists().where(tracking, budgets.c.queue_stopped_at.is_not(None))
    unbudgeted = sa.and_(queues.c.default_budget_action != "NONE", ~tracked)
    status = sa.case((stopped, QueueStatus.SCHEDULING_BLOCKED), (unbudgeted, QueueStatus.SCHEDULING_BLOCKED),
                     (_has_active_jobs(queues.c.queue_id), QueueStatus.SCHEDULING), else_=QueueStatus.IDLE)
    reason = sa.case((stopped, "BUDGET_THRESHOLD_REACHED"), (unbudgeted, "NO_BUDGET_CONFIGURED"), else_=None)
    return status, reason


def _with_status(now: datetime) -> sa.Select:
    status, reason = status_columns(now)
    return sa.select(queues, status.label("status"), reason.label("blocked_reason"))


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(queues.insert().values(**values))


#: Built once: every queue-scoped request reads it (see farms._BY_ID).
_BY_ID = DriverSelect(sa.select(queues).where(queues.c.queue_id == sa.bindparam("b_queue_id"),
                                              queues.c.farm_id == sa.bindparam("b_farm_id")), "QueueRow")


def get(conn: Connection, farm_id: str, queue_id: str) -> Row | None:
    return _BY_ID.first(conn, {"b_queue_id": queue_id, "b_farm_id": farm_id})


def get_with_status(conn: Connection, farm_id: str, queue_id: str, now: datetime) -> Row | None:
    """The row plus `status` and `blocked_reason` as of `now`."""
    return conn.execute(_with_status(now).where(queues.c.queue_id == queue_id, queues.c.farm_id == farm_id)).first()


def update(conn: Connection, queue_id: str, **values: Any) -> None:
    conn.execute(queues.update().where(queues.c.queue_id == queue_id).values(**values))


def delete(conn: Connection, queue_id: str) -> None:
    """The queue and every membership held on it or on its jobs (they mean nothing without it)."""
    conn.execute(memberships.delete().where(
        sa.or_(memberships.c.resource_id == queue_id, memberships.c.queue_id == queue_id)))
    conn.execute(queues.delete().where(queues.c.queue_id == queue_id))


def page(conn: Connection, farm_id: str, after: Any, limit: int, now: datetime, *, status: str | None = None,
         only: set[str] | None = None) -> list[Row]:
    query = _with_status(now).where(queues.c.farm_id == farm_id)
    if status is not None:
        query = query.where(status_columns(now)[0] == status)
    if only is not None:
        query = query.where(queues.c.queue_id.in_(only))
    return list(conn.execute(keyset_page(query, queues.c.created_at, queues.c.queue_id, after, limit)))


def ids_with_membership(conn: Connection, farm_id: str, principal_id: str) -> set[str]:
    """Queues of the farm on which the principal holds a queue membership of its own."""
    rows = conn.execute(sa.select(memberships.c.resource_id).where(
        memberships.c.farm_id == farm_id, memberships.c.principal_id == principal_id,
        memberships.c.resource_type == "QUEUE"))
    return {r.resource_id for r in rows}


def allowing_storage_profile(conn: Connection, farm_id: str, storage_profile_id: str) -> list[str]:
    """Ids of the farm's queues whose allowedStorageProfileIds name this profile."""
    rows = conn.execute(sa.select(queues.c.queue_id, queues.c.attributes).where(queues.c.farm_id == farm_id))
    # The list sits inside the JSON attributes; a farm has few queues, so read them all rather than
    # write JSON containment SQL twice (SQLite and PostgreSQL spell it differently).
    return [r.queue_id for r in rows if storage_profile_id in (r.attributes.get("allowedStorageProfileIds") or [])]
