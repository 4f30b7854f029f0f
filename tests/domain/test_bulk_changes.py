"""What a queued bulk change means before it is applied, read off the state machine's table."""

import pytest

from farmstead.domain.bulk_changes import ends_terminal, holds_dispatch, moves_some_task, projected_counts
from farmstead.domain.task_states import BULK_RULES, Event

#: Written by hand: the changes that take READY tasks away must hold the job from dispatch. A requeue
#: does too: in a step whose dependencies are not met it sends READY tasks back to PENDING.
HOLDING = {Event.TARGET_READY, Event.TARGET_PENDING, Event.TARGET_SUSPENDED, Event.TARGET_CANCELED,
           Event.TARGET_FAILED, Event.TARGET_SUCCEEDED, Event.UPSTREAM_FAILED_OR_CANCELED, Event.UPSTREAM_REQUEUED,
           Event.FOUND_NOT_COMPATIBLE,
           Event.OTHER_STEP_NOT_COMPATIBLE, Event.JOB_FAILURE_LIMIT_REACHED}


@pytest.mark.parametrize("event", sorted(BULK_RULES, key=lambda e: e.name))
def test_a_change_holds_dispatch_exactly_when_it_takes_ready_tasks_away(event):
    assert holds_dispatch(event) == (event in HOLDING)


def test_a_cancel_projects_every_unfinished_task_canceled_and_running_ones_interrupting():
    counts = {"READY": 5, "RUNNING": 2, "SUCCEEDED": 3, "FAILED": 1}
    assert projected_counts(counts, Event.TARGET_CANCELED) == {
        "CANCELED": 5, "INTERRUPTING": 2, "SUCCEEDED": 3, "FAILED": 1}


def test_a_projection_keeps_the_number_of_tasks():
    counts = {"PENDING": 7, "READY": 5, "ASSIGNED": 1, "SUSPENDED": 2, "CANCELED": 4}
    for event in (Event.TARGET_SUSPENDED, Event.TARGET_FAILED, Event.TARGET_SUCCEEDED, Event.DEPENDENCIES_MET):
        assert sum(projected_counts(counts, event).values()) == sum(counts.values())


def test_a_requeue_of_failed_tasks_cannot_be_projected_from_counts():
    assert projected_counts({"FAILED": 3}, Event.TARGET_READY) is None  # retries left: unknown
    assert projected_counts({"CANCELED": 3}, Event.TARGET_READY) == {"READY": 3}


@pytest.mark.parametrize(
    ("counts", "event", "moves"),
    [
        ({"PENDING": 2, "SUCCEEDED": 1}, Event.DEPENDENCIES_MET, True),
        ({"READY": 2, "SUCCEEDED": 1}, Event.DEPENDENCIES_MET, False),
        ({"READY": 1}, Event.UPSTREAM_FAILED_OR_CANCELED, True),
        # INTERRUPTING tasks only take a new target: no status moves, so nothing to queue.
        ({"INTERRUPTING": 4, "CANCELED": 2}, Event.UPSTREAM_FAILED_OR_CANCELED, False),
        ({"SUCCEEDED": 3, "FAILED": 1}, Event.JOB_FAILURE_LIMIT_REACHED, False),
        ({"CANCELED": 1}, Event.UPSTREAM_REQUEUED, True),
    ],
)
def test_whether_a_change_moves_some_task_by_the_counts(counts, event, moves):
    assert moves_some_task(counts, event) is moves


@pytest.mark.parametrize(
    ("counts", "event", "terminal"),
    [
        ({"READY": 5, "SUCCEEDED": 3}, Event.TARGET_CANCELED, True),
        # Tasks on workers go INTERRUPTING first: not finished yet.
        ({"READY": 5, "RUNNING": 1}, Event.TARGET_CANCELED, False),
        ({"READY": 5}, Event.TARGET_SUSPENDED, True),
        ({"CANCELED": 5}, Event.TARGET_READY, False),
        # FAILED tasks with unknown retries: the counts can't tell, so no.
        ({"FAILED": 2}, Event.TARGET_READY, False),
        ({"READY": 2, "FAILED": 1}, Event.TARGET_SUCCEEDED, True),
    ],
)
def test_whether_a_change_ends_the_job_finished_by_the_counts(counts, event, terminal):
    assert ends_terminal(counts, event) is terminal

