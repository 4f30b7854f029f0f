"""Read queries behind the session APIs: sessions and session actions of a job or a worker, and the
session rows a statistics aggregation runs over.

Owns: lookups scoped to their parent (a session is found only inside its job, an action only inside
its job) and the keyset pages of ListSessions, ListSessionsForWorker and ListSessionActions.
Must not: change anything (store/sessions.py writes sessions and actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import jobs, session_actions, sessions, tasks


def session_in_job(conn: Connection, job_id: str, session_id: str) -> Row | None:
    return conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id,
                                                  sessions.c.job_id == job_id)).first()


def sessions_of_job(conn: Connection, job_id: str, after: Any, limit: int) -> list[Row]:
    query = sa.select(sessions).where(sessions.c.job_id == job_id)
    return list(conn.execute(keyset_page(query, sessions.c.started_at, sessions.c.session_id, after, limit)))


def sessions_of_worker(conn: Connection, worker_id: str, after: Any, limit: int) -> list[Row]:
    query = sa.select(sessions).where(sessions.c.worker_id == worker_id)
    return list(conn.execute(keyset_page(query, sessions.c.started_at, sessions.c.session_id, after, limit)))


def action_in_job(conn: Connection, job_id: str, session_action_id: str) -> Row | None:
    return conn.execute(sa.select(session_actions).where(
        session_actions.c.session_action_id == session_action_id, session_actions.c.job_id == job_id)).first()


def task_in_job(conn: Connection, job_id: str, task_id: str) -> bool:
    query = sa.select(tasks.c.task_id).where(tasks.c.task_id == task_id, tasks.c.job_id == job_id)
    return conn.execute(query).first() is not None


def actions_of_job(conn: Connection, job_id: str, after: Sequence | None, limit: int, *,
                   session_id: str | None = None, task_id: str | None = None) -> list[Row]:
    """The job's actions in the order they were created: by session start, then within the session.

    `after` is the position `action_position` gave for the last row of the previous page.
    """
    query = (sa.select(session_actions, sessions.c.started_at.label("session_started_at"))
             .join(sessions, sessions.c.session_id == session_actions.c.session_id)
             .where(session_actions.c.job_id == job_id))
    if session_id is not None:
        query = query.where(session_actions.c.session_id == session_id)
    if task_id is not None:
        query = query.where(session_actions.c.task_id == task_id)
    if after is not None:
        at, last_session, last_index = datetime.fromisoformat(after[0]), after[1], int(after[2])
        query = query.where(sa.or_(
            sessions.c.started_at > at,
            sa.and_(sessions.c.started_at == at, session_actions.c.session_id > last_session),
            sa.and_(sessions.c.started_at == at, session_actions.c.session_id == last_session,
                    session_actions.c.action_index > last_index)))
    query = query.order_by(sessions.c.started_at, session_actions.c.session_id,
                           session_actions.c.action_index).limit(limit + 1)
    return list(conn.execute(query))


def action_position(row: Row) -> list[Any]:
    return [row.session_started_at.isoformat(), row.session_id, row.action_index]


def sessions_for_usage(conn: Connection, farm_id: str, *, queue_ids: Sequence[str] = (),
                       fleet_ids: Sequence[str] = (), start: datetime, end: datetime) -> list[Row]:
    """Sessions of these queues (or fleets) that were open at some time in [start, end), with their
    job's name and submitter. A session that started and ended at `start` is included; the
    aggregation decides what a zero-length session counts for."""
    query = (sa.select(sessions.c.session_id, sessions.c.queue_id, sessions.c.fleet_id, sessions.c.job_id,
                       sessions.c.host_properties, sessions.c.started_at, sessions.c.ended_at,
                       jobs.c.name.label("job_name"), jobs.c.created_by.label("job_created_by"))
             .join(jobs, jobs.c.job_id == sessions.c.job_id)
             .where(sessions.c.farm_id == farm_id, sessions.c.started_at < end,
                    sa.or_(sessions.c.ended_at.is_(None), sessions.c.ended_at >= start)))
    if queue_ids:
        query = query.where(sessions.c.queue_id.in_(list(queue_ids)))
    if fleet_ids:
        query = query.where(sessions.c.fleet_id.in_(list(fleet_ids)))
    return list(conn.execute(query.order_by(sessions.c.started_at, sessions.c.session_id)))
