"""Jobs: rows in, rows out, and their per-status task counters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import TASK_RUN_STATUSES, count_column_name, jobs


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(jobs.insert().values(**values))


def get(conn: Connection, farm_id: str, queue_id: str, job_id: str) -> Row | None:
    return conn.execute(sa.select(jobs).where(
        jobs.c.job_id == job_id, jobs.c.queue_id == queue_id, jobs.c.farm_id == farm_id)).first()


#: Built once: read on every task report (a fresh select would be rebuilt and cache-keyed each time).
_BY_ID = sa.select(jobs).where(jobs.c.job_id == sa.bindparam("b_job_id"))


def get_by_id(conn: Connection, job_id: str) -> Row | None:
    return conn.execute(_BY_ID, {"b_job_id": job_id}).first()


def lock(conn: Connection, job_id: str) -> Row | None:
    """The job row, locked for the rest of the transaction on PostgreSQL (SQLite has one writer anyway)."""
    query = sa.select(jobs).where(jobs.c.job_id == job_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def update(conn: Connection, job_id: str, **values: Any) -> None:
    conn.execute(jobs.update().where(jobs.c.job_id == job_id).values(**values))


def page(conn: Connection, queue_id: str, after: Any, limit: int, created_by: str | None = None) -> list[Row]:
    query = sa.select(jobs).where(jobs.c.queue_id == queue_id)
    if created_by is not None:
        query = query.where(jobs.c.created_by == created_by)
    return list(conn.execute(keyset_page(query, jobs.c.created_at, jobs.c.job_id, after, limit)))


def ids_in_lifecycle(conn: Connection, lifecycle_status: str) -> list[str]:
    return list(conn.execute(sa.select(jobs.c.job_id).where(jobs.c.lifecycle_status == lifecycle_status)
                             .order_by(jobs.c.created_at)).scalars())


def counts_of(row: Row) -> dict[str, int]:
    return {status: getattr(row, count_column_name(status)) for status in TASK_RUN_STATUSES}


def count_values(counts: dict[str, int]) -> dict[str, int]:
    """Column values for a full set of counts."""
    return {count_column_name(status): counts.get(status, 0) for status in TASK_RUN_STATUSES}


def add_counts(conn: Connection, job_id: str, delta: dict[str, int], retries: int = 0,
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
    params["b_key"] = job_id
    return conn.execute(_counter_update(tuple(sorted(params))), params).first()


#: The counter UPDATEs, built once per set of columns they move: the hot path of every task report,
#: where building and cache-keying a fresh statement costs more than SQLite running it.
_COUNTER_UPDATES: dict[tuple[str, ...], Any] = {}


#: What a roll-up needs back from a counter UPDATE (not the JSON columns, costly to decode).
_ROLLUP_COLUMNS = [jobs.c.job_id, jobs.c.task_run_status, jobs.c.started_at, jobs.c.ended_at,
                   jobs.c.task_failure_retry_count, *(jobs.c[count_column_name(s)] for s in TASK_RUN_STATUSES)]


def _counter_update(names: tuple[str, ...]):
    statement = _COUNTER_UPDATES.get(names)
    if statement is None:
        values = {}
        for name in names:
            if name.startswith("d_"):
                values[name[2:]] = jobs.c[name[2:]] + sa.bindparam(name, type_=sa.Integer())
        if "b_started_at" in names:
            values["started_at"] = sa.func.coalesce(
                jobs.c.started_at, sa.bindparam("b_started_at", type_=jobs.c.started_at.type))
        statement = (jobs.update().where(jobs.c.job_id == sa.bindparam("b_key")).values(**values)
                     .returning(*_ROLLUP_COLUMNS))
        _COUNTER_UPDATES[names] = statement
    return statement


def has_active_jobs(conn: Connection, queue_id: str) -> bool:
    active = ("PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "RUNNING", "INTERRUPTING")
    query = sa.select(jobs.c.job_id).where(jobs.c.queue_id == queue_id, jobs.c.task_run_status.in_(active),
                                           jobs.c.lifecycle_status != "ARCHIVED").limit(1)
    return conn.execute(query).first() is not None


def delete_for_queue(conn: Connection, queue_id: str) -> None:
    conn.execute(jobs.delete().where(jobs.c.queue_id == queue_id))
