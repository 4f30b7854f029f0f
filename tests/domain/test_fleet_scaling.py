"""The size recommended for an auto-scaling fleet from its demand: READY tasks weighed by their expected
run time, busy workers, the idle delay."""

import pytest

from farmstead.domain.fleet_scaling import Demand, ReadyStep, ScalingRule, expected_seconds, recommendation, wanted_size

AUTO = "EVENT_BASED_AUTO_SCALING"


def _ready(tasks: int, seconds: float | None = None) -> tuple[ReadyStep, ...]:
    return (ReadyStep(tasks, seconds),)


def test_ready_tasks_ask_for_one_worker_each_by_default():
    assert recommendation(AUTO, 0, 0, 10, Demand(ready_steps=_ready(3))) == (3, "GROWING")


@pytest.mark.parametrize(("ready", "per_worker", "expected"), [(0, 4, 0), (1, 4, 1), (4, 4, 1), (5, 4, 2), (9, 4, 3)])
def test_tasks_per_worker_rounds_the_workers_wanted_up(ready, per_worker, expected):
    assert wanted_size(Demand(ready_steps=_ready(ready)), ScalingRule(tasks_per_worker=per_worker)) == expected


def test_short_tasks_ask_for_their_share_of_a_worker_and_long_ones_for_a_whole_one():
    rule = ScalingRule(task_seconds=300)
    assert wanted_size(Demand(ready_steps=_ready(100, 1.0)), rule) == 1  # 100 s of work: one worker
    assert wanted_size(Demand(ready_steps=_ready(100, 3600.0)), rule) == 100
    assert wanted_size(Demand(ready_steps=_ready(100, 60.0)), rule) == 20  # five a worker in 300 s
    assert wanted_size(Demand(ready_steps=_ready(5, 0.0)), rule) == 1  # instant tasks still need a worker
    # A step none of whose tasks has finished yet: each task is taken for a whole one.
    assert wanted_size(Demand(ready_steps=_ready(7)), rule) == 7
    # Steps add up: 10 tasks of 30 s (one worker's share) and 2 long ones.
    assert wanted_size(Demand(ready_steps=(ReadyStep(10, 30.0), ReadyStep(2, 900.0))), rule) == 3


def test_a_steps_expected_run_time_is_the_mean_of_its_succeeded_runs():
    assert expected_seconds(0, 0.0) is None
    assert expected_seconds(4, 100.0) == 25.0


def test_busy_workers_are_kept_on_top_of_those_the_ready_tasks_want():
    assert recommendation(AUTO, 2, 0, 10, Demand(ready_steps=_ready(2), busy_workers=2,
                                                 recently_active_workers=2)) == (4, "GROWING")


def test_demand_is_clamped_to_the_fleets_bounds():
    assert recommendation(AUTO, 0, 0, 5, Demand(ready_steps=_ready(100))) == (5, "GROWING")
    assert recommendation(AUTO, 3, 2, 5, Demand()) == (2, "SHRINKING")


def test_workers_inside_their_idle_delay_are_not_scaled_in():
    # Four workers, none busy, three of them ran a session within the idle delay: only one may go.
    assert recommendation(AUTO, 4, 0, 10, Demand(recently_active_workers=3)) == (3, "SHRINKING")


def test_a_drained_fleet_past_its_idle_delay_shrinks_to_its_minimum():
    assert recommendation(AUTO, 4, 1, 10, Demand()) == (1, "SHRINKING")


def test_a_fleet_matching_its_demand_is_steady():
    assert recommendation(AUTO, 2, 0, 10, Demand(ready_steps=_ready(4), busy_workers=0, recently_active_workers=2),
                          ScalingRule(tasks_per_worker=2)) == (2, "STEADY")


def test_demand_does_not_make_a_no_scaling_fleet_scale():
    assert recommendation("NO_SCALING", 0, 0, 10, Demand(ready_steps=_ready(5))) == (None, None)
