"""The reserved tag's syntax and the verdict on a waiting job (docs/self-managing.md, "Job dependencies")."""

from __future__ import annotations

import pytest

from farmstead.domain import job_dependencies
from farmstead.domain.job_dependencies import Condition, Verdict

A, B = "job-" + "a" * 32, "job-" + "b" * 32


@pytest.mark.parametrize(("value", "expected"), [
    (A, (Condition.AFTEROK, [A])),
    (f"{A},{B}", (Condition.AFTEROK, [A, B])),
    (f"afterany:{A}, {B}", (Condition.AFTERANY, [A, B])),
    (f"afternotok:{A},{A}", (Condition.AFTERNOTOK, [A])),
])
def test_the_tag_names_a_condition_and_jobs(value, expected):
    assert job_dependencies.parse(value) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("", "names no job"), ("afterok:", "names no job"), (f"after:{A}", "unknown condition"),
    ("render", "is not a job id"), (",".join(f"job-{i:032x}" for i in range(21)), "at most 20"),
])
def test_a_tag_it_cannot_read_says_why(value, problem):
    assert problem in job_dependencies.parse(value)


@pytest.mark.parametrize(("condition", "statuses", "verdict"), [
    ("afterok", ["SUCCEEDED", "SUCCEEDED"], Verdict.RELEASE),
    ("afterok", ["SUCCEEDED", "RUNNING"], Verdict.WAIT),
    ("afterok", ["FAILED", "RUNNING"], Verdict.NEVER),
    ("afterok", ["CANCELED"], Verdict.NEVER),
    ("afterok", ["SUSPENDED"], Verdict.WAIT),
    ("afterany", ["FAILED", "SUCCEEDED"], Verdict.RELEASE),
    ("afterany", ["FAILED", "READY"], Verdict.WAIT),
    ("afternotok", ["FAILED", "RUNNING"], Verdict.RELEASE),
    ("afternotok", ["SUCCEEDED", "RUNNING"], Verdict.WAIT),
    ("afternotok", ["SUCCEEDED", "CANCELED"], Verdict.NEVER),
])
def test_a_waiting_job_is_released_waits_or_can_never_run(condition, statuses, verdict):
    assert job_dependencies.verdict(condition, statuses) is verdict


def test_the_waiting_message_says_what_it_waits_for():
    assert job_dependencies.waiting_message("afterany", [A]) == f"Waiting for {A} to end (farmstead:after afterany)"
