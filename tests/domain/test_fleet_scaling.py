"""The size recommended for an auto-scaling fleet from its demand: READY tasks, busy workers, the idle delay."""

import pytest

from farmstead.domain.fleet_scaling import Demand, ScalingRule, recommendation, wanted_size

AUTO = "EVENT_BASED_AUTO_SCALING"


def test_ready_tasks_ask_for_one_worker_each_by_default():
    assert recommendation(AUTO, 0, 0, 10, Demand(ready_tasks=3)) == (3, "GROWING")


@pytest.mark.parametrize(("ready", "per_worker", "expected"), [(0, 4, 0), (1, 4, 1), (4, 4, 1), (5, 4, 2), (9, 4, 3)])
def test_tasks_per_worker_rounds_the_workers_wanted_up(ready, per_worker, expected):
    assert wanted_size(Demand(ready_tasks=ready), per_worker) == expected


def test_busy_workers_are_kept_on_top_of_those_the_ready_tasks_want():
    assert recommendation(AUTO, 2, 0, 10, Demand(ready_tasks=2, busy_workers=2, recently_active_workers=2)) == (
        4, "GROWING")


def test_demand_is_clamped_to_the_fleets_bounds():
    assert recommendation(AUTO, 0, 0, 5, Demand(ready_tasks=100)) == (5, "GROWING")
    assert recommendation(AUTO, 3, 2, 5, Demand()) == (2, "SHRINKING")


def test_workers_inside_their_idle_delay_are_not_scaled_in():
    # Four workers, none busy, three of them ran a session within the idle delay: only one may go.
    assert recommendation(AUTO, 4, 0, 10, Demand(recently_active_workers=3)) == (3, "SHRINKING")


def test_a_drained_fleet_past_its_idle_delay_shrinks_to_its_minimum():
    assert recommendation(AUTO, 4, 1, 10, Demand()) == (1, "SHRINKING")


def test_a_fleet_matching_its_demand_is_steady():
    assert recommendation(AUTO, 2, 0, 10, Demand(ready_tasks=4, busy_workers=0, recently_active_workers=2),
                          ScalingRule(tasks_per_worker=2)) == (2, "STEADY")


def test_demand_does_not_make_a_no_scaling_fleet_scale():
    assert recommendation("NO_SCALING", 0, 0, 10, Demand(ready_tasks=5)) == (None, None)
