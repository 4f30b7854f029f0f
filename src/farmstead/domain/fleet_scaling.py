"""The auto-scaling recommendation GetFleet/ListFleets, the RecommendedFleetSize metric and the Fleet
Size Recommendation Change event report for a customer-managed fleet.

Owns: targetWorkerCount/autoScalingStatus from the fleet's mode, worker count, bounds and demand, and
how much READY work a step's tasks are (their expected run time).
Must not: touch storage or HTTP (orchestration/fleet_sizes.py gathers the demand).

A customer-managed fleet scales itself; with EVENT_BASED_AUTO_SCALING the service only recommends a
size, and a scaler (`farmstead scaler`, docs/fleets.md) acts on it. The size wanted is the workers busy
now plus enough workers for the READY work the fleet can run: a READY task expected to run
`task_seconds` or longer is a whole task, a shorter one the share of it its run time is (one worker
runs short tasks back to back), and a worker is wanted per `tasks_per_worker` whole tasks. The fleet
shrinks only by workers idle longer than the idle delay: a worker that ran a session (or registered)
within it is kept, so a queue that refills between two jobs does not bounce the fleet. The result is
clamped to [minWorkerCount, maxWorkerCount]. NO_SCALING fleets get no recommendation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The customer-managed fleet mode that gets a recommended size.
EVENT_BASED = "EVENT_BASED_AUTO_SCALING"


@dataclass(frozen=True)
class ReadyStep:
    """One step's READY tasks that the fleet can run (its host requirements fit the fleet)."""

    ready_tasks: int
    #: The mean run time of the step's succeeded tasks; None before any has succeeded.
    expected_seconds: float | None = None


@dataclass(frozen=True)
class Demand:
    """What a fleet is asked to do now, read from the store's counters (cheap: no task scan)."""

    #: The steps with READY tasks the fleet can run, in the queues it is ACTIVE-associated with.
    ready_steps: tuple[ReadyStep, ...] = ()
    #: The fleet's workers with an open session.
    busy_workers: int = 0
    #: The fleet's workers busy (or registered) within the idle delay; includes the busy ones.
    recently_active_workers: int = 0


@dataclass(frozen=True)
class ScalingRule:
    """The farm's scaling settings (docs/fleets.md, "Scaling")."""

    #: Whole READY tasks one more worker is wanted for.
    tasks_per_worker: int = 1
    #: A worker is scaled in only once it has had no session (and not registered) for this long.
    idle_seconds: float = 300.0
    #: A READY task expected to run this long or longer counts whole; a shorter one counts as its run
    #: time's share of this. Also the run time expected of a step none of whose tasks has succeeded.
    task_seconds: float = 300.0


#: The settings' defaults.
DEFAULT_RULE = ScalingRule()

#: No demand known: the recommendation only keeps the fleet inside its bounds.
NO_DEMAND = Demand()


def expected_seconds(timed_runs: int, timed_seconds: float) -> float | None:
    """A step's expected task run time from its succeeded runs (count and summed seconds)."""
    return timed_seconds / timed_runs if timed_runs > 0 else None


def ready_work(steps: tuple[ReadyStep, ...], rule: ScalingRule) -> float:
    """The READY tasks in whole tasks: each weighs its expected run time over `task_seconds`, at most 1
    (a task runs on one worker however long it is)."""
    full = rule.task_seconds
    work = 0.0
    for step in steps:
        seconds = full if step.expected_seconds is None else step.expected_seconds
        weight = 1.0 if full <= 0 else min(1.0, seconds / full)
        work += step.ready_tasks * weight
    return work


def wanted_size(demand: Demand, rule: ScalingRule) -> int:
    """Workers the demand asks for before the bounds: the busy ones, one more per `tasks_per_worker`
    whole READY tasks (rounded up: any READY work wants a worker), and never fewer than those still
    inside their idle delay."""
    per_worker = max(1, rule.tasks_per_worker)
    # The rounding slack keeps 3 whole tasks at 3 workers whatever float sums make of them.
    for_ready = math.ceil(ready_work(demand.ready_steps, rule) / per_worker - 1e-9)
    if any(step.ready_tasks > 0 for step in demand.ready_steps):
        for_ready = max(1, for_ready)  # tasks that take no time at all still need a worker to run them
    return max(demand.busy_workers + max(0, for_ready), demand.recently_active_workers)


def recommendation(mode: str, worker_count: int, min_workers: int, max_workers: int,
                   demand: Demand | None = None, rule: ScalingRule = DEFAULT_RULE) -> tuple[int | None, str | None]:
    """(targetWorkerCount, autoScalingStatus); (None, None) when the fleet does not auto-scale.
    Without `demand` the fleet's current size stands in for it (kept inside the bounds)."""
    if mode != EVENT_BASED:
        return None, None
    wanted = worker_count if demand is None else wanted_size(demand, rule)
    target = max(min_workers, min(wanted, max_workers))
    if target > worker_count:
        return target, "GROWING"
    if target < worker_count:
        return target, "SHRINKING"
    return target, "STEADY"
