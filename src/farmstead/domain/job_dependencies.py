"""Job-to-job dependencies (docs/self-managing.md, "Job dependencies"): a job waits on other jobs
with Slurm's conditions, expressed through CreateJob's `tags` under one reserved key.

Owns: the reserved tag's syntax, its conditions, and the verdict on a waiting job from its upstream
jobs' statuses. Must not: query anything (orchestration/job_dependencies.py applies the verdicts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum, StrEnum

from farmstead.domain.statuses import TaskRunStatus as S

#: The reserved job tag: `[afterok:|afterany:|afternotok:]JOB[,JOB...]` (Slurm's `--dependency`).
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
        return (f"Tag {AFTER_TAG}: unknown condition {condition!r}; use afterok, afterany or afternotok "
                "(e.g. afterok:job-1...,job-2...).")
    ids = [part.strip() for part in rest.split(",") if part.strip()]
    if not ids:
        return f"Tag {AFTER_TAG} names no job."
    bad = [job_id for job_id in ids if not _JOB_ID.fullmatch(job_id)]
    if bad:
        return f"Tag {AFTER_TAG}: {bad[0][:80]!r} is not a job id."
    if len(set(ids)) > MAX_UPSTREAM:
        return f"Tag {AFTER_TAG} names {len(set(ids))} jobs; at most {MAX_UPSTREAM} are allowed."
    return Condition(condition), list(dict.fromkeys(ids))


def verdict(condition: str, upstream_statuses: Iterable[str]) -> Verdict:
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


def waiting_message(condition: str, upstream: list[str]) -> str:
    what = {Condition.AFTEROK: "to succeed", Condition.AFTERANY: "to end",
            Condition.AFTERNOTOK: "to fail"}[Condition(condition)]
    return f"Waiting for {', '.join(upstream)} {what} ({AFTER_TAG} {condition})"


def never_setting_problem(key: str, value: str) -> str | None:
    if key == NEVER_SATISFIED_TAG and value not in ("cancel", "wait"):
        return f"Tag {key} must be cancel or wait."
    return None
