"""The farm-wide counts a metrics scrape reports, read from what the store already keeps.

Owns: one bounded read per family. Task counts are the jobs' per-status counters summed per queue
(one pass over the job rows, never over tasks); workers per fleet and status are the counts kept with
each status change (store/worker_counts.py: a few rows, whatever the number of workers); open sessions
are counted from the partial index ix_sessions_open alone; the oldest heartbeat is one seek on
ix_workers_status_seen on SQLite, a scan of the worker rows on PostgreSQL (no index there, so that
heartbeats stay HOT updates: store/schema.py). bench/metrics_scrape.py measures the lot at 10^6 tasks
and 7,500 workers.
Must not: scan tasks or session actions: a scrape's cost must not grow with the work done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.domain.statuses import WorkerStatus
from farmstead.store import worker_counts
from farmstead.store.schema import (
    TASK_RUN_STATUSES,
    budgets,
    count_column_name,
    fleets,
    jobs,
    limits,
    sessions,
    workers,
)
from farmstead.store.types import UtcDateTime

#: Workers expected to heartbeat: the oldest of their last heartbeats is the farm's heartbeat lag.
HEARTBEATING = (WorkerStatus.STARTED.value, WorkerStatus.STOPPING.value)


class QueueJobs(NamedTuple):
    """The jobs of one queue in one task run status, and their tasks by status."""

    farm_id: str
    queue_id: str
    status: str
    jobs: int
    tasks: dict[str, int]


_TASK_SUMS = [sa.func.coalesce(sa.func.sum(jobs.c[count_column_name(s)]), 0).label(count_column_name(s))
              for s in TASK_RUN_STATUSES]
_QUEUE_JOBS = (sa.select(jobs.c.farm_id, jobs.c.queue_id, jobs.c.task_run_status, sa.func.count().label("n"),
                         *_TASK_SUMS)
               .group_by(jobs.c.farm_id, jobs.c.queue_id, jobs.c.task_run_status))
_OPEN_SESSIONS = (sa.select(sessions.c.fleet_id, sa.func.count().label("n"))
                  .where(sessions.c.ended_at.is_(None)).group_by(sessions.c.fleet_id))
#: In the index's order, so the first row that is not running its host configuration script (silent
#: by right until its timeout, as the sweeper counts it) ends the scan.
_OLDEST_HEARTBEAT = (sa.select(workers.c.last_seen_at)
                     .where(workers.c.status == sa.bindparam("b_status"),
                            sa.or_(workers.c.configuring_until.is_(None),
                                   workers.c.configuring_until < sa.bindparam("b_now", type_=UtcDateTime())))
                     .order_by(workers.c.last_seen_at).limit(1))
_FLEETS = sa.select(fleets.c.fleet_id, fleets.c.farm_id, fleets.c.configuration, fleets.c.min_worker_count,
                    fleets.c.max_worker_count)
_LIMITS = sa.select(limits.c.limit_id, limits.c.farm_id, limits.c.current_count, limits.c.max_count)
_BUDGETS = sa.select(budgets.c.budget_id, budgets.c.farm_id, budgets.c.queue_id, budgets.c.approximate_dollar_limit,
                     budgets.c.usage_dollars)


def queue_jobs(conn: Connection) -> list[QueueJobs]:
    """Per (queue, job task run status): how many jobs, and their tasks by run status."""
    # The sums follow the four grouping columns in TASK_RUN_STATUSES' order (_TASK_SUMS).
    return [QueueJobs(row[0], row[1], row[2], row[3], dict(zip(TASK_RUN_STATUSES, map(int, row[4:]), strict=True)))
            for row in conn.execute(_QUEUE_JOBS)]


def fleet_workers(conn: Connection) -> list[tuple[str, str, int]]:
    """(fleet id, stored worker status, count), zeros included once a status had workers: RUNNING/IDLE
    are derived per worker on read, not here."""
    return worker_counts.read(conn)


def open_sessions(conn: Connection) -> list[tuple[str, int]]:
    """(fleet id, sessions not ended)."""
    return [(row.fleet_id, row.n) for row in conn.execute(_OPEN_SESSIONS)]


def oldest_heartbeat(conn: Connection, now: datetime) -> datetime | None:
    """The oldest last heartbeat among the workers that should be heartbeating (not those running their
    host configuration script); None when there are none."""
    seen = [conn.execute(_OLDEST_HEARTBEAT, {"b_status": status, "b_now": now}).scalar() for status in HEARTBEATING]
    known = [at for at in seen if at is not None]
    return min(known) if known else None


def fleet_rows(conn: Connection) -> list[Any]:
    return list(conn.execute(_FLEETS))


def limit_rows(conn: Connection) -> list[Any]:
    return list(conn.execute(_LIMITS))


def budget_rows(conn: Connection) -> list[Any]:
    return list(conn.execute(_BUDGETS))
