"""Tasks: bulk insertion while a job is materialized, reads in index order, per-status moves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import tasks


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(tasks.insert(), rows)


def delete_for_job(conn: Connection, job_id: str) -> None:
    conn.execute(tasks.delete().where(tasks.c.job_id == job_id))


def count_for_step(conn: Connection, step_id: str) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(tasks).where(tasks.c.step_id == step_id)).scalar_one()


def get(conn: Connection, step_id: str, task_id: str) -> Row | None:
    return conn.execute(sa.select(tasks).where(tasks.c.task_id == task_id, tasks.c.step_id == step_id)).first()


def page(conn: Connection, step_id: str, after: int | None, limit: int) -> list[Row]:
    query = sa.select(tasks).where(tasks.c.step_id == step_id)
    if after is not None:
        query = query.where(tasks.c.task_index > after)
    return list(conn.execute(query.order_by(tasks.c.task_index).limit(limit + 1)))


def update(conn: Connection, task_id: str, **values: Any) -> None:
    conn.execute(tasks.update().where(tasks.c.task_id == task_id).values(**values))


def status_counts(conn: Connection, step_id: str, statuses: Iterable[str] | None = None,
                  exhausted_below: int | None = None) -> dict[str, int]:
    """How many of the step's tasks are in each status (optionally only some statuses)."""
    query = sa.select(tasks.c.run_status, sa.func.count()).where(tasks.c.step_id == step_id)
    if statuses is not None:
        query = query.where(tasks.c.run_status.in_(list(statuses)))
    if exhausted_below is not None:
        query = query.where(tasks.c.failure_retry_count < exhausted_below)
    return {status: n for status, n in conn.execute(query.group_by(tasks.c.run_status))}


def move(conn: Connection, step_id: str, from_status: str, to_status: str, *, values: dict[str, Any] | None = None,
         retry_count_below: int | None = None) -> int:
    """Every task of the step in `from_status` goes to `to_status`; returns how many moved."""
    query = tasks.update().where(tasks.c.step_id == step_id, tasks.c.run_status == from_status)
    if retry_count_below is not None:
        query = query.where(tasks.c.failure_retry_count < retry_count_below)
    return conn.execute(query.values(run_status=to_status, **(values or {}))).rowcount
