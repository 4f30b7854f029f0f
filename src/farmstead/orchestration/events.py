"""Emitting events where statuses change (docs/events.md): called where a job's or step's status
(the roll-up in orchestration/task_updates.py, job creation, UpdateJob, queued changes) or a task's
run status moves, in the transaction of the change, so the outbox row commits or rolls back with it.
A step's or job's status changes a few times in its life; a task's on every move, so per-task events
are noted only while some subscription wants them (one check answered from memory). All of a
transaction's events are written by one INSERT at its commit (store/events.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from farmstead.domain import events
from farmstead.store import events as outbox


def job_run_status_changed(conn: Connection, job_id: str, previous: str | None, status: str, counts: dict[str, int],
                           now: datetime) -> None:
    outbox.append_for_job(conn, job_id, now, events.JOB_RUN_STATUS_CHANGE,
                          events.job_run_status_change(job_id, previous, status, counts))


def step_run_status_changed(conn: Connection, job_id: str, step_id: str, previous: str | None, status: str,
                            counts: dict[str, int], now: datetime) -> None:
    outbox.append_for_job(conn, job_id, now, events.STEP_RUN_STATUS_CHANGE,
                          events.step_run_status_change(job_id, step_id, previous, status, counts))


def job_lifecycle_changed(conn: Connection, job_id: str, previous: str | None, status: str, now: datetime) -> None:
    """`previous` None: the job was just submitted. No event when the status stays."""
    if previous != status:
        outbox.append_for_job(conn, job_id, now, events.JOB_LIFECYCLE_STATUS_CHANGE,
                              events.job_lifecycle_status_change(job_id, previous, status))


def step_lifecycle_changed(conn: Connection, job_id: str, step_id: str, previous: str, status: str,
                           now: datetime) -> None:
    if previous != status:
        outbox.append_for_job(conn, job_id, now, events.STEP_LIFECYCLE_STATUS_CHANGE,
                              events.step_lifecycle_status_change(job_id, step_id, previous, status))


def tasks_wanted(conn: Connection) -> bool:
    """Whether task moves should be reported (some subscription wants per-task events): the one cheap
    check the dispatch path makes (answered from memory, store/events.py)."""
    return outbox.per_task_events_wanted(conn)


def task_run_status_changed(conn: Connection, job_id: str, step_id: str, task_ids: list[str], previous: str,
                            status: str, now: datetime) -> None:
    """Tasks of one step moved from `previous` to `status`: one event each, when some subscription
    wants them (callers that must do work to learn `task_ids` ask `tasks_wanted` first)."""
    if previous == status or not task_ids or not tasks_wanted(conn):
        return
    for task_id in task_ids:
        outbox.append_for_job(conn, job_id, now, events.TASK_RUN_STATUS_CHANGE,
                              events.task_run_status_change(job_id, step_id, task_id, previous, status))
