"""The farm-wide gauges, read from the store on each scrape: every replica reports the same figures.

Owns: turning store/farm_metrics.py's reads (the counters Farmstead keeps, never a scan of tasks)
into metric families, one read transaction per scrape, and the pool figures of this process's engine.
RecommendedFleetSize and UnhealthyWorkerCount carry Deadline Cloud's CloudWatch names, so dashboards
and alerts written for those port as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from farmstead.clock import Clock
from farmstead.domain.fleet_scaling import EVENT_BASED, NO_DEMAND, Demand, ScalingRule, recommendation
from farmstead.domain.statuses import WorkerStatus
from farmstead.orchestration import fleet_sizes
from farmstead.store import farm_metrics
from farmstead.store.engine import Store

#: What UnhealthyWorkerCount counts: workers that stopped answering or cannot run the fleet's work.
UNHEALTHY = (WorkerStatus.NOT_RESPONDING.value, WorkerStatus.NOT_COMPATIBLE.value)


class FarmCollector(Collector):
    def __init__(self, store: Store, clock: Clock, scaling: ScalingRule) -> None:
        self._store = store
        self._clock = clock
        self._scaling = scaling

    def collect(self) -> Iterator[Any]:
        now = self._clock.now()
        with self._store.read() as conn:
            queue_jobs = farm_metrics.queue_jobs(conn)
            fleet_workers = farm_metrics.fleet_workers(conn)
            open_sessions = farm_metrics.open_sessions(conn)
            oldest = farm_metrics.oldest_heartbeat(conn, now)
            fleets = farm_metrics.fleet_rows(conn)
            demands = fleet_sizes.demands(conn, [row for row in fleets if _auto_scaling(row)], now, self._scaling)
            limits = farm_metrics.limit_rows(conn)
            budgets = farm_metrics.budget_rows(conn)
        yield from _queues(queue_jobs)
        yield from _fleets(fleets, fleet_workers, open_sessions, demands, self._scaling)
        lag = GaugeMetricFamily("farmstead_worker_heartbeat_lag_seconds",
                                "Seconds since the oldest last heartbeat of the workers that should be "
                                "heartbeating (STARTED, STOPPING); 0 when there are none")
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield lag
        yield from _limits(limits)
        yield from _budgets(budgets)
        yield from _pool(self._store)


def _queues(rows: list[farm_metrics.QueueJobs]) -> Iterator[GaugeMetricFamily]:
    labels = ["farm_id", "queue_id", "status"]
    jobs = GaugeMetricFamily("farmstead_jobs", "Jobs by task run status, per queue", labels=labels)
    tasks = GaugeMetricFamily("farmstead_tasks", "Tasks by run status, per queue (the jobs' counters summed)",
                              labels=labels)
    task_totals: dict[tuple[str, str, str], int] = {}
    for row in rows:
        jobs.add_metric([row.farm_id, row.queue_id, row.status], row.jobs)
        for status, count in row.tasks.items():
            key = (row.farm_id, row.queue_id, status)
            task_totals[key] = task_totals.get(key, 0) + count
    for key, count in task_totals.items():
        tasks.add_metric(list(key), count)
    yield jobs
    yield tasks


def _auto_scaling(row: Any) -> bool:
    return bool((row.configuration.get("customerManaged") or {}).get("mode") == EVENT_BASED)


def _fleets(fleets: list[Any], fleet_workers: list[tuple[str, str, int]], open_sessions: list[tuple[str, int]],
            demands: dict[str, Demand], scaling: ScalingRule) -> Iterator[GaugeMetricFamily]:
    farm_of = {row.fleet_id: row.farm_id for row in fleets}
    workers = GaugeMetricFamily("farmstead_workers", "Workers by stored status, per fleet",
                                labels=["farm_id", "fleet_id", "status"])
    total: dict[str, int] = {}
    unhealthy: dict[str, int] = {}
    for fleet_id, status, count in fleet_workers:
        if fleet_id not in farm_of:  # the counts a deleted fleet (without workers by then) left behind
            continue
        workers.add_metric([farm_of[fleet_id], fleet_id, status], count)
        total[fleet_id] = total.get(fleet_id, 0) + count
        if status in UNHEALTHY:
            unhealthy[fleet_id] = unhealthy.get(fleet_id, 0) + count
    sessions = GaugeMetricFamily("farmstead_sessions_open", "Sessions not ended, per fleet",
                                 labels=["farm_id", "fleet_id"])
    for fleet_id, count in open_sessions:
        sessions.add_metric([farm_of.get(fleet_id, ""), fleet_id], count)
    fleet_labels = ["farm_id", "fleet_id"]
    recommended = GaugeMetricFamily("RecommendedFleetSize", "Deadline Cloud's name: the worker count recommended "
                                    "for an auto-scaling customer-managed fleet", labels=fleet_labels)
    unhealthy_family = GaugeMetricFamily("UnhealthyWorkerCount", "Deadline Cloud's name: workers NOT_RESPONDING "
                                         "or NOT_COMPATIBLE, per fleet", labels=fleet_labels)
    for row in fleets:
        mode = (row.configuration.get("customerManaged") or {}).get("mode", "")
        target, _ = recommendation(mode, total.get(row.fleet_id, 0), row.min_worker_count, row.max_worker_count,
                                   demands.get(row.fleet_id, NO_DEMAND), scaling)
        if target is not None:
            recommended.add_metric([row.farm_id, row.fleet_id], target)
        unhealthy_family.add_metric([row.farm_id, row.fleet_id], unhealthy.get(row.fleet_id, 0))
    yield workers
    yield sessions
    yield recommended
    yield unhealthy_family


def _limits(rows: list[Any]) -> Iterator[GaugeMetricFamily]:
    labels = ["farm_id", "limit_id"]
    in_use = GaugeMetricFamily("farmstead_limit_in_use", "Amount of a limit held by running work", labels=labels)
    maximum = GaugeMetricFamily("farmstead_limit_max", "A limit's maximum (-1: unlimited)", labels=labels)
    for row in rows:
        in_use.add_metric([row.farm_id, row.limit_id], row.current_count)
        maximum.add_metric([row.farm_id, row.limit_id], row.max_count)
    yield in_use
    yield maximum


def _budgets(rows: list[Any]) -> Iterator[GaugeMetricFamily]:
    labels = ["farm_id", "budget_id", "queue_id"]
    limit = GaugeMetricFamily("farmstead_budget_limit_dollars", "A budget's approximate dollar limit", labels=labels)
    usage = GaugeMetricFamily("farmstead_budget_usage_dollars", "A budget's approximate dollar usage, as GetBudget "
                              "reports it (worker-hours at the fleets' rates, docs/fleets.md)", labels=labels)
    for row in rows:
        values = [row.farm_id, row.budget_id, row.queue_id or ""]
        limit.add_metric(values, row.approximate_dollar_limit)
        usage.add_metric(values, row.usage_dollars)
    yield limit
    yield usage


def _pool(store: Store) -> Iterator[GaugeMetricFamily]:
    """This process's connection pool (each replica has its own)."""
    pool = store.engine.pool
    connections = GaugeMetricFamily("farmstead_store_pool_connections",
                                    "This process's store connections: checked out (in use) and idle in the pool",
                                    labels=["state"])
    checked_out = getattr(pool, "checkedout", None)
    idle = getattr(pool, "checkedin", None)
    if checked_out is not None and idle is not None:
        connections.add_metric(["checked_out"], checked_out())
        connections.add_metric(["idle"], idle())
    size = GaugeMetricFamily("farmstead_store_pool_size", "Connections this process keeps open at most, overflow "
                             "not counted")
    pool_size = getattr(pool, "size", None)
    if pool_size is not None:
        size.add_metric([], pool_size())
    yield connections
    yield size
