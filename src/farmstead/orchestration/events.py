"""Emitting events where statuses change (docs/events.md): called by the roll-up
(orchestration/task_updates.py) in the transaction of the change, so the outbox row commits or rolls
back with it. A step's or job's taskRunStatus changes a few times in its life, so this costs the
dispatch path nothing per task: one INSERT per event."""

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
