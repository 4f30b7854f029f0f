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
    (f"frame:{A}", (Condition.FRAME, [A])),
])
def test_the_tag_names_a_condition_and_jobs(value, expected):
    assert job_dependencies.parse(value) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("", "names no job"), ("afterok:", "names no job"), (f"after:{A}", "unknown condition"),
    ("render", "is not a job id"), (f"frame:{A},{B}", "frame names one job, not 2"),
    (",".join(f"job-{i:032x}" for i in range(21)), "at most 20"),
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


@pytest.mark.parametrize(("upstream_status", "verdict"), [
    ("SUCCEEDED", Verdict.RELEASE), ("FAILED", Verdict.NEVER), ("CANCELED", Verdict.NEVER),
    ("NOT_COMPATIBLE", Verdict.NEVER), ("READY", Verdict.WAIT), ("RUNNING", Verdict.WAIT),
    ("PENDING", Verdict.WAIT), ("SUSPENDED", Verdict.WAIT), ("INTERRUPTING", Verdict.WAIT),
])
def test_a_task_waiting_frame_by_frame_follows_its_upstream_task(upstream_status, verdict):
    assert job_dependencies.frame_verdict(upstream_status) is verdict


def test_a_job_waiting_frame_by_frame_never_waits_as_a_whole():
    assert job_dependencies.verdict("frame", ["FAILED"]) is Verdict.RELEASE


@pytest.mark.parametrize(("step", "upstream_steps", "followed"), [
    ("Render", ["Render", "Encode"], "Render"),   # the step of the same name
    ("Comp", ["Render"], "Render"),               # else the upstream job's only step
    ("Render", ["Render"], "Render"),
    ("Comp", ["Render", "Encode"], None),         # neither rule: CreateJob refuses
    ("Comp", [], None),
])
def test_a_step_follows_the_upstream_step_of_its_name_else_the_only_one(step, upstream_steps, followed):
    assert job_dependencies.followed_step(step, upstream_steps) == followed


def test_tasks_match_by_parameter_names_and_typed_values_in_any_order():
    key = job_dependencies.parameter_key
    assert key({"Frame": {"int": "7"}, "Eye": {"string": "L"}}) == key({"Eye": {"string": "L"}, "Frame": {"int": "7"}})
    assert key({"Frame": {"int": "7"}}) != key({"Frame": {"int": "8"}})
    assert key({"Frame": {"int": "7"}}) != key({"Frame": {"float": "7"}})
    assert key({"Frame": {"int": "7"}}) != key({"Frame": {"int": "7"}, "Eye": {"string": "L"}})
    assert key(None) == key({})
