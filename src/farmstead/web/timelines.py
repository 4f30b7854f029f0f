"""Timelines (Gantt charts): rows of bars over a time axis, laid out for the server to draw as SVG.

Owns: the geometry (where each bar starts and how wide it is, in a fixed-width drawing) and the axis
ticks at round times. The pages draw it as an SVG in which each bar is a link with a title, so it is
read without the script, reached with the keyboard and scales with the page (templates/macros.html,
`gantt`). Small code of our own rather than a charting library: a chart library draws on a canvas or
builds its SVG in the browser, and neither gives links a keyboard can reach without the script.
Must not: call the API or decide what a bar means; the views hand in lanes of bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

#: Positions are percentages of the drawing's width, so the SVG fills any screen without stretching its text.
WIDTH = 100.0
LANE_HEIGHT = 22
#: Round steps for the axis, the first that gives at most MAX_TICKS ticks is taken.
_STEPS = [timedelta(seconds=s) for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                                          21600, 43200, 86400, 172800, 604800)]
MAX_TICKS = 8
#: A bar is never drawn narrower than this (a 0.2 s task in a day-long chart still shows).
MIN_BAR = 0.15


@dataclass
class Bar:
    start: datetime
    end: datetime | None  # None: still open (drawn to `now`)
    kind: str  # a CSS class: ok, failed, running, canceled
    title: str
    href: str | None = None
    x: float = 0.0
    width: float = 0.0


@dataclass
class Lane:
    name: str
    title: str = ""
    href: str | None = None
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Timeline:
    lanes: list[Lane]
    start: datetime
    end: datetime
    ticks: list[tuple[float, str]]
    height: int


def lay_out(lanes: list[Lane], now: datetime | None = None, start: datetime | None = None,
            end: datetime | None = None) -> Timeline | None:
    """Bars placed on [start, end] (by default from the first bar's start to the last end, or now); None when
    no lane has a bar. Bars outside the window are dropped, bars across its edges are cut to it."""
    now = now or datetime.now(UTC)
    bars = [b for lane in lanes for b in lane.bars]
    if not bars:
        return None
    start = start or min(b.start for b in bars)
    end = end or max((b.end or now) for b in bars)
    if end <= start:
        end = start + timedelta(seconds=1)
    span = (end - start).total_seconds()
    kept = []
    for lane in lanes:
        placed = []
        for bar in sorted(lane.bars, key=lambda b: b.start):
            bar_end = bar.end or now
            if bar_end < start or bar.start > end:
                continue
            left = (max(bar.start, start) - start).total_seconds() / span * WIDTH
            right = (min(bar_end, end) - start).total_seconds() / span * WIDTH
            bar.x, bar.width = round(left, 2), round(max(MIN_BAR, right - left), 2)
            placed.append(bar)
        if placed:
            kept.append(Lane(lane.name, lane.title, lane.href, placed))
    return Timeline(kept, start, end, ticks(start, end), len(kept) * LANE_HEIGHT)


def ticks(start: datetime, end: datetime) -> list[tuple[float, str]]:
    """Axis marks at round times (whole minutes, hours, days) between start and end, at most MAX_TICKS."""
    span = (end - start).total_seconds()
    step = next((s for s in _STEPS if span / s.total_seconds() <= MAX_TICKS), _STEPS[-1])
    seconds = step.total_seconds()
    first = datetime.fromtimestamp((start.timestamp() // seconds + 1) * seconds, UTC)
    found = []
    mark = first
    while mark < end:
        label = mark.strftime("%H:%M:%S" if seconds < 60 else ("%H:%M" if seconds < 86400 else "%m-%d"))
        if seconds >= 86400 or (mark.hour == 0 and mark.minute == 0 and seconds >= 3600):
            label = mark.strftime("%m-%d %H:%M") if seconds < 86400 else label
        found.append((round((mark - start).total_seconds() / span * WIDTH, 2), label))
        mark += step
    return found
