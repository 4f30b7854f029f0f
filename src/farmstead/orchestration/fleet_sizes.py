"""The sizes recommended for auto-scaling fleets, from their demand: GetFleet/ListFleets, the
RecommendedFleetSize gauge (metrics/farm.py) and the Fleet Size Recommendation Change event
(orchestration/events.py) all read them here, so every place reports the same number.

Owns: the fleet's Demand from the store's reads (store/fleet_demand.py): only the READY tasks of
steps whose host requirements the fleet's declared capabilities fit (domain/host_requirements.py, as
at submission), each step with its expected run time; paired with the domain's recommendation.
Must not: decide the size itself (domain/fleet_scaling.py does) or write SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain.capabilities import fleet_capabilities
from farmstead.domain.fleet_scaling import EVENT_BASED, Demand, ReadyStep, ScalingRule, expected_seconds, recommendation
from farmstead.domain.host_requirements import step_fits_fleet
from farmstead.store import fleet_demand, limits


def mode_of(row: Any) -> str:
    return str(((row.configuration or {}).get("customerManaged") or {}).get("mode", ""))


def _capabilities(row: Any) -> Mapping[str, Any]:
    declared = ((row.configuration or {}).get("customerManaged") or {}).get("workerCapabilities")
    return fleet_capabilities(declared) if declared else {}


def demands(conn: Connection, fleet_rows: Iterable[Any], now: datetime, rule: ScalingRule) -> dict[str, Demand]:
    """Each fleet's demand (`fleet_rows`: fleet rows, for their capabilities), a worker counting as
    recently active within the rule's idle delay. Three reads whatever the number of fleets."""
    rows = list(fleet_rows)
    ids = [row.fleet_id for row in rows]
    if not ids:
        return {}
    capabilities = {row.fleet_id: _capabilities(row) for row in rows}
    ready_rows = fleet_demand.ready_steps(conn, ids)
    limit_names = limits.amount_names_for_queues(conn, (r.queue_id for r in ready_rows))
    ready: dict[str, list[ReadyStep]] = {}
    for r in ready_rows:
        # A step the fleet can't run waits for another fleet: it asks nothing of this one.
        if step_fits_fleet(r.host_requirements, capabilities[r.fleet_id],
                           limit_amount_names=limit_names.get(r.queue_id, ())):
            ready.setdefault(r.fleet_id, []).append(
                ReadyStep(int(r.ready_tasks), expected_seconds(int(r.timed_run_count), float(r.timed_run_seconds))))
    activity = fleet_demand.worker_activity(conn, ids, now - timedelta(seconds=rule.idle_seconds))
    return {fleet_id: Demand(ready_steps=tuple(ready.get(fleet_id, ())),
                             busy_workers=activity.get(fleet_id, (0, 0))[0],
                             recently_active_workers=activity.get(fleet_id, (0, 0))[1])
            for fleet_id in ids}


def recommendations(conn: Connection, rows: Iterable[Any], worker_counts: Mapping[str, int], now: datetime,
                    rule: ScalingRule) -> dict[str, tuple[int | None, str | None]]:
    """fleet_id -> (targetWorkerCount, autoScalingStatus) for the fleet `rows`; one demand read for
    the auto-scaling ones, none at all when no fleet auto-scales."""
    rows = list(rows)
    scaling = [row for row in rows if mode_of(row) == EVENT_BASED]
    demanded = demands(conn, scaling, now, rule) if scaling else {}
    return {row.fleet_id: recommendation(mode_of(row), worker_counts[row.fleet_id], row.min_worker_count,
                                         row.max_worker_count, demanded.get(row.fleet_id), rule)
            for row in rows}
