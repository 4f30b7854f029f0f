"""The sizes recommended for auto-scaling fleets, from their demand: GetFleet/ListFleets and the
Fleet Size Recommendation Change event read them here (the metrics scrape does the same in one
batch, metrics/farm.py), so every place reports the same number.

Owns: pairing the store's demand read (store/fleet_demand.py) with the domain's recommendation.
Must not: decide the size itself (domain/fleet_scaling.py does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain.fleet_scaling import EVENT_BASED, Demand, ScalingRule, recommendation
from farmstead.store import fleet_demand


def mode_of(row: Any) -> str:
    return str(((row.configuration or {}).get("customerManaged") or {}).get("mode", ""))


def demands(conn: Connection, fleet_ids: Iterable[str], now: datetime, rule: ScalingRule) -> dict[str, Demand]:
    """Each fleet's demand, a worker counting as recently active within the rule's idle delay."""
    return fleet_demand.demands(conn, fleet_ids, now - timedelta(seconds=rule.idle_seconds))


def recommendations(conn: Connection, rows: Iterable[Any], worker_counts: Mapping[str, int], now: datetime,
                    rule: ScalingRule) -> dict[str, tuple[int | None, str | None]]:
    """fleet_id -> (targetWorkerCount, autoScalingStatus) for the fleet `rows`; one demand read for
    the auto-scaling ones, none at all when no fleet auto-scales."""
    rows = list(rows)
    scaling = [row.fleet_id for row in rows if mode_of(row) == EVENT_BASED]
    demanded = demands(conn, scaling, now, rule) if scaling else {}
    return {row.fleet_id: recommendation(mode_of(row), worker_counts[row.fleet_id], row.min_worker_count,
                                         row.max_worker_count, demanded.get(row.fleet_id), rule)
            for row in rows}
