"""Stuck tasks (docs/self-managing.md, "Stuck tasks"): a run that goes on past its queue's maximum run
time (when its template sets no `timeout`), or that writes no log output for too long, is canceled
through cancelSessionActions and counts as a failed run: it retries by the job's rules.

Owns: the queue tags that set the limits, whether a run is stuck and the reason written to its
session log, the cancel target that marks such a cancel, and how its confirmation counts.
Must not: query anything (orchestration/stuck_tasks.py finds the runs and cancels them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from farmstead.domain.cancel_targets import CancelTarget
from farmstead.domain.statuses import CompletedStatus

MAX_RUN_TAG = "farmstead:maxRunSeconds"
NO_OUTPUT_TAG = "farmstead:noOutputSeconds"
TAGS = (MAX_RUN_TAG, NO_OUTPUT_TAG)
#: A week: a longer limit is no limit worth checking.
MAX_LIMIT_SECONDS = 7 * 24 * 3600
#: The cancel target of a stuck run's action: not a task status. The task stays RUNNING until the
#: worker confirms the cancel, which then counts as the run's failure (`confirmation_fails`).
STUCK = CancelTarget.FARMSTEAD_STUCK


@dataclass(frozen=True)
class StuckLimits:
    #: 0: no limit. Applies only to a run whose step's onRun action sets no `timeout`.
    max_run_seconds: int = 0
    #: 0: no limit. Seconds the run's session may write nothing to its log.
    no_output_seconds: int = 0

    @property
    def any(self) -> bool:
        return bool(self.max_run_seconds or self.no_output_seconds)

    def shortest(self) -> int:
        return min(limit for limit in (self.max_run_seconds, self.no_output_seconds) if limit)


def limits(queue_tags: Mapping[str, str]) -> StuckLimits:
    """The queue's limits from its tags (values checked when set: `tag_problem`)."""
    return StuckLimits(int(queue_tags.get(MAX_RUN_TAG, 0)), int(queue_tags.get(NO_OUTPUT_TAG, 0)))


def tag_problem(key: str, value: str) -> str | None:
    if key in TAGS and not (value.isdigit() and int(value) <= MAX_LIMIT_SECONDS):
        return f"Tag {key} must be a whole number of seconds from 0 (off) to {MAX_LIMIT_SECONDS}."
    return None


def template_timeout(step_template: Mapping[str, Any] | None) -> Any:
    """The step's onRun `timeout` as the template gives it; None when it sets none."""
    script = (step_template or {}).get("script") or {}
    return ((script.get("actions") or {}).get("onRun") or {}).get("timeout")


def stuck_reason(*, now: datetime, started_at: datetime, last_output_at: datetime | None, has_timeout: bool,
                 limits: StuckLimits) -> str | None:
    """Why the run is stuck (the line written to its session log), or None while it is not."""
    running = (now - started_at).total_seconds()
    if limits.max_run_seconds and not has_timeout and running > limits.max_run_seconds:
        return (f"Farmstead canceled this task: it ran {int(running)} s, longer than its queue's maximum run time "
                f"of {limits.max_run_seconds} s ({MAX_RUN_TAG}; its template sets no timeout). "
                "It counts as a failed run and retries by the job's rules.")
    quiet_since = max(started_at, last_output_at) if last_output_at is not None else started_at
    quiet = (now - quiet_since).total_seconds()
    if limits.no_output_seconds and quiet > limits.no_output_seconds:
        return (f"Farmstead canceled this task: its session wrote no log output for {int(quiet)} s, longer than "
                f"its queue's limit of {limits.no_output_seconds} s ({NO_OUTPUT_TAG}). "
                "It counts as a failed run and retries by the job's rules.")
    return None


def confirmation_fails(cancel_target: str | None, completed: str) -> bool:
    """Whether the worker's report ending a stuck run's action counts as the run's failure: any end
    but SUCCEEDED (a run that finished just before the cancel arrived keeps its success)."""
    return cancel_target == STUCK and completed != CompletedStatus.SUCCEEDED
