"""Choosing what a worker runs next, from candidates the store hands in (docs/queues.md, Scheduling).

Owns: the eligibility of a candidate step for one worker (host requirements against the worker's
own capabilities, the job's maxWorkerCount), the order among eligible ones by each queue's
scheduling configuration, and the bad-worker rules (docs/self-managing.md): when a worker's
failures put it on a job's blocklist, and when a worker may still take work it failed or is
blocked from. Must not: query anything; the store found the candidates, failures and workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from farmstead.domain.host_requirements import worker_satisfies


@dataclass(frozen=True)
class Candidate:
    """A step of a job with READY tasks, as dispatch sees it."""

    job_id: str
    step_id: str
    queue_id: str
    priority: int
    submitted_at: datetime
    #: Workers holding an open session on the job right now.
    workers_on_job: int
    #: None or -1: no maximum.
    max_worker_count: int | None
    host_requirements: dict[str, Any] | None
    #: The job's failed runs so far (retries plus FAILED tasks), for weightedBalanced's error term.
    failed_runs: int
    #: Tasks of the job running now, for weightedBalanced's rendering-task term.
    rendering_tasks: int
    step_index: int = 0


def eligible(candidate: Candidate, worker_capabilities: dict[str, Any] | None,
             limit_amount_names: Iterable[str] = ()) -> bool:
    if candidate.max_worker_count not in (None, -1) and candidate.workers_on_job >= candidate.max_worker_count:
        return False
    return worker_satisfies(candidate.host_requirements, worker_capabilities or {"amounts": [], "attributes": []},
                            limit_amount_names=limit_amount_names)


def _mode(configuration: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    configuration = configuration or {"priorityFifo": {}}
    for mode in ("weightedBalanced", "priorityBalanced", "priorityFifo"):
        if mode in configuration:
            return mode, configuration[mode] or {}
    return "priorityFifo", {}


def weight(candidate: Candidate, settings: dict[str, Any], now: datetime, *,
           current_job_id: str | None = None) -> float:
    """weightedBalanced's formula with the model's documented defaults."""
    buffer = settings.get("renderingTaskBuffer", 1) if candidate.job_id == current_job_id else 0
    return float(candidate.priority * settings.get("priorityWeight", 100.0)
            + candidate.failed_runs * settings.get("errorWeight", -10.0)
            + (now - candidate.submitted_at).total_seconds() * settings.get("submissionTimeWeight", 3.0)
            + (candidate.rendering_tasks - buffer) * settings.get("renderingTaskWeight", -100.0))


def _key(candidate: Candidate, configuration: dict[str, Any] | None, now: datetime,
         current_job_id: str | None) -> tuple[Any, ...]:
    mode, settings = _mode(configuration)
    submitted = candidate.submitted_at.timestamp()
    if mode == "weightedBalanced":
        override = 0
        if candidate.priority == 100 and "alwaysScheduleFirst" in (settings.get("maxPriorityOverride") or {}):
            override = -1
        if candidate.priority == 0 and "alwaysScheduleLast" in (settings.get("minPriorityOverride") or {}):
            override = 1
        return (override, -weight(candidate, settings, now, current_job_id=current_job_id), 0, submitted,
                candidate.step_index, candidate.job_id)
    if mode == "priorityBalanced":
        # Spread workers over the highest-priority jobs: fewest workers first; the job a worker is on
        # keeps it unless another has fewer by more than the buffer.
        workers = candidate.workers_on_job
        if candidate.job_id == current_job_id:
            workers -= 1 + settings.get("renderingTaskBuffer", 1)
        return (0, -candidate.priority, workers, submitted, candidate.step_index, candidate.job_id)
    return (0, -candidate.priority, 0, submitted, candidate.step_index, candidate.job_id)


def choose(candidates: list[Candidate], *, worker_capabilities: dict[str, Any] | None,
           scheduling: dict[str, dict[str, Any] | None],
           now: datetime, current_job_id: str | None = None,
           limit_amount_names: dict[str, list[str]] | None = None) -> list[Candidate]:
    """Eligible candidates, best first. Queues keep their own rule; across queues the keys compare as
    tuples, which orders mixed fifo/balanced queues by priority first (weighted queues by weight).
    `limit_amount_names` per queue: amounts a queue's limits count, which workers don't offer."""
    names = limit_amount_names or {}
    usable = [c for c in candidates if eligible(c, worker_capabilities, names.get(c.queue_id, ()))]
    return sorted(usable, key=lambda c: _key(c, scheduling.get(c.queue_id), now, current_job_id))


#: Tasks a session holds at once: the one it runs and the next, so that a worker goes from one task
#: to the next without waiting for a heartbeat (the agent runs listed actions in order).
QUEUE_DEPTH = 2
#: When the worker reports tasks of the session that ran short, about this much work is queued
#: (by their mean run time), up to MAX_QUEUE_DEPTH tasks: otherwise a worker of sub-second tasks
#: spends much of its time asking for work. Kept short so the tail of a job still spreads out.
LOOKAHEAD_SECONDS = 2.0
MAX_QUEUE_DEPTH = 32


def queue_depth(run_seconds: list[float]) -> int:
    """How many unfinished tasks a session may hold, from the run times of its tasks just reported."""
    if not run_seconds:
        return QUEUE_DEPTH
    mean = max(sum(run_seconds) / len(run_seconds), LOOKAHEAD_SECONDS / MAX_QUEUE_DEPTH)
    return max(QUEUE_DEPTH, min(MAX_QUEUE_DEPTH, int(LOOKAHEAD_SECONDS / mean)))


# --- bad workers (docs/self-managing.md) ---------------------------------------------------------

#: Queue tags that set the bad-worker rules for the queue's jobs: settings beyond the API model,
#: set with CreateQueue's tags or TagResource on the queue, so any client can set them.
BLOCKLIST_AFTER_TAG = "farmstead:blocklistAfterFailures"
USABLE_WHEN_IDLE_TAG = "farmstead:blocklistedUsableWhenIdle"
#: A worker that failed this many runs of one job's tasks is blocklisted for the job (0: never).
DEFAULT_BLOCKLIST_AFTER = 3
DEFAULT_USABLE_WHEN_IDLE = True


@dataclass(frozen=True)
class BadWorkerSettings:
    blocklist_after: int = DEFAULT_BLOCKLIST_AFTER
    #: A blocklisted worker may still take the job when no other eligible worker exists.
    usable_when_idle: bool = DEFAULT_USABLE_WHEN_IDLE


def bad_worker_settings(queue_tags: Mapping[str, str]) -> BadWorkerSettings:
    """The queue's settings from its tags; a tag that is absent keeps the default."""
    settings = BadWorkerSettings()
    if BLOCKLIST_AFTER_TAG in queue_tags:
        settings = BadWorkerSettings(int(queue_tags[BLOCKLIST_AFTER_TAG]), settings.usable_when_idle)
    if USABLE_WHEN_IDLE_TAG in queue_tags:
        settings = BadWorkerSettings(settings.blocklist_after, queue_tags[USABLE_WHEN_IDLE_TAG].lower() == "true")
    return settings


