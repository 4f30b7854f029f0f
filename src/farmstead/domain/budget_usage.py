"""What a budget costs and when it says so (docs/fleets.md, Budgets): a queue's session time inside the
budget's window at its fleets' worker-hour rates, the Budget Threshold Reached percentages crossed as
usage grows, and what the budget's actions ask of the queue.

Owns: the arithmetic and the rules. Must not: read or write anything (orchestration/budgets.py does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The percentages Deadline Cloud announces as usage passes them ("events detail reference"): more
#: often as the budget nears its limit. A budget's own action thresholds are announced too.
STANDARD_THRESHOLDS = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0,
                       95.0, 96.0, 97.0, 98.0, 99.0, 100.0)
STOP_AND_COMPLETE = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
STOP_AND_CANCEL = "STOP_SCHEDULING_AND_CANCEL_TASKS"
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class SessionSpan:
    """One session of the tracked queue: when it ran (ended_at None: still running) and its fleet's rate."""

    started_at: datetime
    ended_at: datetime | None
    dollars_per_hour: float


def rate(fleet_rate: float | None, default_rate: float) -> float:
    """A fleet's worker-hour cost: its own when an admin set one, else the farm-wide default."""
    return default_rate if fleet_rate is None else fleet_rate


def charge(spans: Iterable[SessionSpan], since: datetime, until: datetime,
           window: tuple[datetime, datetime]) -> float:
    """Dollars the sessions cost in [since, until) ∩ window: each session's overlap with that stretch
    at its rate. Counting stretch after stretch with no gap or overlap counts every second once."""
    start, end = max(since, window[0]), min(until, window[1])
    if end <= start:
        return 0.0
    total = 0.0
    for span in spans:
        ran_from = max(span.started_at, start)
        ran_to = end if span.ended_at is None else min(span.ended_at, end)
        if ran_to > ran_from:
            total += (ran_to - ran_from).total_seconds() / SECONDS_PER_HOUR * span.dollars_per_hour
    return total


def percent(usage: float, limit: float) -> float:
    """Usage as a percentage of the limit (a limit of 0 is spent as soon as anything is)."""
    if limit <= 0:
        return 100.0 if usage > 0 else 0.0
    return usage / limit * 100.0


def thresholds(actions: Sequence[Mapping[str, Any]]) -> list[float]:
    """Every percentage announced for a budget: the standard ones and its actions', in order."""
    return sorted(set(STANDARD_THRESHOLDS) | {float(a["thresholdPercentage"]) for a in actions})


def crossed(reported: float, now_percent: float, actions: Sequence[Mapping[str, Any]]) -> list[float]:
    """The thresholds passed since `reported` (the last one announced), lowest first: each once."""
    return [t for t in thresholds(actions) if reported < t <= now_percent]


def rebased(now_percent: float, actions: Sequence[Mapping[str, Any]]) -> float:
    """What counts as announced after the limit (or the actions) changed: the highest threshold the
    usage is at now, so the next event is the next threshold passed from here, not a burst of old
    ones; usage that fell below a threshold announces it again when it passes it again."""
    passed = [t for t in thresholds(actions) if t <= now_percent]
    return passed[-1] if passed else 0.0


@dataclass(frozen=True)
class Block:
    """What the budget's actions ask of its queue now: stop handing out tasks, and cancel running ones."""

    stop: bool
    cancel: bool


def block(now_percent: float, actions: Sequence[Mapping[str, Any]]) -> Block:
    reached = [a for a in actions if float(a["thresholdPercentage"]) <= now_percent]
    return Block(stop=bool(reached), cancel=any(a["type"] == STOP_AND_CANCEL for a in reached))
