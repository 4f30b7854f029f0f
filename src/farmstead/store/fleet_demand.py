"""The demand on auto-scaling fleets: the few counts domain/fleet_scaling.py turns into a size.

Owns: the reads behind a fleet's Demand, all from counters and indexes, never a task scan:
READY tasks are the jobs' kept `count_ready` summed over the queues the fleet is ACTIVE-associated
with, but for queues a budget has stopped (their READY tasks are handed to no worker); busy and
recently active workers come from the fleet's workers (ix_workers_fleet_status) and their sessions
(ix_sessions_worker_open: per worker, its open or recently ended sessions).
Must not: decide anything (the domain turns these counts into a recommendation).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.domain.fleet_scaling import Demand
from farmstead.domain.statuses import QueueFleetAssociationStatus
from farmstead.store.schema import budgets, jobs, queue_fleet_associations, sessions, workers


def demands(conn: Connection, fleet_ids: Iterable[str], active_since: datetime) -> dict[str, Demand]:
    """Each fleet's Demand; a worker counts as recently active when it registered or had a session
    open at or after `active_since` (now minus the idle delay)."""
    ids = list(fleet_ids)
    if not ids:
        return {}
    association = queue_fleet_associations
    ready_query = (sa.select(association.c.fleet_id, sa.func.coalesce(sa.func.sum(jobs.c.count_ready), 0))
                   # farm and queue: on SQLite, ix_jobs_queue_counts answers the sum from the index alone.
                   .select_from(association.join(jobs, sa.and_(jobs.c.farm_id == association.c.farm_id,
                                                               jobs.c.queue_id == association.c.queue_id)))
                   .where(association.c.fleet_id.in_(ids), association.c.status == QueueFleetAssociationStatus.ACTIVE,
                          ~sa.exists().where(budgets.c.queue_id == association.c.queue_id,
                                             budgets.c.queue_stopped_at.is_not(None)))
                   .group_by(association.c.fleet_id))
    ready = {fleet_id: int(n) for fleet_id, n in conn.execute(ready_query)}
    open_session = sa.exists().where(sessions.c.worker_id == workers.c.worker_id, sessions.c.ended_at.is_(None))
    recent_session = sa.exists().where(sessions.c.worker_id == workers.c.worker_id,
                                       sa.or_(sessions.c.ended_at.is_(None), sessions.c.ended_at >= active_since))
    busy = sa.func.sum(sa.case((open_session, 1), else_=0))
    recent = sa.func.sum(sa.case((sa.or_(workers.c.created_at >= active_since, recent_session), 1), else_=0))
    worker_query = (sa.select(workers.c.fleet_id, busy, recent).where(workers.c.fleet_id.in_(ids))
                    .group_by(workers.c.fleet_id))
    counted = {fleet_id: (int(b or 0), int(r or 0)) for fleet_id, b, r in conn.execute(worker_query)}
    return {fleet_id: Demand(ready_tasks=ready.get(fleet_id, 0), busy_workers=counted.get(fleet_id, (0, 0))[0],
                             recently_active_workers=counted.get(fleet_id, (0, 0))[1])
            for fleet_id in ids}
