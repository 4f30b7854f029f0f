"""Budget arithmetic (domain/budget_usage.py): session time in the window at a rate, the Budget
Threshold Reached percentages passed (each once, in order, re-based on a new limit), and the block."""

from datetime import UTC, datetime, timedelta

from farmstead.domain import budget_usage as b

T0 = datetime(2026, 12, 1, tzinfo=UTC)
WINDOW = (T0, T0 + timedelta(hours=10))
STOP_90 = {"type": b.STOP_AND_COMPLETE, "thresholdPercentage": 90.0}
CANCEL_33 = {"type": b.STOP_AND_CANCEL, "thresholdPercentage": 33.0}


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_session_costs_its_hours_at_its_fleets_rate():
    spans = [b.SessionSpan(at(1), at(3), 2.5), b.SessionSpan(at(2), None, 4.0)]
    assert b.charge(spans, at(0), at(4), WINDOW) == 2 * 2.5 + 2 * 4.0


def test_counting_stretch_after_stretch_counts_every_second_once():
    spans = [b.SessionSpan(at(1), at(3.5), 1.0), b.SessionSpan(at(2), None, 3.0)]
    cuts = [at(0), at(1.25), at(2), at(2.75), at(3.1), at(5)]
    stepwise = sum(b.charge(spans, since, until, WINDOW) for since, until in zip(cuts, cuts[1:], strict=False))
    assert abs(stepwise - b.charge(spans, at(0), at(5), WINDOW)) < 1e-9
    assert abs(stepwise - (2.5 * 1.0 + 3 * 3.0)) < 1e-9


def test_only_time_inside_the_window_counts():
    spans = [b.SessionSpan(at(-2), at(1), 1.0), b.SessionSpan(at(9), None, 1.0)]
    assert b.charge(spans, at(-5), at(20), WINDOW) == 1.0 + 1.0
    assert b.charge(spans, at(11), at(12), WINDOW) == 0.0


def test_a_fleet_without_its_own_rate_costs_the_default():
    assert (b.rate(None, 1.5), b.rate(0.0, 1.5), b.rate(4.0, 1.5)) == (1.5, 0.0, 4.0)


def test_thresholds_passed_are_announced_once_each_in_order_with_the_actions():
    assert b.crossed(0.0, 45.0, [CANCEL_33]) == [10.0, 20.0, 30.0, 33.0, 40.0]
    assert b.crossed(40.0, 97.5, [STOP_90]) == [50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0, 96.0, 97.0]
    assert b.crossed(97.0, 97.9, []) == []
    assert b.crossed(100.0, 250.0, []) == []


def test_a_new_limit_rebases_what_was_announced():
    # $100 spent of a $100 budget, the limit raised to $150: at 66.7 %, 60 counts as announced, so
    # the next event is 70, not a repeat of 10..60; a lowered limit skips what it jumped over.
    assert b.rebased(b.percent(100.0, 150.0), []) == 60.0
    assert b.crossed(b.rebased(b.percent(100.0, 150.0), []), b.percent(113.0, 150.0), []) == [70.0, 75.0]
    assert b.rebased(b.percent(100.0, 50.0), []) == 100.0
    assert b.rebased(5.0, []) == 0.0


def test_percent_of_a_zero_limit():
    assert (b.percent(0.0, 0.0), b.percent(0.01, 0.0), b.percent(25.0, 200.0)) == (0.0, 100.0, 12.5)


def test_actions_stop_at_their_threshold_and_the_cancel_one_cancels():
    assert b.block(32.9, [CANCEL_33, STOP_90]) == b.Block(stop=False, cancel=False)
    assert b.block(33.0, [CANCEL_33, STOP_90]) == b.Block(stop=True, cancel=True)
    assert b.block(95.0, [STOP_90]) == b.Block(stop=True, cancel=False)
    assert b.block(500.0, []) == b.Block(stop=False, cancel=False)
