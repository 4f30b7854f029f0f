"""Steps and the dependency edges between them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import TASK_RUN_STATUSES, count_column_name, step_dependencies, steps


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(steps.insert(), rows)


def insert_dependencies(conn: Connection, edges: list[dict[str, str]]) -> None:
    if edges:
        conn.execute(step_dependencies.insert(), edges)


def get(conn: Connection, job_id: str, step_id: str) -> Row | None:
    return conn.execute(sa.select(steps).where(steps.c.step_id == step_id, steps.c.job_id == job_id)).first()


def of_job(conn: Connection, job_id: str) -> list[Row]:
    return list(conn.execute(sa.select(steps).where(steps.c.job_id == job_id).order_by(steps.c.step_index)))


def page(conn: Connection, job_id: str, after: int | None, limit: int) -> list[Row]:
    query = sa.select(steps).where(steps.c.job_id == job_id)
    if after is not None:
        query = query.where(steps.c.step_index > after)
    return list(conn.execute(query.order_by(steps.c.step_index).limit(limit + 1)))


def update(conn: Connection, step_id: str, **values: Any) -> None:
    conn.execute(steps.update().where(steps.c.step_id == step_id).values(**values))


def add_counts(conn: Connection, step_id: str, delta: dict[str, int], retries: int = 0) -> None:
    values = {count_column_name(s): steps.c[count_column_name(s)] + n for s, n in delta.items() if n}
    if retries:
        values["task_failure_retry_count"] = steps.c.task_failure_retry_count + retries
    if values:
        conn.execute(steps.update().where(steps.c.step_id == step_id).values(**values))


def counts_of(row: Row) -> dict[str, int]:
    return {status: getattr(row, count_column_name(status)) for status in TASK_RUN_STATUSES}


def upstream_of(conn: Connection, step_id: str) -> list[Row]:
    """The steps this one depends on, with their status."""
    query = (sa.select(steps.c.step_id, steps.c.task_run_status, steps.c.step_index)
             .join(step_dependencies, step_dependencies.c.upstream_step_id == steps.c.step_id)
             .where(step_dependencies.c.step_id == step_id).order_by(steps.c.step_index))
    return list(conn.execute(query))


def consumers_of(conn: Connection, step_id: str) -> list[Row]:
    """The steps that depend on this one, with their status."""
    query = (sa.select(steps.c.step_id, steps.c.task_run_status, steps.c.step_index)
             .join(step_dependencies, step_dependencies.c.step_id == steps.c.step_id)
             .where(step_dependencies.c.upstream_step_id == step_id).order_by(steps.c.step_index))
    return list(conn.execute(query))


def edges_of_job(conn: Connection, job_id: str) -> list[Row]:
    return list(conn.execute(sa.select(step_dependencies).where(step_dependencies.c.job_id == job_id)))


def get_status(conn: Connection, step_id: str) -> str:
    return conn.execute(sa.select(steps.c.task_run_status).where(steps.c.step_id == step_id)).scalar_one()
