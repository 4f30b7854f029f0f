"""Timeline geometry (web/timelines.py): bars placed by time as percentages, cut to the window, never
invisible; ticks at round times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.web.timelines import MIN_BAR, Bar, Lane, lay_out, ticks

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_bars_are_placed_by_time_over_the_whole_span():
    chart = lay_out([Lane("a", bars=[Bar(at(0), at(50), "ok", "first")]),
                     Lane("b", bars=[Bar(at(50), at(100), "failed", "second")])])
    assert [(b.x, b.width) for lane in chart.lanes for b in lane.bars] == [(0.0, 50.0), (50.0, 50.0)]
    assert chart.height == 44


def test_an_open_bar_runs_to_now_and_a_tiny_one_still_shows():
    chart = lay_out([Lane("a", bars=[Bar(at(0), None, "running", "open"), Bar(at(10), at(10.001), "ok", "tiny")])],
                    now=at(100))
    open_bar, tiny = chart.lanes[0].bars
    assert (open_bar.x, open_bar.width) == (0.0, 100.0)
    assert tiny.width == MIN_BAR


def test_a_window_cuts_bars_and_drops_lanes_with_nothing_in_it():
    chart = lay_out([Lane("old", bars=[Bar(at(0), at(10), "ok", "before")]),
                     Lane("now", bars=[Bar(at(50), at(150), "ok", "across the end")])],
                    now=at(200), start=at(100), end=at(200))
    assert [lane.name for lane in chart.lanes] == ["now"]
    assert (chart.lanes[0].bars[0].x, chart.lanes[0].bars[0].width) == (0.0, 50.0)


def test_nothing_to_draw_is_no_chart():
    assert lay_out([Lane("idle")]) is None


def test_ticks_fall_on_round_times():
    marks = ticks(at(5), at(5 + 3600))
    assert [label for _, label in marks] == ["10:10", "10:20", "10:30", "10:40", "10:50", "11:00"]
    assert 0 < marks[0][0] < marks[-1][0] < 100
