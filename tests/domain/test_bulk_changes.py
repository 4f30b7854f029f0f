"""What a queued bulk change means before it is applied, read off the state machine's table."""

import pytest

from farmstead.domain.bulk_changes import holds_dispatch, projected_counts
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
