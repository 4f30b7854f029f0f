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


def get_by_id(conn: Connection, job_id: str) -> Row | None:
    return conn.execute(sa.select(jobs).where(jobs.c.job_id == job_id)).first()


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


def add_counts(conn: Connection, job_id: str, delta: dict[str, int], retries: int = 0) -> None:
    """Move the counters by a delta in place (atomic on both dialects: no read-modify-write in Python)."""
    values = {count_column_name(s): jobs.c[count_column_name(s)] + n for s, n in delta.items() if n}
    if retries:
        values["task_failure_retry_count"] = jobs.c.task_failure_retry_count + retries
    if values:
        conn.execute(jobs.update().where(jobs.c.job_id == job_id).values(**values))


def has_active_jobs(conn: Connection, queue_id: str) -> bool:
    active = ("PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "RUNNING", "INTERRUPTING")
    query = sa.select(jobs.c.job_id).where(jobs.c.queue_id == queue_id, jobs.c.task_run_status.in_(active),
                                           jobs.c.lifecycle_status != "ARCHIVED").limit(1)
    return conn.execute(query).first() is not None


def delete_for_queue(conn: Connection, queue_id: str) -> None:
    conn.execute(jobs.delete().where(jobs.c.queue_id == queue_id))
