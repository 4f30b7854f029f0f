"""The dispatch queries: which steps have work for a fleet, and claiming one task atomically.

Bounded work per call: candidates come from the step rows' READY counters (never a scan over
tasks), and the claim reads one row through the (step_id, run_status, task_index) index.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import jobs, queue_fleet_associations, queues, sessions, steps, tasks

CLAIMABLE_LIFECYCLES = ("CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_SUCCEEDED", "UPDATE_FAILED")


def candidate_steps(conn: Connection, fleet_id: str, limit: int = 200) -> list[Row]:
    """Steps with READY tasks, in jobs of queues associated ACTIVE with the fleet, best-first by priorityFifo."""
    open_sessions = (sa.select(sa.func.count()).select_from(sessions)
                     .where(sessions.c.job_id == jobs.c.job_id, sessions.c.ended_at.is_(None))
                     .scalar_subquery())
    query = (
        sa.select(steps.c.step_id, steps.c.job_id, steps.c.step_index, steps.c.host_requirements,
                  steps.c.count_ready, jobs.c.queue_id, jobs.c.farm_id, jobs.c.priority, jobs.c.created_at,
                  jobs.c.max_worker_count, jobs.c.task_failure_retry_count, jobs.c.count_failed,
                  jobs.c.count_running, queues.c.attributes.label("queue_attributes"),
                  open_sessions.label("open_sessions"))
        .join(jobs, jobs.c.job_id == steps.c.job_id)
        .join(queues, queues.c.queue_id == jobs.c.queue_id)
        .join(queue_fleet_associations, sa.and_(queue_fleet_associations.c.queue_id == jobs.c.queue_id,
                                                queue_fleet_associations.c.fleet_id == fleet_id))
        .where(queue_fleet_associations.c.status == "ACTIVE", steps.c.count_ready > 0,
               jobs.c.lifecycle_status.in_(CLAIMABLE_LIFECYCLES))
        .order_by(jobs.c.priority.desc(), jobs.c.created_at, jobs.c.job_id, steps.c.step_index)
        .limit(limit)
    )
    return list(conn.execute(query))


_FIRST_READY = (sa.select(tasks.c.task_id)
                .where(tasks.c.step_id == sa.bindparam("b_step_id"), tasks.c.run_status == "READY")
                .order_by(tasks.c.task_index).limit(1).scalar_subquery())
#: Built once, as the statements below: run on every dispatch, where building and cache-keying a
#: fresh statement costs more than the database running it.
_SQLITE_CLAIM = (tasks.update().where(tasks.c.task_id == _FIRST_READY, tasks.c.run_status == "READY")
                 .values(run_status="ASSIGNED")
                 .returning(tasks.c.task_id, tasks.c.step_id, tasks.c.job_id, tasks.c.parameters,
                            tasks.c.failure_retry_count))
_ASSOCIATION_STATUS = sa.select(queue_fleet_associations.c.status).where(
    queue_fleet_associations.c.queue_id == sa.bindparam("b_queue_id"),
    queue_fleet_associations.c.fleet_id == sa.bindparam("b_fleet_id"))
_JOB_LIFECYCLE = sa.select(jobs.c.lifecycle_status).where(jobs.c.job_id == sa.bindparam("b_job_id"))


def claim_ready_task(conn: Connection, step_id: str) -> Row | None:
    """Take the step's first READY task: READY -> ASSIGNED, guarded so two workers never get one task."""
    if conn.dialect.name == "sqlite":
        # One writer at a time on SQLite: select-and-claim in one UPDATE ... RETURNING (SQLite >= 3.35).
        return conn.execute(_SQLITE_CLAIM, {"b_step_id": step_id}).first()
    for _ in range(5):
        query = (sa.select(tasks.c.task_id, tasks.c.step_id, tasks.c.job_id, tasks.c.parameters,
                           tasks.c.failure_retry_count)
                 .where(tasks.c.step_id == step_id, tasks.c.run_status == "READY")
                 .order_by(tasks.c.task_index).limit(1))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = conn.execute(query).first()
        if row is None:
            return None
        claimed = conn.execute(tasks.update().where(tasks.c.task_id == row.task_id, tasks.c.run_status == "READY")
                               .values(run_status="ASSIGNED")).rowcount
        if claimed:
            return row
    return None


def queue_row(conn: Connection, queue_id: str) -> Row | None:
    return conn.execute(sa.select(queues).where(queues.c.queue_id == queue_id)).first()


def association_active(conn: Connection, queue_id: str, fleet_id: str) -> bool:
    return conn.execute(_ASSOCIATION_STATUS, {"b_queue_id": queue_id, "b_fleet_id": fleet_id}).scalar() == "ACTIVE"


def job_claimable(conn: Connection, job_id: str) -> Any:
    return conn.execute(_JOB_LIFECYCLE, {"b_job_id": job_id}).scalar() in CLAIMABLE_LIFECYCLES
