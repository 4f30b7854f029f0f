"""The estimates' arithmetic (web/estimates.py), against figures worked out by hand."""

from __future__ import annotations

import pytest

from farmstead.web.estimates import FrameTimes, frame_times, job_seconds_left, seconds_left, work_left_ms


def test_frame_times_are_the_mean_median_and_longest_run():
    assert frame_times([1000, 3000, 2000, 10000]) == FrameTimes(4, 4000.0, 2500.0, 10000)
    assert frame_times([]) is None


@pytest.mark.parametrize(("counts", "expected_ms"), [
    ({"SUCCEEDED": 10}, 0.0),                              # nothing left
    ({"READY": 4, "SUCCEEDED": 6}, 8000.0),                # 4 frames of 2 s
    ({"READY": 4, "RUNNING": 2, "SUCCEEDED": 4}, 10000.0),  # the running ones half done
    ({"PENDING": 1, "SUSPENDED": 1, "FAILED": 3}, 4000.0),  # suspended frames still have to run; failed ones don't
])
def test_work_left_counts_waiting_frames_in_full_and_running_frames_by_half(counts, expected_ms):
    assert work_left_ms(counts, FrameTimes(5, 2000.0, 2000.0, 3000)) == expected_ms


def test_no_work_figure_without_a_frame_that_succeeded_unless_nothing_is_left():
    assert work_left_ms({"READY": 3}, None) is None
    assert work_left_ms({"FAILED": 3}, None) == 0.0


def test_time_left_is_the_work_shared_by_the_running_tasks():
    assert seconds_left(10_000.0, 2) == 5.0
    assert seconds_left(10_000.0, 0) is None   # nobody works on it: no figure
    assert seconds_left(0.0, 0) == 0.0
    assert seconds_left(None, 3) is None


def test_a_jobs_time_left_shares_every_steps_work_over_all_its_running_tasks():
    render = ({"READY": 8, "RUNNING": 2}, FrameTimes(10, 1000.0, 1000.0, 1000))  # 9 s of work, 2 running
    encode = ({"PENDING": 1}, FrameTimes(1, 4000.0, 4000.0, 4000))                # 4 s, nothing running
    assert job_seconds_left([render, encode]) == 6.5
    assert job_seconds_left([render, ({"PENDING": 1}, None)]) is None
