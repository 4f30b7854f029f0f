"""Jobs waiting on other jobs: the `job_dependencies` rows and `jobs.waiting_for_jobs`
(docs/self-managing.md, "Job dependencies"; the rules are domain/job_dependencies.py's)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import job_dependencies, jobs, steps, task_dependencies, tasks

D = job_dependencies
T = task_dependencies
upstream_tasks = tasks.alias("upstream_tasks")


def insert(conn: Connection, job_id: str, upstream: Sequence[str], condition: str) -> None:
    """The job's waits; its row is written first (its queue is read from it)."""
    queue_id = conn.execute(sa.select(jobs.c.queue_id).where(jobs.c.job_id == job_id)).scalar_one()
    conn.execute(D.insert(), [{"job_id": job_id, "upstream_job_id": up, "condition": condition, "queue_id": queue_id}
                              for up in upstream])


def jobs_in_farm(conn: Connection, farm_id: str, job_ids: Sequence[str]) -> dict[str, Row]:
    """The named jobs of the farm (job_id, queue_id, task_run_status, lifecycle_status) by id; others
    are left out."""
    rows = conn.execute(sa.select(jobs.c.job_id, jobs.c.queue_id, jobs.c.task_run_status, jobs.c.lifecycle_status)
                        .where(jobs.c.farm_id == farm_id, jobs.c.job_id.in_(list(job_ids))))
    return {row.job_id: row for row in rows}


def waiting_downstream(conn: Connection, upstream_job_id: str) -> list[str]:
    """The jobs still waiting that wait on this one (the index on upstream_job_id)."""
    return list(conn.execute(
        sa.select(D.c.job_id).join(jobs, jobs.c.job_id == D.c.job_id)
        .where(D.c.upstream_job_id == upstream_job_id, jobs.c.waiting_for_jobs.is_(True))).scalars())


def upstream_of(conn: Connection, job_id: str) -> list[Row]:
    """The job's upstream jobs: upstream_job_id, condition, name, queue_id, task_run_status."""
    return list(conn.execute(
        sa.select(D.c.upstream_job_id, D.c.condition, jobs.c.name, jobs.c.queue_id, jobs.c.task_run_status)
        .outerjoin(jobs, jobs.c.job_id == D.c.upstream_job_id).where(D.c.job_id == job_id)
        .order_by(D.c.upstream_job_id)))


def downstream_of(conn: Connection, job_id: str) -> list[Row]:
    """The jobs that wait (or waited) on this one: job_id, condition, name, queue_id, task_run_status."""
    return list(conn.execute(
        sa.select(D.c.job_id, D.c.condition, jobs.c.name, jobs.c.queue_id, jobs.c.task_run_status)
        .join(jobs, jobs.c.job_id == D.c.job_id).where(D.c.upstream_job_id == job_id).order_by(jobs.c.created_at)))


def edges_in_queue(conn: Connection, queue_id: str, limit: int = 200) -> list[Row]:
    """The dependencies of the queue's jobs, newest waiting job first: job_id, name, task_run_status,
    waiting_for_jobs, upstream_job_id, upstream_name, upstream_queue_id, upstream_status, condition."""
    downstream, upstream = jobs.alias("downstream"), jobs.alias("upstream")
    return list(conn.execute(
        sa.select(D.c.job_id, downstream.c.name, downstream.c.task_run_status, downstream.c.waiting_for_jobs,
                  D.c.upstream_job_id, upstream.c.name.label("upstream_name"),
                  upstream.c.queue_id.label("upstream_queue_id"),
                  upstream.c.task_run_status.label("upstream_status"), D.c.condition)
        .join(downstream, downstream.c.job_id == D.c.job_id)
        .outerjoin(upstream, upstream.c.job_id == D.c.upstream_job_id)
        .where(D.c.queue_id == queue_id)
        .order_by(downstream.c.created_at.desc(), D.c.upstream_job_id).limit(limit)))


# --- frame by frame (farmstead:after frame:JOB): task_dependencies --------------------------------

def set_has_frame_dependents(conn: Connection, job_id: str) -> None:
    conn.execute(jobs.update().where(jobs.c.job_id == job_id, jobs.c.has_frame_dependents.is_(False))
                 .values(has_frame_dependents=True))


def step_names(conn: Connection, job_id: str) -> list[str]:
    return list(conn.execute(sa.select(steps.c.name).where(steps.c.job_id == job_id)
                             .order_by(steps.c.step_index)).scalars())


def tasks_of_step(conn: Connection, job_id: str, step_name: str) -> list[Row]:
    """The step's tasks (task_id, step_id, parameters, run_status), at job creation only."""
    return list(conn.execute(
        sa.select(tasks.c.task_id, tasks.c.step_id, tasks.c.parameters, tasks.c.run_status)
        .join(steps, steps.c.step_id == tasks.c.step_id)
        .where(steps.c.job_id == job_id, steps.c.name == step_name)))


def insert_task_links(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(T.insert(), rows)


def delete_task_links(conn: Connection, task_ids: Sequence[str]) -> None:
    if task_ids:
        conn.execute(T.delete().where(T.c.task_id.in_(list(task_ids))))


_WAITERS = sa.select(T.c.task_id, T.c.job_id, tasks.c.step_id).join(tasks, tasks.c.task_id == T.c.task_id)


def waiters_of_task(conn: Connection, upstream_task_id: str) -> list[Row]:
    """The tasks waiting on this one (the index on upstream_task_id): task_id, job_id, step_id."""
    return list(conn.execute(_WAITERS.where(T.c.upstream_task_id == upstream_task_id)))


def waiters_of_job(conn: Connection, upstream_job_id: str) -> list[Row]:
    """The tasks still waiting on the job's tasks (the index on upstream_job_id): task_id, job_id,
    step_id, upstream_status."""
    return list(conn.execute(
        _WAITERS.add_columns(upstream_tasks.c.run_status.label("upstream_status"))
        .join(upstream_tasks, upstream_tasks.c.task_id == T.c.upstream_task_id)
        .where(T.c.upstream_job_id == upstream_job_id)))
