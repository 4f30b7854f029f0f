"""The dispatch queries: which steps have work for a fleet, and claiming one task atomically.

Bounded work per call: candidates come from the step rows' READY counters (never a scan over
tasks), and the claim reads one row through the (step_id, run_status, task_index) index.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Row

from farmstead.domain import job_lifecycles, worker_states
from farmstead.domain.statuses import QueueFleetAssociationStatus, TaskRunStatus
from farmstead.store import blocklists
from farmstead.store.pipelines import Pipelined
from farmstead.store.schema import budgets, jobs, queue_fleet_associations, queues, sessions, steps, tasks, workers
from farmstead.store.statements import one_of

CLAIMABLE_LIFECYCLES = job_lifecycles.LIVE


#: A budget action stopped the job's queue (orchestration/budgets.py keeps `queue_stopped_at` set
#: exactly while the stop is in force): an index probe on budgets.queue_id, usually finding nothing.
_QUEUE_STOPPED = sa.exists().where(budgets.c.queue_id == jobs.c.queue_id, budgets.c.queue_stopped_at.is_not(None))

_OPEN_SESSIONS_OF_JOB = (sa.select(sa.func.count()).select_from(sessions)
                         .where(sessions.c.job_id == jobs.c.job_id, sessions.c.ended_at.is_(None))
                         .scalar_subquery())


def _candidate_steps(blocked) -> sa.Select:
    """The candidate query, `blocked` its worker_blocked column."""
    return (
        sa.select(steps.c.step_id, steps.c.job_id, steps.c.step_index, steps.c.host_requirements,
                  steps.c.count_ready, jobs.c.queue_id, jobs.c.farm_id, jobs.c.priority, jobs.c.created_at,
                  jobs.c.max_worker_count, jobs.c.task_failure_retry_count, jobs.c.count_failed,
                  jobs.c.count_running, queues.c.attributes.label("queue_attributes"),
                  _OPEN_SESSIONS_OF_JOB.label("open_sessions"),
                  # Is the asking worker blocklisted on the job (docs/self-managing.md): a primary-key probe.
                  blocked.label("worker_blocked"))
        .join(jobs, jobs.c.job_id == steps.c.job_id)
        .join(queues, queues.c.queue_id == jobs.c.queue_id)
        .join(queue_fleet_associations, sa.and_(queue_fleet_associations.c.queue_id == jobs.c.queue_id,
                                                queue_fleet_associations.c.fleet_id == sa.bindparam("b_fleet_id")))
        .where(queue_fleet_associations.c.status == QueueFleetAssociationStatus.ACTIVE, steps.c.count_ready > 0,
               one_of(jobs.c.lifecycle_status, CLAIMABLE_LIFECYCLES), jobs.c.dispatch_held.is_(False),
               jobs.c.waiting_for_jobs.is_(False), ~_QUEUE_STOPPED)
        .order_by(jobs.c.priority.desc(), jobs.c.created_at, jobs.c.job_id, steps.c.step_index)
        .limit(sa.bindparam("b_limit"))
    )


#: Built once (bind parameters): every idle worker's heartbeat runs it, and building and cache-keying
#: a statement of this size costs more than SQLite answering it.
_CANDIDATE_STEPS = _candidate_steps(blocklists.blocked_on("b_worker_id"))
#: The same without the blocklist probe: the bad-worker rules off (Settings.bad_worker_rules).
_CANDIDATE_STEPS_ANYONE = _candidate_steps(sa.false())


_CANDIDATE_STEPS_PIPELINED = Pipelined(_CANDIDATE_STEPS, "candidate")
_CANDIDATE_STEPS_ANYONE_PIPELINED = Pipelined(_CANDIDATE_STEPS_ANYONE, "candidate")


def candidate_steps_statement(fleet_id: str, worker_id: str | None = None,
                              limit: int = 200) -> tuple[Pipelined, dict[str, Any]]:
    """`candidate_steps` as a statement to send along with others (store/pipelines.py): its
    answer's rows are what candidate_steps would return at that point of the transaction."""
    if worker_id is None:
        return _CANDIDATE_STEPS_ANYONE_PIPELINED, {"b_fleet_id": fleet_id, "b_limit": limit}
    return _CANDIDATE_STEPS_PIPELINED, {"b_fleet_id": fleet_id, "b_worker_id": worker_id, "b_limit": limit}


def candidate_steps(conn: Connection, fleet_id: str, worker_id: str | None = None, limit: int = 200) -> list[Row]:
    """Steps with READY tasks, in jobs of queues associated ACTIVE with the fleet, best-first by
    priorityFifo; `worker_blocked` says whether `worker_id` is blocklisted on the step's job (with no
    worker, the bad-worker rules off: never)."""
    if worker_id is None:
        return list(conn.execute(_CANDIDATE_STEPS_ANYONE, {"b_fleet_id": fleet_id, "b_limit": limit}))
    return list(conn.execute(_CANDIDATE_STEPS, {"b_fleet_id": fleet_id, "b_worker_id": worker_id, "b_limit": limit}))


_CLAIMED_COLUMNS = (tasks.c.task_id, tasks.c.step_id, tasks.c.job_id, tasks.c.parameters,
                    tasks.c.failure_retry_count, tasks.c.task_index)
