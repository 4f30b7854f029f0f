"""Whether a run is stuck, and what its canceled end counts as (docs/self-managing.md, "Stuck tasks")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain import stuck_tasks
from farmstead.domain.stuck_tasks import StuckLimits

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def reason(*, ran: float, quiet: float | None = None, has_timeout: bool = False, max_run: int = 0,
           no_output: int = 0) -> str | None:
    now = T0 + timedelta(seconds=ran)
    last = None if quiet is None else now - timedelta(seconds=quiet)
    return stuck_tasks.stuck_reason(now=now, started_at=T0, last_output_at=last, has_timeout=has_timeout,
                                    limits=StuckLimits(max_run, no_output))


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"ran": 100}, None),                                                     # no limits: never stuck
    ({"ran": 59, "max_run": 60}, None),
    ({"ran": 61, "max_run": 60}, "maximum run time of 60 s"),
    ({"ran": 61, "max_run": 60, "has_timeout": True}, None),                 # the template's timeout rules
    ({"ran": 61, "quiet": 1, "no_output": 30}, None),                        # it writes
    ({"ran": 61, "quiet": 31, "no_output": 30}, "no log output for 31 s"),
    ({"ran": 31, "no_output": 30}, "no log output for 31 s"),               # never wrote since it started
    ({"ran": 20, "quiet": 100, "no_output": 30}, None),                      # output from before this run
    ({"ran": 61, "quiet": 61, "max_run": 60, "no_output": 30}, "maximum run time"),
])
def test_a_run_is_stuck_past_its_queues_limits(kwargs, expected):
    found = reason(**kwargs)
    assert (found is None) if expected is None else (expected in found)


@pytest.mark.parametrize(("tags", "limits"), [
    ({}, StuckLimits(0, 0)), ({"farmstead:maxRunSeconds": "7200"}, StuckLimits(7200, 0)),
    ({"farmstead:noOutputSeconds": "600", "other": "x"}, StuckLimits(0, 600)),
])
def test_the_limits_come_from_the_queue_tags_and_are_off_by_default(tags, limits):
    assert stuck_tasks.limits(tags) == limits


@pytest.mark.parametrize(("value", "refused"), [("0", False), ("600", False), ("604800", False),
                                                 ("604801", True), ("-5", True), ("10m", True)])
def test_a_limit_tag_must_be_whole_seconds(value, refused):
    assert (stuck_tasks.tag_problem("farmstead:noOutputSeconds", value) is not None) is refused


def test_the_onrun_timeout_is_read_from_the_step_template():
    assert stuck_tasks.template_timeout({"script": {"actions": {"onRun": {"command": "x", "timeout": 30}}}}) == 30
    assert stuck_tasks.template_timeout({"script": {"actions": {"onRun": {"command": "x"}}}}) is None
    assert stuck_tasks.template_timeout(None) is None


@pytest.mark.parametrize(("target", "completed", "fails"), [
    (stuck_tasks.STUCK, "CANCELED", True), (stuck_tasks.STUCK, "INTERRUPTED", True),
    (stuck_tasks.STUCK, "FAILED", True), (stuck_tasks.STUCK, "SUCCEEDED", False),
    ("READY", "CANCELED", False), (None, "CANCELED", False),
])
def test_the_confirmed_cancel_of_a_stuck_run_is_its_failure(target, completed, fails):
    assert stuck_tasks.confirmation_fails(target, completed) is fails
