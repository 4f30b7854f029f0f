"""The rule for the times a worker reports: held within [assignment, now], in order, corrections listed."""

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain.reported_times import TOLERANCE, settle

NOW = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
ASSIGNED = NOW - timedelta(minutes=1)
S = timedelta(seconds=1)


def test_times_within_the_bounds_are_kept_as_reported():
    times = settle(started_at=ASSIGNED + 5 * S, ended_at=NOW - S, updated_at=NOW - S, now=NOW, assigned_at=ASSIGNED)
    assert (times.started_at, times.ended_at, times.updated_at) == (ASSIGNED + 5 * S, NOW - S, NOW - S)
    assert times.corrections == () and times.note("sa-1") is None


@pytest.mark.parametrize("skew, reason", [(timedelta(minutes=10), "ahead"), (-timedelta(minutes=10), "behind")])
def test_a_skewed_clock_is_held_to_the_bounds_and_noted(skew, reason):
    times = settle(started_at=NOW - 20 * S + skew, ended_at=NOW - 10 * S + skew, updated_at=NOW + skew, now=NOW,
                   assigned_at=ASSIGNED)
    assert ASSIGNED <= times.started_at <= times.ended_at <= NOW
    assert times.updated_at in (NOW, ASSIGNED)
    assert {c.member for c in times.corrections} == {"startedAt", "endedAt"}  # updatedAt says the same
    assert all(c.reason == reason for c in times.corrections)
    assert "Check this worker host's clock" in times.note("sa-1") and "sa-1" in times.note("sa-1")


def test_jitter_within_the_tolerance_is_held_but_not_noted():
    times = settle(started_at=ASSIGNED - S, ended_at=NOW + TOLERANCE, updated_at=None, now=NOW, assigned_at=ASSIGNED)
    assert (times.started_at, times.ended_at) == (ASSIGNED, NOW)
    assert times.corrections == ()


def test_an_end_before_the_start_is_recorded_at_the_start():
    times = settle(started_at=NOW - 10 * S, ended_at=NOW - 40 * S, updated_at=None, now=NOW, assigned_at=ASSIGNED)
    assert times.ended_at == times.started_at == NOW - 10 * S
    (correction,) = times.corrections
    assert (correction.member, correction.reason) == ("endedAt", "order")


def test_a_recorded_start_stays_whatever_later_reports_say():
    recorded = NOW - 30 * S
    times = settle(started_at=NOW + timedelta(minutes=10), ended_at=None, updated_at=None, now=NOW,
                   assigned_at=ASSIGNED, recorded_started_at=recorded)
    assert times.started_at == recorded


def test_an_assignment_stamped_by_a_replica_ahead_of_this_one_never_crosses_now():
    times = settle(started_at=NOW, ended_at=None, updated_at=None, now=NOW, assigned_at=NOW + 2 * S)
    assert times.started_at == NOW


def test_without_an_assignment_time_only_now_bounds_the_times():
    times = settle(started_at=NOW - timedelta(days=1), ended_at=None, updated_at=None, now=NOW)
    assert times.started_at == NOW - timedelta(days=1)