#: Fleet tags: a worker with this many failed runs, across jobs, within the window is disabled.
DISABLE_AFTER_TAG = "farmstead:disableAfterFailures"
FAILURE_WINDOW_TAG = "farmstead:failureWindowSeconds"
DEFAULT_FAILURE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class FleetFailureRule:
    #: 0: off (the default).
    disable_after: int = 0
    window_seconds: int = DEFAULT_FAILURE_WINDOW_SECONDS


def fleet_failure_rule(fleet_tags: Mapping[str, str]) -> FleetFailureRule:
    return FleetFailureRule(int(fleet_tags.get(DISABLE_AFTER_TAG, 0)),
                            int(fleet_tags.get(FAILURE_WINDOW_TAG, DEFAULT_FAILURE_WINDOW_SECONDS)))


def disable_reason(failures: int, rule: FleetFailureRule) -> str | None:
    """Why a worker with `failures` failed runs within the fleet's window is disabled, or None."""
    if not rule.disable_after or failures < rule.disable_after:
        return None
    return (f"{failures} failed runs within {rule.window_seconds} s, across jobs ({DISABLE_AFTER_TAG} "
            f"{rule.disable_after}): a node gone bad")


def setting_tag_problem(key: str, value: str) -> str | None:
    """Why a queue or fleet tag's value can't be one of the settings above (None: it can, or it is no
    setting); checked when the tag is set, so reading it back never fails."""
    if key in (BLOCKLIST_AFTER_TAG, DISABLE_AFTER_TAG) and not (value.isdigit() and int(value) <= 1000):
        return f"Tag {key} must be a whole number of failures from 0 (off) to 1000."
    if key == FAILURE_WINDOW_TAG and not (value.isdigit() and 1 <= int(value) <= 7 * 24 * 3600):
        return f"Tag {key} must be a whole number of seconds from 1 to {7 * 24 * 3600}."
    if key == USABLE_WHEN_IDLE_TAG and value.lower() not in ("true", "false"):
        return f"Tag {key} must be true or false."
    return None


def blocklists(failures: int, settings: BadWorkerSettings) -> bool:
    """Whether a worker with `failures` failed runs on one job is now blocklisted for it."""
    return settings.blocklist_after > 0 and failures >= settings.blocklist_after


def not_blocked(candidates: list[Candidate], blocked_jobs: set[str]) -> list[Candidate]:
    """The candidates of jobs the worker is not blocklisted on, in the given order."""
    if not blocked_jobs:
        return candidates
    return [c for c in candidates if c.job_id not in blocked_jobs]


def may_fall_back(*, blocked: bool, other_eligible_worker: bool, settings: BadWorkerSettings) -> bool:
    """Whether a worker may take a task it has just failed, or a job it is blocklisted on: only when
    no other eligible worker exists (else the job would stall, never fail), and for a blocklisted
    job only when the queue lets blocklisted workers work when idle."""
    if other_eligible_worker:
        return False
    return settings.usable_when_idle or not blocked
