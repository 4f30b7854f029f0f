"""Bad workers: each worker's failed runs per job, the workers blocklisted per job, and the queue
tags that set the rules (docs/self-managing.md; the rules are domain/scheduling.py's).

Owns: the `job_worker_failures` table, `tasks.last_failed_worker_id`, and the one question the
dispatch fallback asks: does another worker exist that could take the job. Dispatch's hot path reads
the blocklist inside its candidate query (store/dispatch.py, a primary-key probe per candidate).
Must not: decide when a worker is blocklisted or may fall back.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import QueueFleetAssociationStatus, SessionActionStatus, WorkerStatus
from farmstead.store.schema import (
    job_worker_failures,
    jobs,
    queue_fleet_associations,
    session_actions,
    sessions,
    tags,
    tasks,
    workers,
)

F = job_worker_failures


def settings_tags(conn: Connection, farm_id: str, queue_id: str, fleet_id: str) -> tuple[dict[str, str],
                                                                                       dict[str, str]]:
    """The Farmstead tags of the queue and of the fleet, in one read (a failure's settings)."""
    queue_arn, fleet_arn = f"%:farm/{farm_id}/queue/{queue_id}", f"%:farm/{farm_id}/fleet/{fleet_id}"
    found: tuple[dict[str, str], dict[str, str]] = ({}, {})
    for row in conn.execute(sa.select(tags.c.resource_arn, tags.c.key, tags.c.value)
                            .where(sa.or_(tags.c.resource_arn.like(queue_arn), tags.c.resource_arn.like(fleet_arn)),
                                   tags.c.key.like("farmstead:%"))):
        found[0 if "/queue/" in row.resource_arn else 1][row.key] = row.value
    return found


def failures_since(conn: Connection, worker_id: str, since: datetime) -> int:
    """The worker's failures counted on the jobs whose latest failure of it is since `since` (the
    fleet rule's window; the index on worker_id)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(F.c.failures), 0))
                            .where(F.c.worker_id == worker_id, F.c.last_failed_at >= since)).scalar_one())


def queue_tags(conn: Connection, farm_id: str, queue_id: str) -> dict[str, str]:
    """The queue's tags, found by the end of its ARN (the engine has no ARN prefix; read only when a
    task fails or dispatch falls back, never on the hot path)."""
    rows = conn.execute(sa.select(tags.c.key, tags.c.value)
                        .where(tags.c.resource_arn.like(f"%:farm/{farm_id}/queue/{queue_id}"),
                               tags.c.key.like("farmstead:%")))
    return {row.key: row.value for row in rows}


class Counted(NamedTuple):
    failures: int
    blocked: bool


def count_failure(conn: Connection, job_id: str, worker_id: str, now: datetime) -> Counted:
    """One more failed run of the worker on the job, in one statement; its failures since the job's
    blocklist was last cleared, and whether it is blocklisted already."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(F).values(job_id=job_id, worker_id=worker_id, failures=1, last_failed_at=now)
    statement = insert.on_conflict_do_update(
        index_elements=[F.c.job_id, F.c.worker_id],
        set_={"failures": F.c.failures + 1, "last_failed_at": now}).returning(F.c.failures, F.c.blocked_at)
    row = conn.execute(statement).one()
    return Counted(row.failures, row.blocked_at is not None)


def block(conn: Connection, job_id: str, worker_id: str, now: datetime) -> None:
    conn.execute(F.update().where(F.c.job_id == job_id, F.c.worker_id == worker_id, F.c.blocked_at.is_(None))
                 .values(blocked_at=now))


def blocked_on(worker_id_parameter: str = "b_worker_id"):
    """An EXISTS for a query over jobs: the worker bound as `worker_id_parameter` is blocklisted on the row's job."""
    return sa.exists().where(F.c.job_id == jobs.c.job_id, F.c.worker_id == sa.bindparam(worker_id_parameter),
                             F.c.blocked_at.is_not(None))


def of_job(conn: Connection, job_id: str) -> list[Row]:
    """The job's blocklisted workers, first blocked first: worker_id, failures, blocked_at,
    last_failed_at, fleet_id, host_properties."""
    return list(conn.execute(
        sa.select(F.c.worker_id, F.c.failures, F.c.blocked_at, F.c.last_failed_at,
                  workers.c.fleet_id, workers.c.host_properties)
        .select_from(F.outerjoin(workers, workers.c.worker_id == F.c.worker_id))
        .where(F.c.job_id == job_id, F.c.blocked_at.is_not(None))
        .order_by(F.c.blocked_at, F.c.worker_id)))


