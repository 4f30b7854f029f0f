"""A worker's sleep schedule: the days and hours a host may work (docs/fleets.md, "Sleep schedules").

Owns: the schedule's text form (`farmstead worker --schedule "Mon-Fri 19:00-07:00, Sat-Sun 00:00-24:00"`),
whether it is open at a moment, and when it next opens or closes. Pure: the moment is always passed
in (the worker's clock is the caller's), in the host's local time.
Must not: read a clock, sleep, or know what a worker does when its schedule closes (worker/work_hours.py).

The form: windows separated by commas (or new lines), each `DAYS START-END`. DAYS is a day
(`Mon`, `monday`), a range (`Mon-Fri`, `Fri-Mon` wraps past Sunday), `daily`, or several of these
before one window (`Mon,Wed 19:00-23:00`). START and END are `HH:MM` or `HH:MM:SS`, END up to 24:00.
A window whose END is not after its START runs past midnight into the next day and belongs to its
starting day: `Fri 19:00-07:00` is Friday evening to Saturday morning. `#` starts a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY_SECONDS = 24 * 3600
WEEK_SECONDS = 7 * DAY_SECONDS
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_WINDOW = re.compile(rf"(?P<days>[A-Za-z,\-\s]*?)\s*{_TIME}\s*-\s*{_TIME}")


class ScheduleError(ValueError):
    """Schedule text that can't be read; the message says where."""


@dataclass(frozen=True)
class WorkSchedule:
    """The open times of a week, as [start, end) seconds after Monday 00:00, sorted and merged."""

    text: str
    open_spans: tuple[tuple[int, int], ...]


def _day(name: str, text: str) -> int:
    word = name.strip().lower()
    for names in (_DAYS, _FULL_DAYS):
        if word in names:
            return names.index(word)
    raise ScheduleError(f"schedule {text!r}: {name.strip()!r} is not a day (Mon … Sun)")


def _days(spec: str, text: str) -> set[int]:
    days: set[int] = set()
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            continue
        if part.lower() in ("daily", "everyday", "all"):
            days.update(range(7))
        elif "-" in part:
            first, last = (_day(name, text) for name in part.split("-", 1))
            days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
        else:
            days.add(_day(part, text))
    if not days:
        raise ScheduleError(f"schedule {text!r}: a window needs its days (e.g. Mon-Fri, daily)")
    return days


def _seconds(hours: str, minutes: str, seconds: str | None, text: str) -> int:
    value = int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
    if int(minutes) > 59 or int(seconds or 0) > 59 or value > DAY_SECONDS:
        raise ScheduleError(f"schedule {text!r}: {hours}:{minutes} is not a time of day (00:00 to 24:00)")
    return value


def parse_schedule(text: str) -> WorkSchedule:
    """The schedule `text` describes; ScheduleError when it can't be read."""
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    spans: list[tuple[int, int]] = []
    pending_days = ""
    for piece in (piece.strip() for piece in re.split(r"[,\n]", body)):
        if not piece:
            continue
        match = _WINDOW.fullmatch(piece)
        if match is None:
            if re.fullmatch(r"[A-Za-z\-\s]+", piece):  # days of a window that follows: "Mon,Wed 19:00-23:00"
                pending_days += piece + ","
                continue
            raise ScheduleError(f"schedule {text!r}: {piece!r} is not DAYS HH:MM-HH:MM")
        days = _days(pending_days + match.group("days"), text)
        pending_days = ""
        start = _seconds(match.group(2), match.group(3), match.group(4), text)
        end = _seconds(match.group(5), match.group(6), match.group(7), text)
        if start == DAY_SECONDS:
            raise ScheduleError(f"schedule {text!r}: a window can't start at 24:00")
        length = end - start if end > start else DAY_SECONDS - start + end
        for day in days:
            begin = day * DAY_SECONDS + start
            spans.append((begin, begin + length))
    if pending_days:
        raise ScheduleError(f"schedule {text!r}: {pending_days.rstrip(',')!r} has no hours")
    if not spans:
        raise ScheduleError(f"schedule {text!r}: no window (e.g. Mon-Fri 19:00-07:00)")
    return WorkSchedule(text=text.strip(), open_spans=_merge(spans))


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Spans within one week: a span past Sunday's midnight continues on Monday; overlapping or
    touching spans become one."""
    inside: list[tuple[int, int]] = []
    for start, end in spans:
        if end > WEEK_SECONDS:
            inside += [(start, WEEK_SECONDS), (0, end - WEEK_SECONDS)]
        else:
            inside.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(inside):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _week_second(moment: datetime) -> float:
    return (moment.weekday() * DAY_SECONDS + moment.hour * 3600 + moment.minute * 60 + moment.second
            + moment.microsecond / 1e6)


def always_open(schedule: WorkSchedule) -> bool:
    return schedule.open_spans == ((0, WEEK_SECONDS),)


def is_open(schedule: WorkSchedule, moment: datetime) -> bool:
    """Whether the host may work at `moment` (its local time)."""
    second = _week_second(moment)
    return any(start <= second < end for start, end in schedule.open_spans)


def next_change(schedule: WorkSchedule, moment: datetime) -> datetime | None:
    """The next moment after `moment` at which the schedule opens or closes; None when it never changes."""
    if always_open(schedule):
        return None
    spans = schedule.open_spans
    changes = {edge % WEEK_SECONDS for span in spans for edge in span}
    if spans[0][0] == 0 and spans[-1][1] == WEEK_SECONDS:
        changes.discard(0)  # Sunday's last span runs on into Monday's first: no change at midnight
    second = _week_second(moment)
    later = sorted(change for change in changes if change > second)
    upcoming = later[0] if later else min(changes) + WEEK_SECONDS
    return moment + timedelta(seconds=upcoming - second)
