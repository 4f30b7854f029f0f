"""The auto-scaling recommendation GetFleet/ListFleets report for a customer-managed fleet.

Owns: targetWorkerCount/autoScalingStatus from the fleet's mode, worker count and bounds.
Must not: touch storage or HTTP.

A customer-managed fleet scales itself; with EVENT_BASED_AUTO_SCALING the service only recommends a
size. Until scheduling feeds in demand, the recommendation keeps the fleet inside its
[minWorkerCount, maxWorkerCount] bounds. NO_SCALING fleets get no recommendation at all.
"""

from __future__ import annotations

#: The customer-managed fleet mode that gets a recommended size.
EVENT_BASED = "EVENT_BASED_AUTO_SCALING"


def recommendation(mode: str, worker_count: int, min_workers: int, max_workers: int) -> tuple[int | None, str | None]:
    """(targetWorkerCount, autoScalingStatus); (None, None) when the fleet does not auto-scale."""
    if mode != EVENT_BASED:
        return None, None
    target = max(min_workers, min(worker_count, max_workers))
    if target > worker_count:
        return target, "GROWING"
    if target < worker_count:
        return target, "SHRINKING"
    return target, "STEADY"
