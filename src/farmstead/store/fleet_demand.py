"""The demand on auto-scaling fleets: the counts orchestration/fleet_sizes.py turns into a Demand.

Owns: the reads behind a fleet's Demand, all from counters and indexes, never a task scan: the steps
with READY tasks are found through their jobs' kept `count_ready` in the queues the fleet is
ACTIVE-associated with (but for queues a budget has stopped: their READY tasks are handed to no
worker), then those jobs' steps' own `count_ready`, host requirements and run-time
counters (`timed_run_count`, `timed_run_seconds`); busy and recently active workers come from the
fleet's workers (ix_workers_fleet_status) and their sessions (ix_sessions_worker_open: per worker,
its open or recently ended sessions).
Must not: decide anything (which steps a fleet can run, and the size: orchestration and the domain).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.domain.statuses import QueueFleetAssociationStatus
from farmstead.store.driver_reads import DriverSelect
from farmstead.store.schema import (
    budgets,
    jobs,
    queue_fleet_associations,
    sessions,
    steps,
    workers,
)


class ReadyStepRow(NamedTuple):
    fleet_id: str
    queue_id: str
    host_requirements: Any  # the step's OpenJD hostRequirements, decoded; None when it has none
    ready_tasks: int
    timed_run_count: int
    timed_run_seconds: float

#: Built once, read per fleet on the sqlite3 driver directly (store/driver_reads.py): a queue of
#: hundreds of READY jobs is as many rows, and Core's per-row machinery cost several times the query.
_READY_STEPS = DriverSelect(
    # The requirements as stored (text on SQLite): most steps of a queue share a few, decoded once each.
    sa.select(queue_fleet_associations.c.fleet_id, queue_fleet_associations.c.queue_id,
              sa.type_coerce(steps.c.host_requirements, sa.Text()).label("host_requirements"),
              steps.c.count_ready.label("ready_tasks"), steps.c.timed_run_count, steps.c.timed_run_seconds)
    .select_from(queue_fleet_associations
                 # farm and queue first: on SQLite, ix_jobs_queue_counts finds the jobs with READY tasks.
                 .join(jobs, sa.and_(jobs.c.farm_id == queue_fleet_associations.c.farm_id,
                                     jobs.c.queue_id == queue_fleet_associations.c.queue_id))
                 .join(steps, steps.c.job_id == jobs.c.job_id))
    .where(queue_fleet_associations.c.fleet_id == sa.bindparam("b_fleet_id"),
           queue_fleet_associations.c.status == QueueFleetAssociationStatus.ACTIVE.value,
           jobs.c.count_ready > 0, steps.c.count_ready > 0,
           ~sa.exists().where(budgets.c.queue_id == queue_fleet_associations.c.queue_id,
                              budgets.c.queue_stopped_at.is_not(None))), "ReadyStep")


def ready_steps(conn: Connection, fleet_ids: Iterable[str]) -> list[ReadyStepRow]:
    """(fleet_id, queue_id, host_requirements, ready_tasks, timed_run_count, timed_run_seconds) of
    every step with READY tasks in the queues each fleet is ACTIVE-associated with."""
    decoded: dict[str, Any] = {}

    def requirements(stored: Any) -> Any:
        if not isinstance(stored, str):  # PostgreSQL's driver gives JSONB decoded
            return stored
        if stored not in decoded:
            decoded[stored] = json.loads(stored)
        return decoded[stored]
    return [ReadyStepRow(row.fleet_id, row.queue_id, requirements(row.host_requirements), row.ready_tasks,
                         row.timed_run_count, row.timed_run_seconds)
            for fleet_id in fleet_ids for row in _READY_STEPS.all(conn, {"b_fleet_id": fleet_id})]


def worker_activity(conn: Connection, fleet_ids: Iterable[str], active_since: datetime) -> dict[str, tuple[int, int]]:
    """fleet_id -> (busy workers, recently active workers); a worker counts as recently active when it
    registered or had a session open at or after `active_since` (now minus the idle delay)."""
    ids = list(fleet_ids)
    if not ids:
        return {}
    open_session = sa.exists().where(sessions.c.worker_id == workers.c.worker_id, sessions.c.ended_at.is_(None))
    recent_session = sa.exists().where(sessions.c.worker_id == workers.c.worker_id,
                                       sa.or_(sessions.c.ended_at.is_(None), sessions.c.ended_at >= active_since))
    busy = sa.func.sum(sa.case((open_session, 1), else_=0))
    recent = sa.func.sum(sa.case((sa.or_(workers.c.created_at >= active_since, recent_session), 1), else_=0))
    query = (sa.select(workers.c.fleet_id, busy, recent).where(workers.c.fleet_id.in_(ids))
             .group_by(workers.c.fleet_id))
    return {fleet_id: (int(b or 0), int(r or 0)) for fleet_id, b, r in conn.execute(query)}
