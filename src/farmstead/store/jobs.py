"""Jobs: rows in, rows out, and their per-status task counters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import TaskRunStatus
from farmstead.store import counters, notifications
from farmstead.store.driver_reads import DriverSelect
from farmstead.store.paging import keyset_page
from farmstead.store.rows import existing
from farmstead.store.schema import jobs
from farmstead.store.statements import update_by_key


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(jobs.insert().values(**values))


#: Built once: GetJob and every job-scoped request read it (see farms._BY_ID).
_IN_QUEUE = DriverSelect(sa.select(jobs).where(jobs.c.job_id == sa.bindparam("b_job_id"),
                                               jobs.c.queue_id == sa.bindparam("b_queue_id"),
                                               jobs.c.farm_id == sa.bindparam("b_farm_id")), "JobRow")


def get(conn: Connection, farm_id: str, queue_id: str, job_id: str) -> Row | None:
    return _IN_QUEUE.first(conn, {"b_job_id": job_id, "b_queue_id": queue_id, "b_farm_id": farm_id})


#: Built once: read on every task report (a fresh select would be rebuilt and cache-keyed each time).
_BY_ID = DriverSelect(sa.select(jobs).where(jobs.c.job_id == sa.bindparam("b_job_id")), "JobRow")


def get_by_id(conn: Connection, job_id: str) -> Row | None:
    return _BY_ID.first(conn, {"b_job_id": job_id})


def get_existing(conn: Connection, job_id: str) -> Row:
    """The row of a job this transaction already knows exists (it read the job, or a row that points at it)."""
    return existing(get_by_id(conn, job_id), f"job {job_id}")


def lock(conn: Connection, job_id: str) -> Row:
    """The row of a job the transaction knows exists, locked for the rest of the transaction on
    PostgreSQL (SQLite has one writer anyway)."""
    query = sa.select(jobs).where(jobs.c.job_id == job_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return existing(conn.execute(query).first(), f"job {job_id}")


def update(conn: Connection, job_id: str, **values: Any) -> None:
    update_by_key(conn, jobs, "job_id", job_id, values)


#: Built once: ListJobs' first page without a creator filter, the common call (a monitor polling a queue).
_FIRST_PAGE = DriverSelect(sa.select(jobs).where(jobs.c.queue_id == sa.bindparam("b_queue_id"))
                           .order_by(jobs.c.created_at, jobs.c.job_id).limit(sa.bindparam("b_limit")), "JobRow")


def page(conn: Connection, queue_id: str, after: Any, limit: int, created_by: str | None = None) -> list[Row]:
    if after is None and created_by is None:
        return _FIRST_PAGE.all(conn, {"b_queue_id": queue_id, "b_limit": limit + 1})
    query = sa.select(jobs).where(jobs.c.queue_id == queue_id)
    if created_by is not None:
        query = query.where(jobs.c.created_by == created_by)
    return list(conn.execute(keyset_page(query, jobs.c.created_at, jobs.c.job_id, after, limit)))


def ids_in_lifecycle(conn: Connection, lifecycle_status: str) -> list[str]:
    return list(conn.execute(sa.select(jobs.c.job_id).where(jobs.c.lifecycle_status == lifecycle_status)
                             .order_by(jobs.c.created_at)).scalars())


def counts_of(row: Row) -> dict[str, int]:
    return counters.counts_of(row)


def count_values(counts: dict[str, int]) -> dict[str, int]:
    return counters.count_values(counts)


def add_counts(conn: Connection, job_id: str, delta: dict[str, int], retries: int = 0,
               started_at: Any = None) -> Row | None:
    """The counters moved in place (store/counters.py); returns what a roll-up needs, or None.
    Tasks that became READY wake as many idle workers of the job's fleets (store/notifications.py)."""
    if (ready := delta.get(TaskRunStatus.READY, 0)) > 0:
        notifications.note_ready(conn, job_id, ready)
    return counters.add(conn, jobs, "job_id", job_id, delta, retries, started_at)


def delete_for_queue(conn: Connection, queue_id: str) -> None:
    conn.execute(jobs.delete().where(jobs.c.queue_id == queue_id))
