"""When a running task is far beyond its step's median run time (docs/self-managing.md)."""

from __future__ import annotations

import pytest

from farmstead.domain import run_times


@pytest.mark.parametrize(("finished", "running", "flagged"), [
    ([10, 12, 11], 40, True), ([10, 12, 11], 30, False), ([10, 12], 1000, False),  # too few samples
    ([0, 0, 0], 5, False), ([], 5, False),
])
def test_a_run_over_three_times_its_steps_median_is_far_beyond(finished, running, flagged):
    assert run_times.far_beyond(running, run_times.step_median(finished)) is flagged
