"""Which queues a customer-managed fleet may serve, and its auto-scaling recommendation."""

import pytest

from farmstead.domain.fleet_run_as import run_as_problem
from farmstead.domain.fleet_scaling import recommendation

POSIX = {"user": "render", "group": "render"}
WINDOWS = {"user": "render", "passwordArn": "arn:aws:secretsmanager:us-west-2:123456789012:secret:pw"}


@pytest.mark.parametrize("run_as", [None, {}, {"runAs": "WORKER_AGENT_USER"}])
@pytest.mark.parametrize("os_family", ["LINUX", "MACOS", "WINDOWS"])
def test_worker_agent_user_or_no_run_as_user_runs_on_every_fleet(run_as, os_family):
    assert run_as_problem(run_as, os_family) is None


def test_queue_configured_user_needs_a_user_for_the_fleets_os():
    posix_only = {"runAs": "QUEUE_CONFIGURED_USER", "posix": POSIX}
    windows_only = {"runAs": "QUEUE_CONFIGURED_USER", "windows": WINDOWS}
    assert run_as_problem(posix_only, "LINUX") is None
    assert run_as_problem(posix_only, "MACOS") is None
    assert "Windows user" in run_as_problem(posix_only, "WINDOWS")
    assert run_as_problem(windows_only, "WINDOWS") is None
    assert "POSIX user" in run_as_problem(windows_only, "LINUX")
    assert run_as_problem({"runAs": "QUEUE_CONFIGURED_USER", "posix": POSIX, "windows": WINDOWS}, "WINDOWS") is None


def test_no_scaling_fleets_get_no_recommendation():
    assert recommendation("NO_SCALING", 3, 0, 10) == (None, None)


@pytest.mark.parametrize(("workers", "low", "high", "expected"), [
    (0, 0, 10, (0, "STEADY")),
    (0, 2, 10, (2, "GROWING")),
    (12, 0, 10, (10, "SHRINKING")),
    (5, 2, 10, (5, "STEADY")),
])
def test_event_based_scaling_recommends_staying_within_bounds(workers, low, high, expected):
    assert recommendation("EVENT_BASED_AUTO_SCALING", workers, low, high) == expected
