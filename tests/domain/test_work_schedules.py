"""A worker's sleep schedule read from its text, and whether and until when it is open (pure, no clock)."""

from datetime import datetime, timedelta

import pytest

from farmstead.domain.work_schedules import ScheduleError, always_open, is_open, next_change, parse_schedule

NIGHTS_AND_WEEKENDS = parse_schedule("Mon-Fri 19:00-07:00, Sat-Sun 00:00-24:00")
# 2026-12-07 is a Monday.
MONDAY = datetime(2026, 12, 7)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


@pytest.mark.parametrize(("moment", "open_"), [
    (at(0, 6, 59), False),   # Monday morning: Sunday's window ended at midnight, Monday's starts at 19:00
    (at(0, 18, 59, 59), False), (at(0, 19), True), (at(1, 6, 59), True), (at(1, 7), False),
    (at(4, 19), True), (at(5, 7), True),  # Friday night runs into the weekend
    (at(6, 23, 59), True)])
def test_nights_and_weekends_are_open_and_weekday_working_hours_are_not(moment, open_):
    assert is_open(NIGHTS_AND_WEEKENDS, moment) is open_


def test_next_change_is_the_next_boundary_and_skips_boundaries_between_touching_windows():
    assert next_change(NIGHTS_AND_WEEKENDS, at(0, 12)) == at(0, 19)
    assert next_change(NIGHTS_AND_WEEKENDS, at(0, 19)) == at(1, 7)
    # Friday 19:00 to Sunday midnight is one stretch: no change at Saturday 00:00 or 07:00. (Monday
    # 00:00-07:00 is closed: Sunday's own window ends at midnight, and Mon-Fri nights start Monday 19:00.)
    assert next_change(NIGHTS_AND_WEEKENDS, at(4, 20)) == at(7, 0)
    straight_through = parse_schedule("Mon-Fri 19:00-07:00, Sat-Sun 00:00-24:00, Mon 00:00-07:00")
    assert next_change(straight_through, at(4, 20)) == at(7, 7)
    # Sunday evening wraps to next week's Monday morning.
    assert next_change(parse_schedule("Mon 09:00-17:00"), at(6, 20)) == at(7, 9)


def test_a_window_past_midnight_belongs_to_its_starting_day_and_sunday_wraps_to_monday():
    schedule = parse_schedule("Sun 22:00-02:00")
    assert is_open(schedule, at(6, 23)) and is_open(schedule, at(7, 1)) and not is_open(schedule, at(0, 1) +
                                                                                           timedelta(days=1))
    assert next_change(schedule, at(6, 23)) == at(7, 2)


def test_seconds_day_lists_full_names_and_daily_are_understood():
    assert is_open(parse_schedule("daily 10:00:30-10:00:45"), at(2, 10, 0, 30))
    assert not is_open(parse_schedule("daily 10:00:30-10:00:45"), at(2, 10, 0, 45))
    spans = lambda text: parse_schedule(text).open_spans  # noqa: E731
    assert spans("Mon,Wed 19:00-23:00") == spans("Monday 19:00-23:00\nwed 19:00-23:00")
    assert spans("Fri-Mon 10:00-11:00") == spans("Fri 10:00-11:00, Sat-Mon 10:00-11:00")


def test_a_schedule_open_all_week_never_changes():
    schedule = parse_schedule("daily 00:00-24:00  # always")
    assert always_open(schedule) and next_change(schedule, at(3, 3)) is None


@pytest.mark.parametrize("text", ["", "Mon", "Mon 25:00-26:00", "Mon 10:00", "Funday 10:00-11:00",
                                  "Mon 10:61-11:00", "Mon 24:00-01:00", "10:00-11:00", "Mon 10:00-11:00, Tue"])
def test_unreadable_schedules_are_refused_with_a_message(text):
    with pytest.raises(ScheduleError, match="schedule"):
        parse_schedule(text)
