"""Sessions statistics: session runtimes grouped by dimension and bucketed by calendar period.

Owns: the arithmetic of StartSessionsStatisticsAggregation. Each session counts for every period
of the window it was open in, with the part of its runtime inside that period (runtime = endedAt,
or now while it is still open, minus startedAt, clipped to the window and to the period). Periods
follow the calendar of the requested UTC offset: hours, days from midnight, weeks from Monday
midnight, months from the 1st; the first and last are cut to the window.
Cost is always 0: a self-hosted farm has no per-hour price to charge.
Must not: read the store or know the API's member names (the handler maps fields to members).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

#: Reported beside a grouping field without splitting its groups (a job has one name).
COMPANIONS: Mapping[str, tuple[str, ...]] = {"JOB_ID": ("JOB_NAME",)}
PERIODS = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")
#: More periods than this in one window is refused as too large (HOURLY over about 14 months).
MAX_PERIODS = 10_000

_OFFSET = re.compile(r"UTC([-+])([01][0-9]):(00|30)")  # the model's Timezone pattern


class TooLarge(Exception):
    """The aggregation would hold more periods than MAX_PERIODS."""


def parse_timezone(text: str | None) -> timezone:
    """`UTC+08:00` / `UTC-05:30` (the model's pattern) as a fixed offset; None is UTC."""
    if text is None:
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a UTC offset like UTC+08:00")
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


def _floor(moment: datetime, period: str, tz: timezone) -> datetime:
    local = moment.astimezone(tz)
    if period == "HOURLY":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "DAILY":
        return day
    if period == "WEEKLY":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(boundary: datetime, period: str) -> datetime:
    if period == "HOURLY":
        return boundary + timedelta(hours=1)
    if period == "DAILY":
        return boundary + timedelta(days=1)
    if period == "WEEKLY":
        return boundary + timedelta(days=7)
    return boundary.replace(year=boundary.year + boundary.month // 12, month=boundary.month % 12 + 1)


def periods(start: datetime, end: datetime, period: str | None, tz: timezone) -> list[tuple[datetime, datetime]]:
    """The window's periods as [start, end) pairs in UTC, the first and last cut to the window.

    Without a period the whole window is one. Raises TooLarge past MAX_PERIODS.
    """
    if period is None:
        return [(start, end)]
    result = []
    boundary = _floor(start, period, tz)
    while boundary < end:
        following = _next(boundary, period)
        result.append((max(boundary, start).astimezone(UTC), min(following, end).astimezone(UTC)))
        if len(result) > MAX_PERIODS:
            raise TooLarge(f"more than {MAX_PERIODS} {period.lower()} periods")
        boundary = following
    return result


@dataclass(frozen=True)
class Usage:
    """One session, as the aggregation sees it."""

    started_at: datetime
    ended_at: datetime | None
    """None while the session is still open: it runs until now."""
    dimensions: Mapping[str, str | None]
    """The model's UsageGroupByField names (and COMPANIONS) -> the session's value; None where it has none."""


@dataclass(frozen=True)
class Statistic:
    """One answer row: a group in one period."""

    dimensions: tuple[tuple[str, str | None], ...]
    period_start: datetime
    period_end: datetime
    count: int
    runtime_seconds: dict[str, float]
    """Lower-case statistic name (sum/min/max/avg) -> value, only the statistics asked for."""
    cost_usd: dict[str, float]


def _stats(values: Sequence[float], statistics: Sequence[str]) -> dict[str, float]:
    computed = {"SUM": float(sum(values)), "MIN": float(min(values)), "MAX": float(max(values)),
                "AVG": float(sum(values)) / len(values)}
    return {name.lower(): computed[name] for name in statistics}


def _key_fields(group_by: Sequence[str]) -> tuple[str, ...]:
    fields: list[str] = []
    for field in dict.fromkeys(group_by):
        fields.append(field)
        fields.extend(COMPANIONS.get(field, ()))
    return tuple(fields)


def aggregate(usages: Iterable[Usage], *, start: datetime, end: datetime, now: datetime, period: str | None,
              tz: timezone, group_by: Sequence[str], statistics: Sequence[str]) -> list[Statistic]:
    """Count and runtime per (period, group), ordered by period and then group values.

    A session counts in a period when it was open for part of it; one that started and ended at
    the same instant counts (with 0 seconds) in the period holding that instant. Periods and groups
    with no session are left out.
    """
    if end <= start:
        raise ValueError("end must be after start")
    buckets = periods(start, end, period, tz)
    bucket_starts = [b[0] for b in buckets]
    fields = _key_fields(group_by)
    wanted = tuple(dict.fromkeys(statistics))
    runtimes: dict[tuple[int, tuple[Any, ...]], list[float]] = {}
    for usage in usages:
        ended = usage.ended_at if usage.ended_at is not None else max(now, usage.started_at)
        begin, finish = max(usage.started_at, start), min(ended, end)
        instant = usage.started_at == ended
        if finish < begin or (finish == begin and not (instant and start <= begin < end)):
            continue
        key = tuple((field, usage.dimensions.get(field)) for field in fields)
        index = max(0, bisect.bisect_right(bucket_starts, begin) - 1)
        while index < len(buckets) and buckets[index][0] <= finish:
            low, high = buckets[index]
            overlap = (min(finish, high) - max(begin, low)).total_seconds()
            if overlap > 0 or (instant and low <= begin < high):
                runtimes.setdefault((index, key), []).append(max(overlap, 0.0))
            index += 1
    rows = []
    for (index, key), values in runtimes.items():
        low, high = buckets[index]
        rows.append(Statistic(key, low, high, len(values), _stats(values, wanted),
                              _stats([0.0] * len(values), wanted)))
    rows.sort(key=lambda r: (r.period_start, tuple(value or "" for _, value in r.dimensions)))
    return rows
