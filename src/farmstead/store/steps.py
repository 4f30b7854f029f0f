"""Steps and the dependency edges between them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store import counters
from farmstead.store.rows import existing
from farmstead.store.schema import step_dependencies, steps
from farmstead.store.statements import update_by_key


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(steps.insert(), rows)


def insert_dependencies(conn: Connection, edges: list[dict[str, str]]) -> None:
    if edges:
        conn.execute(step_dependencies.insert(), edges)


#: Built once: read on every dispatch (a fresh select would be rebuilt and cache-keyed each time).
_GET = sa.select(steps).where(steps.c.step_id == sa.bindparam("b_step_id"), steps.c.job_id == sa.bindparam("b_job_id"))


def get(conn: Connection, job_id: str, step_id: str) -> Row | None:
    return conn.execute(_GET, {"b_step_id": step_id, "b_job_id": job_id}).first()


def get_existing(conn: Connection, job_id: str, step_id: str) -> Row:
    """The row of a step this transaction already knows exists (it read the step, or a row that points at it)."""
    return existing(get(conn, job_id, step_id), f"step {step_id}")


def of_job(conn: Connection, job_id: str) -> list[Row]:
    return list(conn.execute(sa.select(steps).where(steps.c.job_id == job_id).order_by(steps.c.step_index)))


def page(conn: Connection, job_id: str, after: int | None, limit: int) -> list[Row]:
    query = sa.select(steps).where(steps.c.job_id == job_id)
    if after is not None:
        query = query.where(steps.c.step_index > after)
    return list(conn.execute(query.order_by(steps.c.step_index).limit(limit + 1)))


def update(conn: Connection, step_id: str, **values: Any) -> None:
    update_by_key(conn, steps, "step_id", step_id, values)


def add_counts(conn: Connection, step_id: str, delta: dict[str, int], retries: int = 0,
               started_at: Any = None, timed_runs: tuple[int, float] = (0, 0.0)) -> Row | None:
    """The counters moved in place (store/counters.py), `timed_runs` (succeeded runs, their seconds)
    added to the run-time counters; returns what a roll-up needs, or None."""
    return counters.add(conn, steps, "step_id", step_id, delta, retries, started_at, timed_runs)


def counts_of(row: Row) -> dict[str, int]:
    return counters.counts_of(row)


_UPSTREAM = (sa.select(steps.c.step_id, steps.c.task_run_status, steps.c.step_index)
             .join(step_dependencies, step_dependencies.c.upstream_step_id == steps.c.step_id)
             .where(step_dependencies.c.step_id == sa.bindparam("b_step_id")).order_by(steps.c.step_index))
_EDGES = sa.select(step_dependencies).where(step_dependencies.c.job_id == sa.bindparam("b_job_id"))


def upstream_of(conn: Connection, step_id: str) -> list[Row]:
    """The steps this one depends on, with their status."""
    return list(conn.execute(_UPSTREAM, {"b_step_id": step_id}))


def consumers_of(conn: Connection, step_id: str) -> list[Row]:
    """The steps that depend on this one, with their status."""
    query = (sa.select(steps.c.step_id, steps.c.task_run_status, steps.c.step_index)
             .join(step_dependencies, step_dependencies.c.step_id == steps.c.step_id)
             .where(step_dependencies.c.upstream_step_id == step_id).order_by(steps.c.step_index))
    return list(conn.execute(query))


def edges_of_job(conn: Connection, job_id: str) -> list[Row]:
    return list(conn.execute(_EDGES, {"b_job_id": job_id}))


def get_status(conn: Connection, step_id: str) -> str:
    return conn.execute(sa.select(steps.c.task_run_status).where(steps.c.step_id == step_id)).scalar_one()
