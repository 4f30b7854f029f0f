"""The reads and the one write behind stuck-task detection (docs/self-managing.md, "Stuck tasks";
the rule is domain/stuck_tasks.py's, the use case orchestration/stuck_tasks.py's).

Bounded per sweep: the queues that set a limit come from their tags (few rows); the runs from the
open sessions of online workers (ix_sessions_worker_open) and their RUNNING actions
(ix_session_actions_session_status), never a scan of all sessions or actions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain import stuck_tasks
from farmstead.domain.statuses import SessionActionStatus, WorkerStatus
from farmstead.store.schema import session_actions, sessions, tags, workers

_QUEUE_ARN = re.compile(r":farm/([^/]+)/queue/([^/]+)$")


def queue_tags(conn: Connection) -> dict[str, dict[str, str]]:
    """queue id -> its stuck-task tags, for the queues that have any."""
    found: dict[str, dict[str, str]] = {}
    for row in conn.execute(sa.select(tags.c.resource_arn, tags.c.key, tags.c.value)
                            .where(tags.c.key.in_(stuck_tasks.TAGS))):
        match = _QUEUE_ARN.search(row.resource_arn)
        if match:
            found.setdefault(match.group(2), {})[row.key] = row.value
    return found


def running_runs(conn: Connection, queue_ids: Sequence[str] | None, started_before: datetime,
                 job_id: str | None = None) -> list[Row]:
    """RUNNING taskRuns started before `started_before` in open sessions (of the queues; of the job)
    on online workers: session_action_id, session_id, job_id, step_id, task_id, started_at, farm_id,
    queue_id, worker_id, host_properties; the longest running first."""
    query = (
        sa.select(session_actions.c.session_action_id, session_actions.c.session_id, session_actions.c.job_id,
                  session_actions.c.step_id, session_actions.c.task_id, session_actions.c.started_at,
                  sessions.c.farm_id, sessions.c.queue_id, workers.c.worker_id, workers.c.host_properties)
        .select_from(workers.join(sessions, sessions.c.worker_id == workers.c.worker_id)
                     .join(session_actions, session_actions.c.session_id == sessions.c.session_id))
        .where(workers.c.status.in_([WorkerStatus.STARTED, WorkerStatus.STOPPING]), sessions.c.ended_at.is_(None),
               session_actions.c.status == SessionActionStatus.RUNNING,
               session_actions.c.kind == "taskRun", session_actions.c.started_at <= started_before)
        .order_by(session_actions.c.started_at))
    if queue_ids is not None:
        query = query.where(sessions.c.queue_id.in_(list(queue_ids)))
    if job_id is not None:
        query = query.where(sessions.c.job_id == job_id)
    return list(conn.execute(query))


def step_run_seconds(conn: Connection, job_id: str, step_id: str, limit: int = 200) -> list[float]:
    """How long the step's latest SUCCEEDED runs took (at most `limit` of them), in seconds."""
    rows = conn.execute(
        sa.select(session_actions.c.started_at, session_actions.c.ended_at)
        .where(session_actions.c.job_id == job_id, session_actions.c.step_id == step_id,
               session_actions.c.kind == "taskRun", session_actions.c.status == SessionActionStatus.SUCCEEDED,
               session_actions.c.started_at.is_not(None), session_actions.c.ended_at.is_not(None))
        .order_by(session_actions.c.ended_at.desc()).limit(limit))
    return [(row.ended_at - row.started_at).total_seconds() for row in rows]


def cancel_stuck(conn: Connection, session_action_id: str) -> bool:
    """The run's action CANCELING with the stuck target, if it is still RUNNING; whether it was."""
    return conn.execute(session_actions.update()
                        .where(session_actions.c.session_action_id == session_action_id,
                               session_actions.c.status == SessionActionStatus.RUNNING)
                        .values(status=SessionActionStatus.CANCELING, cancel_target=stuck_tasks.STUCK)).rowcount == 1
