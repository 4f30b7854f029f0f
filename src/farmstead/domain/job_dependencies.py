"""Job-to-job dependencies (docs/self-managing.md, "Job dependencies"): a job waits on other jobs
with Slurm's conditions, expressed through CreateJob's `tags` under one reserved key.

Owns: the reserved tag's syntax, its conditions, and the verdict on a waiting job from its upstream
jobs' statuses. Must not: query anything (orchestration/job_dependencies.py applies the verdicts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import Enum, StrEnum
from typing import Any

from farmstead.domain.statuses import TaskRunStatus as S

#: The reserved job tag: `[afterok:|afterany:|afternotok:]JOB[,JOB...]` (Slurm's `--dependency`), or
#: `frame:JOB`: each task waits on the upstream job's task with the same parameters (OpenCue's frame
#: dependencies).
AFTER_TAG = "farmstead:after"
#: The queue tag for a dependency that can no longer hold: `cancel` (the default) or `wait`.
NEVER_SATISFIED_TAG = "farmstead:dependencyNeverSatisfied"
MAX_UPSTREAM = 20
_JOB_ID = re.compile(r"job-[0-9a-f]{32}")
#: Upstream statuses that end a job for good (SUSPENDED waits to be resumed).
ENDED = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.NOT_COMPATIBLE})


class Condition(StrEnum):
    AFTEROK = "afterok"
    """Released when every upstream job SUCCEEDED; never when one ended otherwise."""
    AFTERANY = "afterany"
    """Released when every upstream job ended, however it ended."""
    AFTERNOTOK = "afternotok"
    """Released when an upstream job FAILED; never when all ended without one failing."""
    FRAME = "frame"
    """Task by task: each task is released when the upstream job's task with the same parameters
    SUCCEEDED, and can no longer be when that task ended otherwise (`frame_verdict`)."""


class Verdict(Enum):
    WAIT = "WAIT"
    RELEASE = "RELEASE"
    NEVER = "NEVER"


def parse(value: str) -> tuple[Condition, list[str]] | str:
    """(condition, upstream job ids) from the tag's value, or what is wrong with it."""
    condition, separator, rest = value.partition(":")
    if not separator:
        condition, rest = Condition.AFTEROK, value
    elif condition not in set(Condition):
        return (f"Tag {AFTER_TAG}: unknown condition {condition!r}; use afterok, afterany, afternotok "
                "or frame (e.g. afterok:job-1...,job-2...).")
    ids = [part.strip() for part in rest.split(",") if part.strip()]
    if not ids:
        return f"Tag {AFTER_TAG} names no job."
    bad = [job_id for job_id in ids if not _JOB_ID.fullmatch(job_id)]
    if bad:
        return f"Tag {AFTER_TAG}: {bad[0][:80]!r} is not a job id."
    if condition == Condition.FRAME and len(set(ids)) > 1:
        return f"Tag {AFTER_TAG}: frame names one job, not {len(set(ids))}."
    if len(set(ids)) > MAX_UPSTREAM:
        return f"Tag {AFTER_TAG} names {len(set(ids))} jobs; at most {MAX_UPSTREAM} are allowed."
    return Condition(condition), list(dict.fromkeys(ids))


def verdict(condition: str, upstream_statuses: Iterable[str]) -> Verdict:
    """The job's verdict. A job waiting frame by frame never waits as a whole: its tasks do."""
    if condition == Condition.FRAME:
        return Verdict.RELEASE
    statuses = [S(status) for status in upstream_statuses]
    ended = all(status in ENDED for status in statuses)
    if condition == Condition.AFTEROK:
        if all(status is S.SUCCEEDED for status in statuses):
            return Verdict.RELEASE
        return Verdict.NEVER if any(s in ENDED and s is not S.SUCCEEDED for s in statuses) else Verdict.WAIT
    if condition == Condition.AFTERANY:
        return Verdict.RELEASE if ended else Verdict.WAIT
    if any(status is S.FAILED for status in statuses):
        return Verdict.RELEASE
    return Verdict.NEVER if ended else Verdict.WAIT


def frame_verdict(upstream_task_status: str) -> Verdict:
    """A task waiting frame by frame, from its upstream task's status: a requeued task waits again."""
    status = S(upstream_task_status)
    if status is S.SUCCEEDED:
        return Verdict.RELEASE
    return Verdict.NEVER if status in ENDED else Verdict.WAIT


def followed_step(step_name: str, upstream_step_names: list[str]) -> str | None:
    """The upstream step a step follows frame by frame: the one of the same name, else the upstream
    job's only step; None when neither rule applies (CreateJob refuses the job)."""
    if step_name in upstream_step_names:
        return step_name
    return upstream_step_names[0] if len(upstream_step_names) == 1 else None


def parameter_key(parameters: dict[str, Any] | None) -> str:
    """A task's parameters (the API's union form, {"Frame": {"int": "7"}}) as one comparable string:
    two tasks match when they have the same parameter names with the same typed values."""
    return json.dumps(parameters or {}, sort_keys=True, separators=(",", ":"))


def waiting_message(condition: str, upstream: list[str]) -> str:
    what = {Condition.AFTEROK: "to succeed", Condition.AFTERANY: "to end",
            Condition.AFTERNOTOK: "to fail", Condition.FRAME: "to succeed frame by frame"}[Condition(condition)]
    return f"Waiting for {', '.join(upstream)} {what} ({AFTER_TAG} {condition})"


def never_setting_problem(key: str, value: str) -> str | None:
    if key == NEVER_SATISFIED_TAG and value not in ("cancel", "wait"):
        return f"Tag {key} must be cancel or wait."
    return None
