"""Budgets: rows in, rows out.

Owns: the budgets table and the one definition of a budget's reported status, computed in SQL so
Get and the ListBudgets status filter can never disagree: ACTIVE when the budget was left ACTIVE
and `now` lies in its schedule window [starts_at, ends_at), else INACTIVE.
Also the reads the sweeper's usage accounting needs (orchestration/budgets.py): the budgets still
counting, and a queue's sessions open or ended since a budget last counted, with their fleets' rates
(through ix_sessions_queue_ended: never a scan over all sessions).
Must not: validate input (api/budgets.py does) or decide what usage or a threshold means
(domain/budget_usage.py does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import BudgetStatus
from farmstead.store.paging import keyset_page
from farmstead.store.schema import budgets, count_column_name, fleets, jobs, sessions, tasks


def effective_status(now: datetime) -> sa.ColumnElement:
    return sa.case(
        (sa.and_(budgets.c.status == BudgetStatus.ACTIVE, budgets.c.starts_at <= now, budgets.c.ends_at > now),
         BudgetStatus.ACTIVE),
        else_=BudgetStatus.INACTIVE)


def _select(now: datetime) -> sa.Select:
    return sa.select(budgets, effective_status(now).label("effective_status"))


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(budgets.insert().values(**values))


def get(conn: Connection, farm_id: str, budget_id: str, now: datetime) -> Row | None:
    """The row plus `effective_status` as of `now`."""
    return conn.execute(_select(now).where(budgets.c.budget_id == budget_id, budgets.c.farm_id == farm_id)).first()


def update(conn: Connection, budget_id: str, **values: Any) -> None:
    conn.execute(budgets.update().where(budgets.c.budget_id == budget_id).values(**values))


def delete(conn: Connection, budget_id: str) -> None:
    conn.execute(budgets.delete().where(budgets.c.budget_id == budget_id))


def page(conn: Connection, farm_id: str, after: Any, limit: int, now: datetime, status: str | None = None) -> list[Row]:
    query = _select(now).where(budgets.c.farm_id == farm_id)
    if status is not None:
        query = query.where(effective_status(now) == status)
    return list(conn.execute(keyset_page(query, budgets.c.created_at, budgets.c.budget_id, after, limit)))


def active_for_queue(conn: Connection, queue_id: str, now: datetime) -> list[Row]:
    """The queue's budgets that are ACTIVE at `now` (what queue status and budget actions look at)."""
    return list(conn.execute(_select(now).where(budgets.c.queue_id == queue_id,
                                                effective_status(now) == BudgetStatus.ACTIVE)))


def delete_all_for_farm(conn: Connection, farm_id: str) -> list[str]:
    """Delete the farm's budgets (for DeleteFarm); returns their ids so their tags can go too."""
    ids = list(conn.execute(sa.select(budgets.c.budget_id).where(budgets.c.farm_id == farm_id)).scalars())
    conn.execute(budgets.delete().where(budgets.c.farm_id == farm_id))
    return ids


def counting(conn: Connection, now: datetime) -> list[Row]:
    """Budgets left ACTIVE whose window has begun and that have not counted up to its end yet, plus
    those still stopping their queue (a stop whose window ended is lifted by the same pass)."""
    c = budgets.c
    not_done = sa.or_(c.usage_counted_through.is_(None), c.usage_counted_through < c.ends_at)
    query = _select(now).where(sa.or_(sa.and_(c.status == BudgetStatus.ACTIVE, c.starts_at <= now, not_done),
                                      c.queue_stopped_at.is_not(None)))
    return list(conn.execute(query.order_by(c.created_at, c.budget_id)))


def session_spans(conn: Connection, queue_id: str, since: datetime, until: datetime) -> list[Row]:
    """The queue's sessions that ran at some point in [since, until): started_at, ended_at (None: open)
    and their fleet's own rate (None: the default)."""
    s = sessions.c
    query = (sa.select(s.started_at, s.ended_at, fleets.c.cost_per_worker_hour)
             .select_from(sessions.outerjoin(fleets, fleets.c.fleet_id == s.fleet_id))
             .where(s.queue_id == queue_id, sa.or_(s.ended_at.is_(None), s.ended_at > since),
                    s.started_at < until))
    return list(conn.execute(query))


def on_worker_tasks(conn: Connection, queue_id: str, statuses: list[str]) -> list[Row]:
    """The queue's tasks in `statuses` (those on a worker), in jobs whose counters say they have some:
    a stop-and-cancel action cancels them. Rare (once per crossing), so a join is fine here."""
    on_worker = sum((jobs.c[count_column_name(status)] for status in statuses), sa.literal(0))
    query = (sa.select(tasks).select_from(tasks.join(jobs, jobs.c.job_id == tasks.c.job_id))
             .where(jobs.c.queue_id == queue_id, on_worker > 0, tasks.c.run_status.in_(statuses))
             .order_by(tasks.c.job_id, tasks.c.step_id, tasks.c.task_index))
    return list(conn.execute(query))


def jobs_with_ready_tasks(conn: Connection, queue_id: str) -> list[str]:
    """The queue's jobs with READY tasks: a lifted stop wakes the workers waiting for them."""
    return list(conn.execute(sa.select(jobs.c.job_id).where(jobs.c.queue_id == queue_id, jobs.c.count_ready > 0))
                .scalars())
