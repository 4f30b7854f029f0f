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


#: Built once: read on every dispatch (a fresh select would be rebuilt and cache-keyed each time).
_GET = sa.select(steps).where(steps.c.step_id == sa.bindparam("b_step_id"), steps.c.job_id == sa.bindparam("b_job_id"))


_HOST_REQUIREMENTS = sa.select(steps.c.step_id, steps.c.host_requirements).where(
    steps.c.step_id == sa.bindparam("b_step_id"), steps.c.job_id == sa.bindparam("b_job_id"))


def host_requirements_of(conn: Connection, job_id: str, step_id: str) -> Row | None:
    """step_id and host_requirements only: what dispatching the next task of a step needs."""
    return conn.execute(_HOST_REQUIREMENTS, {"b_step_id": step_id, "b_job_id": job_id}).first()


def get(conn: Connection, job_id: str, step_id: str) -> Row | None:
    return conn.execute(_GET, {"b_step_id": step_id, "b_job_id": job_id}).first()


def of_job(conn: Connection, job_id: str) -> list[Row]:
    return list(conn.execute(sa.select(steps).where(steps.c.job_id == job_id).order_by(steps.c.step_index)))


def page(conn: Connection, job_id: str, after: int | None, limit: int) -> list[Row]:
    query = sa.select(steps).where(steps.c.job_id == job_id)
    if after is not None:
        query = query.where(steps.c.step_index > after)
    return list(conn.execute(query.order_by(steps.c.step_index).limit(limit + 1)))


def update(conn: Connection, step_id: str, **values: Any) -> None:
    conn.execute(steps.update().where(steps.c.step_id == step_id).values(**values))


def add_counts(conn: Connection, step_id: str, delta: dict[str, int], retries: int = 0,
               started_at: Any = None) -> Row | None:
    """Move the counters by a delta in place (atomic on both dialects: no read-modify-write in Python).

    `started_at`, when given, is stamped only if the row has none yet (the first task start).
    Returns the row's counters, status and times as they are after the change (UPDATE ... RETURNING,
    so callers rolling the counters up need not read it again), or None when there was nothing to change."""
    params = {f"d_{count_column_name(s)}": n for s, n in delta.items() if n}
    if retries:
        params["d_task_failure_retry_count"] = retries
    if started_at is not None:
        params["b_started_at"] = started_at
    if not params:
        return None
    params["b_key"] = step_id
    return conn.execute(_counter_update(tuple(sorted(params))), params).first()


#: The counter UPDATEs, built once per set of columns they move: the hot path of every task report,
#: where building and cache-keying a fresh statement costs more than SQLite running it.
_COUNTER_UPDATES: dict[tuple[str, ...], Any] = {}


#: What a roll-up needs back from a counter UPDATE (not the JSON columns, costly to decode).
_ROLLUP_COLUMNS = [steps.c.step_id, steps.c.task_run_status, steps.c.started_at, steps.c.ended_at,
                   steps.c.task_failure_retry_count, *(steps.c[count_column_name(s)] for s in TASK_RUN_STATUSES)]


def _counter_update(names: tuple[str, ...]):
    statement = _COUNTER_UPDATES.get(names)
    if statement is None:
        values = {}
        for name in names:
            if name.startswith("d_"):
                values[name[2:]] = steps.c[name[2:]] + sa.bindparam(name, type_=sa.Integer())
        if "b_started_at" in names:
            values["started_at"] = sa.func.coalesce(
                steps.c.started_at, sa.bindparam("b_started_at", type_=steps.c.started_at.type))
        statement = (steps.update().where(steps.c.step_id == sa.bindparam("b_key")).values(**values)
                     .returning(*_ROLLUP_COLUMNS))
        _COUNTER_UPDATES[names] = statement
    return statement


def counts_of(row: Row) -> dict[str, int]:
    return {status: getattr(row, count_column_name(status)) for status in TASK_RUN_STATUSES}


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
