"""The pure arithmetic of sessions statistics: periods in a UTC offset, clipping, grouping, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain.session_statistics import MAX_PERIODS, TooLarge, Usage, aggregate, parse_timezone, periods

UTC = UTC


def at(day: int, hour: int = 0, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def usage(start: datetime, end: datetime | None, queue: str = "queue-a", **dimensions) -> Usage:
    return Usage(start, end, {"QUEUE_ID": queue, "FLEET_ID": "fleet-f", "USAGE_TYPE": "COMPUTE", **dimensions})


START, END, NOW = at(1), at(3), at(10)


def run(usages, *, start=START, end=END, now=NOW, period=None, tz=UTC, group_by=("QUEUE_ID",),
        statistics=("SUM", "MIN", "MAX", "AVG")):
    return aggregate(usages, start=start, end=end, now=now, period=period, tz=tz, group_by=group_by,
                     statistics=statistics)


@pytest.mark.parametrize("text, offset", [
    ("UTC+08:00", timedelta(hours=8)), ("UTC-05:30", -timedelta(hours=5, minutes=30)), ("UTC+00:00", timedelta(0)),
    (None, timedelta(0)),
])
def test_timezone_is_a_fixed_utc_offset(text, offset):
    assert parse_timezone(text).utcoffset(None) == offset


@pytest.mark.parametrize("text", ["Europe/Rome", "UTC+8", "UTC+08:15"])
def test_malformed_timezone_is_refused(text):
    with pytest.raises(ValueError):
        parse_timezone(text)


def test_two_sessions_in_one_group_give_count_and_stats():
    (row,) = run([usage(at(1, 1), at(1, 2)), usage(at(1, 3), at(1, 6))])
    assert row.count == 2
    assert row.runtime_seconds == {"sum": 4 * 3600.0, "min": 3600.0, "max": 3 * 3600.0, "avg": 2 * 3600.0}
    assert row.cost_usd == {"sum": 0.0, "min": 0.0, "max": 0.0, "avg": 0.0}
    assert (row.period_start, row.period_end) == (at(1), at(3))


def test_runtime_is_clipped_to_the_window():
    (row,) = run([usage(at(1) - timedelta(hours=5), at(1, 2)), usage(at(2, 23), at(4))])
    assert row.runtime_seconds["sum"] == 3 * 3600.0


def test_open_session_runs_until_now():
    (row,) = run([usage(at(1, 10), None)], now=at(1, 12))
    assert row.runtime_seconds["sum"] == 2 * 3600.0


def test_sessions_outside_the_window_are_left_out():
    assert run([usage(at(3), at(4)), usage(at(1) - timedelta(hours=1), at(1))]) == []


def test_zero_length_session_counts_in_the_period_holding_it():
    (row,) = run([usage(at(2), at(2))], period="DAILY")
    assert (row.period_start, row.count, row.runtime_seconds["sum"]) == (at(2), 1, 0.0)


def test_daily_periods_split_a_session_across_midnight():
    rows = run([usage(at(1, 22), at(2, 3))], period="DAILY")
    assert [(r.period_start, r.runtime_seconds["sum"]) for r in rows] == [(at(1), 2 * 3600.0), (at(2), 3 * 3600.0)]
    assert all(r.count == 1 for r in rows)


def test_daily_periods_start_at_midnight_of_the_offset():
    tz = parse_timezone("UTC+02:00")
    rows = run([usage(at(1, 21), at(1, 23))], period="DAILY", tz=tz)
    # 21:00-23:00 UTC is 23:00-01:00 at UTC+2: two local days, split at 22:00 UTC.
    assert [(r.period_start, r.runtime_seconds["sum"]) for r in rows] == [(at(1), 3600.0), (at(1, 22), 3600.0)]


def test_first_and_last_periods_are_cut_to_the_window():
    rows = run([usage(at(1, 10, 15), at(1, 12, 45))], start=at(1, 10, 15), end=at(1, 12, 45), period="HOURLY")
    assert [(r.period_start, r.period_end) for r in rows] == [
        (at(1, 10, 15), at(1, 11)), (at(1, 11), at(1, 12)), (at(1, 12), at(1, 12, 45))]


def test_weekly_periods_start_on_monday():
    # 2026-01-05 is a Monday.
    rows = run([usage(at(4, 12), at(5, 12))], start=at(1), end=at(20), period="WEEKLY")
    assert [r.period_start for r in rows] == [at(1), at(5)]
    assert [r.period_end for r in rows] == [at(5), at(12)]


def test_monthly_periods_run_from_the_first_and_cross_the_year():
    start, end = datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    assert [p[0] for p in periods(start, end, "MONTHLY", UTC)] == [start, at(1), at(1, month=2)]


def test_groups_split_rows_and_missing_values_are_none():
    rows = run([usage(at(1, 1), at(1, 2), queue="queue-a"), usage(at(1, 1), at(1, 3), queue="queue-b")],
               group_by=("QUEUE_ID", "INSTANCE_TYPE"))
    assert [dict(r.dimensions) for r in rows] == [{"QUEUE_ID": "queue-a", "INSTANCE_TYPE": None},
                                                  {"QUEUE_ID": "queue-b", "INSTANCE_TYPE": None}]


def test_job_grouping_carries_the_job_name_without_splitting():
    rows = run([usage(at(1, 1), at(1, 2), JOB_ID="job-1", JOB_NAME="shot")], group_by=("JOB_ID",))
    assert dict(rows[0].dimensions) == {"JOB_ID": "job-1", "JOB_NAME": "shot"}


def test_only_requested_statistics_are_computed():
    (row,) = run([usage(at(1, 1), at(1, 2))], statistics=("MAX", "MAX"))
    assert row.runtime_seconds == {"max": 3600.0} and row.cost_usd == {"max": 0.0}


def test_end_not_after_start_is_refused():
    with pytest.raises(ValueError):
        run([], start=at(2), end=at(2))


def test_too_many_periods_is_refused():
    with pytest.raises(TooLarge):
        periods(at(1), at(1) + timedelta(hours=MAX_PERIODS + 1), "HOURLY", UTC)