#: "Fail a task once" (docs/self-managing.md): a worker skips the READY tasks it failed last; the
#: scan stays on the (step_id, run_status, task_index) index, the marker read from the rows it visits.
_NOT_FAILED_BY_WORKER = sa.func.coalesce(tasks.c.last_failed_worker_id, "") != sa.bindparam("b_worker_id")
_FIRST_READY = (sa.select(tasks.c.task_id)
                .where(tasks.c.step_id == sa.bindparam("b_step_id"), tasks.c.run_status == TaskRunStatus.READY,
                       _NOT_FAILED_BY_WORKER)
                .order_by(tasks.c.task_index).limit(sa.bindparam("b_count")))
#: Built once, as the statements below: run on every dispatch, where building and cache-keying a
#: fresh statement costs more than the database running it.
_SQLITE_CLAIM = (tasks.update().where(tasks.c.task_id.in_(_FIRST_READY), tasks.c.run_status == TaskRunStatus.READY)
                 .values(run_status=TaskRunStatus.ASSIGNED).returning(*_CLAIMED_COLUMNS))
#: PostgreSQL: the same in one statement; the rows another replica holds are skipped, not waited
#: on, and the READY guard keeps a task that changed meanwhile (e.g. canceled) from being taken. The
#: picked ids go in as one array (an InitPlan, run once, then primary-key lookups): as an IN
#: subquery or a join, a planner without statistics scans every READY task of the farm and
#: rescans the pick for each (EXPLAIN on a fresh table).
_PG_PICKED = sa.select(sa.func.array_agg(sa.literal_column("task_id"))).select_from(
    _FIRST_READY.with_for_update(skip_locked=True).subquery("picked")).scalar_subquery()
_PG_CLAIM = (tasks.update()
             .where(tasks.c.task_id == sa.any_(sa.cast(_PG_PICKED, ARRAY(sa.String))),
                    tasks.c.run_status == TaskRunStatus.READY)
             .values(run_status=TaskRunStatus.ASSIGNED).returning(*_CLAIMED_COLUMNS))
#: What topping up a session needs, in one read: may its job hand out work, is its queue still
#: associated ACTIVE with its fleet, and its step's host requirements and READY count.
_SESSION_STEP_COLUMNS = (jobs.c.lifecycle_status, jobs.c.dispatch_held, _QUEUE_STOPPED.label("queue_stopped"),
                         queue_fleet_associations.c.status.label("association_status"),
                         steps.c.step_id, steps.c.host_requirements, steps.c.count_ready)
_STARTED_IN_FLEET = (sa.select(sa.func.count()).select_from(workers)
                     .where(workers.c.fleet_id == sa.bindparam("b_fleet_id"),
                            workers.c.status == worker_states.TAKING_WORK)
                     .scalar_subquery())


def _session_step(*extra) -> sa.Select:
    return (sa.select(*_SESSION_STEP_COLUMNS, *extra)
            .select_from(steps.join(jobs, jobs.c.job_id == steps.c.job_id)
                         .outerjoin(queue_fleet_associations,
                                    sa.and_(queue_fleet_associations.c.queue_id == jobs.c.queue_id,
                                            queue_fleet_associations.c.fleet_id == sa.bindparam("b_fleet_id"))))
            .where(steps.c.step_id == sa.bindparam("b_step_id"), steps.c.job_id == sa.bindparam("b_job_id")))


_SESSION_STEP = _session_step()
#: The same with the fleet's STARTED workers counted, in the same round trip (a top-up that queues
#: tasks ahead needs them: domain/worker_sessions.counts_fleet).
_SESSION_STEP_AND_FLEET = _session_step(_STARTED_IN_FLEET.label("started_workers"))

def claim_ready_tasks(conn: Connection, step_id: str, count: int, worker_id: str = "") -> list[Row]:
    """Take up to `count` of the step's first READY tasks (READY -> ASSIGNED), in task order, guarded
    so that two workers never get one task. Tasks whose last failed run was `worker_id`'s are
    skipped ("" skips none: the fallback when no other worker exists)."""
    # "*" is no worker's id: with it, no task is skipped.
    params = {"b_step_id": step_id, "b_count": count, "b_worker_id": worker_id or "*"}
    # SQLite: one writer at a time, so selecting and claiming in one UPDATE ... RETURNING (SQLite >=
    # 3.35) is safe as it is; PostgreSQL: one statement too (a select then an update was a round
    # trip more per top-up), its rows locked as they are picked.
    statement = _SQLITE_CLAIM if conn.dialect.name == "sqlite" else _PG_CLAIM
    return sorted(conn.execute(statement, params).all(), key=lambda row: row.task_index)


class SessionStep(NamedTuple):
    step_id: str
    host_requirements: Any
    count_ready: int
    claimable: bool
    #: The fleet's STARTED workers, when asked for (`with_started_workers`); else None.
    started_workers: int | None = None


def session_step(conn: Connection, job_id: str, step_id: str, fleet_id: str, *,
                 with_started_workers: bool = False) -> SessionStep | None:
    """The step of a session with `claimable` (its job may hand out work: not held by a queued
    change, its queue not stopped by a budget and associated ACTIVE with the fleet), host_requirements and count_ready,
    and, `with_started_workers`, the fleet's STARTED workers in the same statement; None when the
    step is gone."""
    statement = _SESSION_STEP_AND_FLEET if with_started_workers else _SESSION_STEP
    row = conn.execute(statement, {"b_job_id": job_id, "b_step_id": step_id, "b_fleet_id": fleet_id}).first()
    if row is None:
        return None
    return SessionStep(row.step_id, row.host_requirements, row.count_ready,
                       row.lifecycle_status in CLAIMABLE_LIFECYCLES
                       and row.association_status == QueueFleetAssociationStatus.ACTIVE
                       and not row.dispatch_held and not row.queue_stopped,
                       row.started_workers if with_started_workers else None)
