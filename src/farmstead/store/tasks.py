"""Tasks: bulk insertion while a job is materialized, reads in index order, per-status moves."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import jobs, tasks
from farmstead.store.statements import update_by_key, update_many_by_key


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(tasks.insert(), rows)


def delete_for_job(conn: Connection, job_id: str) -> None:
    conn.execute(tasks.delete().where(tasks.c.job_id == job_id))


#: Built once: read on every task report (a fresh select would be rebuilt and cache-keyed each time).
_GET = sa.select(tasks).where(tasks.c.task_id == sa.bindparam("b_task_id"),
                              tasks.c.step_id == sa.bindparam("b_step_id"))


def get(conn: Connection, step_id: str, task_id: str) -> Row | None:
    return conn.execute(_GET, {"b_task_id": task_id, "b_step_id": step_id}).first()


#: A task report's read: the task's state and its job's retry and failure limits (not the JSON
#: columns of either, which would be decoded for nothing), for several tasks at once.
_FOR_REPORTS = (sa.select(tasks.c.task_id, tasks.c.step_id, tasks.c.job_id, tasks.c.run_status,
                          tasks.c.failure_retry_count, tasks.c.started_at, tasks.c.ready_at,
                          jobs.c.max_retries_per_task, jobs.c.max_failed_tasks_count, jobs.c.has_frame_dependents,
                          jobs.c.created_at.label("job_created_at"))
                .join(jobs, jobs.c.job_id == tasks.c.job_id)
                .where(tasks.c.task_id.in_(sa.bindparam("b_task_ids", expanding=True))))


#: On PostgreSQL the rows are locked until commit: a user's UpdateJob/Step/Task on another replica
#: waits, then re-checks its WHERE on what the report wrote, so the two never write over each other
#: (and move the counters twice). SQLite has one writer at a time anyway.
_FOR_REPORTS_LOCKED = _FOR_REPORTS.order_by(tasks.c.task_id).with_for_update(of=tasks)


def for_reports(conn: Connection, task_ids: list[str]) -> dict[str, Row]:
    """`get_for_report` for several tasks in one read, by task id, each with its own job's limits
    (and its step_id and job_id, for the caller to check against the action's)."""
    statement = _FOR_REPORTS_LOCKED if conn.dialect.name == "postgresql" else _FOR_REPORTS
    return {row.task_id: row for row in conn.execute(statement, {"b_task_ids": list(task_ids)})}


def update_many(conn: Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """(task_id, values) pairs, written with one executemany per set of columns."""
    update_many_by_key(conn, tasks, "task_id", changes)


def get_for_report(conn: Connection, job_id: str, step_id: str, task_id: str) -> Row | None:
    """The task with its job's limits, when it is a task of that step and job (the session's); else None."""
    row = for_reports(conn, [task_id]).get(task_id)
    return row if row is not None and row.step_id == step_id and row.job_id == job_id else None


def page(conn: Connection, step_id: str, after: int | None, limit: int) -> list[Row]:
    query = sa.select(tasks).where(tasks.c.step_id == step_id)
    if after is not None:
        query = query.where(tasks.c.task_index > after)
    return list(conn.execute(query.order_by(tasks.c.task_index).limit(limit + 1)))


def in_index_range(index_range: tuple[int, int]):
    return sa.and_(tasks.c.task_index >= index_range[0], tasks.c.task_index < index_range[1])


def update(conn: Connection, task_id: str, **values: Any) -> None:
    update_by_key(conn, tasks, "task_id", task_id, values)


def _move(step_id: str, from_status: str, to_status: str, values: dict[str, Any] | None,
          retry_count_below: int | None, index_range: tuple[int, int] | None):
    query = tasks.update().where(tasks.c.step_id == step_id, tasks.c.run_status == from_status)
    if index_range is not None:
        query = query.where(in_index_range(index_range))
    if retry_count_below is not None:
        query = query.where(tasks.c.failure_retry_count < retry_count_below)
    return query.values(run_status=to_status, **(values or {}))


def move(conn: Connection, step_id: str, from_status: str, to_status: str, *, values: dict[str, Any] | None = None,
         retry_count_below: int | None = None, index_range: tuple[int, int] | None = None) -> int:
    """Every task of the step in `from_status` (with `index_range`, those with task_index in
    [from, to): one batch, through the (step_id, run_status, task_index) index) goes to
    `to_status`; returns how many moved."""
    return conn.execute(_move(step_id, from_status, to_status, values, retry_count_below, index_range)).rowcount


def move_returning_ids(conn: Connection, step_id: str, from_status: str, to_status: str, *,
                       values: dict[str, Any] | None = None, retry_count_below: int | None = None,
                       index_range: tuple[int, int] | None = None) -> list[str]:
    """`move`, returning the moved tasks' ids (for their events: docs/events.md)."""
    query = _move(step_id, from_status, to_status, values, retry_count_below, index_range)
    return list(conn.execute(query.returning(tasks.c.task_id)).scalars())


def move_some(conn: Connection, task_ids: list[str], from_status: str, to_status: str,
              values: dict[str, Any] | None = None) -> list[str]:
    """The named tasks that are in `from_status` go to `to_status`; returns the ids of those that moved."""
    if not task_ids:
        return []
    query = tasks.update().where(tasks.c.task_id.in_(list(task_ids)), tasks.c.run_status == from_status)
    return list(conn.execute(query.values(run_status=to_status, **(values or {})).returning(tasks.c.task_id)).scalars())
