"""The auto-scaling recommendation GetFleet/ListFleets, the RecommendedFleetSize metric and the Fleet
Size Recommendation Change event report for a customer-managed fleet.

Owns: targetWorkerCount/autoScalingStatus from the fleet's mode, worker count, bounds and demand.
Must not: touch storage or HTTP (the store reads the demand: store/fleet_demand.py).

A customer-managed fleet scales itself; with EVENT_BASED_AUTO_SCALING the service only recommends a
size, and a scaler (`farmstead scaler`, docs/fleets.md) acts on it. The size wanted is the workers busy
now plus enough workers for the READY tasks the fleet can run (`tasks_per_worker` of them each). The
fleet shrinks only by workers idle longer than the idle delay: a worker that ran a session (or
registered) within it is kept, so a queue that refills between two jobs does not bounce the fleet.
The result is clamped to [minWorkerCount, maxWorkerCount]. NO_SCALING fleets get no recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The customer-managed fleet mode that gets a recommended size.
EVENT_BASED = "EVENT_BASED_AUTO_SCALING"


@dataclass(frozen=True)
class Demand:
    """What a fleet is asked to do now, read from the store's counters (cheap: no task scan)."""

    #: READY tasks of the jobs in the queues the fleet is ACTIVE-associated with.
    ready_tasks: int = 0
    #: The fleet's workers with an open session.
    busy_workers: int = 0
    #: The fleet's workers busy (or registered) within the idle delay; includes the busy ones.
    recently_active_workers: int = 0


@dataclass(frozen=True)
class ScalingRule:
    """The farm's scaling settings (docs/fleets.md, "Scaling")."""

    #: READY tasks one more worker is wanted for.
    tasks_per_worker: int = 1
    #: A worker is scaled in only once it has had no session (and not registered) for this long.
    idle_seconds: float = 300.0


#: The settings' defaults.
DEFAULT_RULE = ScalingRule()

#: No demand known: the recommendation only keeps the fleet inside its bounds.
NO_DEMAND = Demand()


def wanted_size(demand: Demand, tasks_per_worker: int) -> int:
    """Workers the demand asks for before the bounds: the busy ones, one more per `tasks_per_worker`
    READY tasks (rounded up), and never fewer than those still inside their idle delay."""
    per_worker = max(1, tasks_per_worker)
    for_ready = -(-demand.ready_tasks // per_worker)
    return max(demand.busy_workers + for_ready, demand.recently_active_workers)


def recommendation(mode: str, worker_count: int, min_workers: int, max_workers: int,
                   demand: Demand | None = None, rule: ScalingRule = DEFAULT_RULE) -> tuple[int | None, str | None]:
    """(targetWorkerCount, autoScalingStatus); (None, None) when the fleet does not auto-scale.
    Without `demand` the fleet's current size stands in for it (kept inside the bounds)."""
    if mode != EVENT_BASED:
        return None, None
    wanted = worker_count if demand is None else wanted_size(demand, rule.tasks_per_worker)
    target = max(min_workers, min(wanted, max_workers))
    if target > worker_count:
        return target, "GROWING"
    if target < worker_count:
        return target, "SHRINKING"
    return target, "STEADY"