def of_worker(conn: Connection, worker_id: str) -> list[Row]:
    """The jobs that blocklisted the worker: job_id, name, farm_id, queue_id, failures, blocked_at."""
    return list(conn.execute(
        sa.select(F.c.job_id, jobs.c.name, jobs.c.farm_id, jobs.c.queue_id, F.c.failures, F.c.blocked_at)
        .join(jobs, jobs.c.job_id == F.c.job_id)
        .where(F.c.worker_id == worker_id, F.c.blocked_at.is_not(None))
        .order_by(F.c.blocked_at)))


def of_fleet(conn: Connection, fleet_id: str) -> dict[str, list[Row]]:
    """`of_worker` for every worker of the fleet, by worker id, in one read."""
    rows = conn.execute(
        sa.select(F.c.worker_id, F.c.job_id, jobs.c.name, jobs.c.farm_id, jobs.c.queue_id, F.c.failures,
                  F.c.blocked_at)
        .join(jobs, jobs.c.job_id == F.c.job_id).join(workers, workers.c.worker_id == F.c.worker_id)
        .where(workers.c.fleet_id == fleet_id, F.c.blocked_at.is_not(None))
        .order_by(F.c.blocked_at))
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(row.worker_id, []).append(row)
    return found


def failed_runs(conn: Connection, job_id: str, worker_id: str, limit: int = 20) -> list[Row]:
    """The worker's latest failed runs on the job (the FAILED taskRuns of its sessions there):
    session_id, session_action_id, step_id, task_id, ended_at, process_exit_code."""
    return list(conn.execute(
        sa.select(session_actions.c.session_id, session_actions.c.session_action_id, session_actions.c.step_id,
                  session_actions.c.task_id, session_actions.c.ended_at, session_actions.c.process_exit_code)
        .join(sessions, sessions.c.session_id == session_actions.c.session_id)
        .where(sessions.c.job_id == job_id, sessions.c.worker_id == worker_id,
               session_actions.c.kind == "taskRun", session_actions.c.status == SessionActionStatus.FAILED)
        .order_by(session_actions.c.ended_at.desc()).limit(limit)))


def clear_worker(conn: Connection, job_id: str, worker_id: str) -> bool:
    """Takes the worker off the job's blocklist and forgets its failures there; whether it was on it."""
    blocked = conn.execute(sa.select(F.c.blocked_at).where(F.c.job_id == job_id, F.c.worker_id == worker_id)).first()
    conn.execute(F.delete().where(F.c.job_id == job_id, F.c.worker_id == worker_id))
    conn.execute(tasks.update().where(tasks.c.job_id == job_id, tasks.c.last_failed_worker_id == worker_id)
                 .values(last_failed_worker_id=None))
    return blocked is not None and blocked.blocked_at is not None


def clear_job(conn: Connection, job_id: str) -> None:
    """A requeued job starts afresh: no blocklist, no failures, no task marked failed by a worker."""
    conn.execute(F.delete().where(F.c.job_id == job_id))
    conn.execute(tasks.update().where(tasks.c.job_id == job_id, tasks.c.last_failed_worker_id.is_not(None))
                 .values(last_failed_worker_id=None))


def clear_task(conn: Connection, task_id: str) -> None:
    """A requeued task may go to any worker again."""
    conn.execute(tasks.update().where(tasks.c.task_id == task_id, tasks.c.last_failed_worker_id.is_not(None))
                 .values(last_failed_worker_id=None))


def other_worker_exists(conn: Connection, job_id: str, worker_id: str) -> bool:
    """Whether a STARTED worker other than `worker_id`, in a fleet associated ACTIVE with the job's
    queue and not blocklisted on the job, exists (whatever it runs now: it will come for the work)."""
    queue_id = sa.select(jobs.c.queue_id).where(jobs.c.job_id == job_id).scalar_subquery()
    blocked = sa.select(F.c.worker_id).where(F.c.job_id == job_id, F.c.blocked_at.is_not(None))
    query = (sa.select(workers.c.worker_id)
             .join(queue_fleet_associations, queue_fleet_associations.c.fleet_id == workers.c.fleet_id)
             .where(queue_fleet_associations.c.queue_id == queue_id,
                    queue_fleet_associations.c.status == QueueFleetAssociationStatus.ACTIVE,
                    workers.c.status == WorkerStatus.STARTED, workers.c.worker_id != worker_id,
                    workers.c.worker_id.not_in(blocked))
             .limit(1))
    return conn.execute(query).first() is not None
