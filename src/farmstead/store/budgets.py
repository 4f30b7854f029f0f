"""Budgets: rows in, rows out.

Owns: the budgets table and the one definition of a budget's reported status, computed in SQL so
Get and the ListBudgets status filter can never disagree: ACTIVE when the budget was left ACTIVE
and `now` lies in its schedule window [starts_at, ends_at), else INACTIVE.
Must not: validate input (api/budgets.py does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import BudgetStatus
from farmstead.store.paging import keyset_page
from farmstead.store.schema import budgets


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
