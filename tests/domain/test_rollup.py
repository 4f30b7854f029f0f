"""Counts arithmetic, the aggregate's precedence, and the job startedAt/endedAt rules (docs/jobs.md)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmstead.domain.rollup import (
    ACTIVE,
    ALL_STATUSES,
    TERMINAL,
    Aggregate,
    after_counts_changed,
    apply_delta,
    at_creation,
    combine,
    count_statuses,
    delta,
    empty_counts,
    is_active,
    is_terminal,
    status_from_counts,
    times_after_change,
)
from farmstead.domain.statuses import TaskRunStatus as S

# docs/jobs.md, "Status is computed", copied by hand: the first status any task has wins.
SPEC_PRECEDENCE = [
    "RUNNING", "INTERRUPTING", "SCHEDULED", "STARTING", "ASSIGNED", "READY", "PENDING",
    "SUSPENDED", "NOT_COMPATIBLE", "FAILED", "CANCELED", "SUCCEEDED",
]
# The JobComplete waiter's success values (botocore waiters-2.json).
WAITER_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"}
MODEL_ORDER = ["PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING", "RUNNING",
               "SUSPENDED", "CANCELED", "FAILED", "SUCCEEDED", "NOT_COMPATIBLE"]


def counts(**numbers: int) -> dict[str, int]:
    return {**empty_counts(), **numbers}


def test_status_sets():
    assert [s.value for s in ALL_STATUSES] == MODEL_ORDER
    assert {s.value for s in TERMINAL} == WAITER_TERMINAL
    assert {s.value for s in ACTIVE} == set(MODEL_ORDER) - WAITER_TERMINAL
    assert all(is_terminal(s) != is_active(s) for s in MODEL_ORDER)
    assert is_terminal("SUSPENDED") and is_active("PENDING") and is_active("INTERRUPTING")


def test_empty_counts_has_all_twelve_keys():
    assert empty_counts() == dict.fromkeys(MODEL_ORDER, 0)
    assert list(empty_counts()) == MODEL_ORDER


def test_no_tasks_reads_succeeded():
    assert status_from_counts(empty_counts()) is S.SUCCEEDED
    assert status_from_counts({}) is S.SUCCEEDED


@pytest.mark.parametrize("status", MODEL_ORDER)
@pytest.mark.parametrize("number", [1, 7])
def test_each_status_alone(status, number):
    assert status_from_counts(counts(**{status: number})) == status


PAIRS = list(itertools.combinations(MODEL_ORDER, 2))


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_each_pair(a, b):
    winner = min(a, b, key=SPEC_PRECEDENCE.index)
    assert status_from_counts(counts(**{a: 1, b: 1})) == winner
    assert status_from_counts(counts(**{a: 1000, b: 1})) == winner
    assert status_from_counts(counts(**{a: 1, b: 1000})) == winner


def test_constraint_1_all_succeeded_or_suspended():
    assert status_from_counts(counts(SUCCEEDED=40)) is S.SUCCEEDED
    assert status_from_counts(counts(SUSPENDED=40)) is S.SUSPENDED
    assert status_from_counts(counts(SUSPENDED=3, SUCCEEDED=30, FAILED=2, CANCELED=5)) is S.SUSPENDED


def test_constraint_2_failure_limit_reads_failed():
    assert status_from_counts(counts(FAILED=1, CANCELED=99, SUCCEEDED=10)) is S.FAILED


def test_constraint_3_incompatible_step_reads_not_compatible():
    assert status_from_counts(counts(NOT_COMPATIBLE=5, CANCELED=50)) is S.NOT_COMPATIBLE


@pytest.mark.parametrize("active", sorted(set(MODEL_ORDER) - WAITER_TERMINAL))
def test_constraint_4_no_terminal_value_while_work_moves(active):
    everything_else = {status: 5 for status in WAITER_TERMINAL}
    assert status_from_counts(counts(**everything_else, **{active: 1})).value not in WAITER_TERMINAL


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        status_from_counts(counts(READY=-1))


def test_delta():
    assert delta("READY", "ASSIGNED") == {"READY": -1, "ASSIGNED": 1}
    assert delta(S.RUNNING, S.SUCCEEDED, 3) == {"RUNNING": -3, "SUCCEEDED": 3}
    assert delta("READY", "READY", 5) == {}
    assert delta("READY", "FAILED", 0) == {}
    assert delta(None, "PENDING", 10) == {"PENDING": 10}
    assert delta("CANCELED", None, 2) == {"CANCELED": -2}
    with pytest.raises(ValueError):
        delta("READY", "BOGUS")
    with pytest.raises(ValueError):
        delta("READY", "FAILED", -1)


def test_apply_delta_returns_a_new_full_map():
    before = {"READY": 2}
    after = apply_delta(before, delta("READY", "RUNNING"))
    assert after == counts(READY=1, RUNNING=1)
    assert before == {"READY": 2}
    with pytest.raises(ValueError):
        apply_delta(counts(READY=1), delta("READY", "RUNNING", 2))


def test_combine():
    assert combine(delta("READY", "ASSIGNED"), delta("ASSIGNED", "RUNNING")) == {"READY": -1, "RUNNING": 1}
    assert combine(delta("READY", "ASSIGNED"), delta("ASSIGNED", "READY")) == {}


def test_count_statuses():
    assert count_statuses(["READY", S.READY, "FAILED"]) == counts(READY=2, FAILED=1)


# Property: counters kept by deltas never drift from the tasks they count.

statuses = st.sampled_from(MODEL_ORDER)


def reference_status(tasks: list[str]) -> str:
    return min(tasks, key=SPEC_PRECEDENCE.index) if tasks else "SUCCEEDED"


@given(
    tasks=st.lists(statuses, max_size=30),
    moves=st.lists(st.tuples(st.integers(0, 10_000), statuses, st.integers(1, 3)), max_size=60),
)
def test_counts_follow_any_sequence_of_moves(tasks, moves):
    current = count_statuses(tasks)
    for index, new, many in moves:
        if not tasks:
            break
        # Move a group of tasks that share a status, as a bulk UPDATE would.
        old = tasks[index % len(tasks)]
        chosen = [i for i, status in enumerate(tasks) if status == old][:many]
        for i in chosen:
            tasks[i] = new
        current = apply_delta(current, delta(old, new, len(chosen)))

        assert sum(current.values()) == len(tasks)
        assert current == {**empty_counts(), **Counter(tasks)}
        aggregate = status_from_counts(current)
        assert aggregate == reference_status(tasks)
        assert is_terminal(aggregate) == (not any(current[s] for s in ACTIVE))


# startedAt / endedAt of a job or step.

T0 = datetime(2025, 1, 1, tzinfo=UTC)
EARLIER = T0 - timedelta(hours=1)


@pytest.mark.parametrize(
    ("old", "new", "started", "ended", "any_started", "expected"),
    [
        # First task start sets startedAt; a later start keeps the first one.
        ("READY", "RUNNING", None, None, True, (T0, None)),
        ("RUNNING", "RUNNING", EARLIER, None, True, (EARLIER, None)),
        # Active -> terminal sets endedAt, each time it happens.
        ("RUNNING", "SUCCEEDED", EARLIER, None, True, (EARLIER, T0)),
        ("READY", "SUSPENDED", None, None, False, (None, T0)),
        ("INTERRUPTING", "CANCELED", EARLIER, None, True, (EARLIER, T0)),
        ("PENDING", "NOT_COMPATIBLE", None, None, False, (None, T0)),
        # Requeue: endedAt removed, startedAt kept.
        ("SUCCEEDED", "READY", EARLIER, EARLIER, True, (EARLIER, None)),
        ("SUSPENDED", "PENDING", None, EARLIER, False, (None, None)),
        # Terminal -> terminal (e.g. FAILED marked SUCCEEDED): endedAt kept.
        ("FAILED", "SUCCEEDED", EARLIER, EARLIER, True, (EARLIER, EARLIER)),
        ("SUSPENDED", "CANCELED", None, EARLIER, False, (None, EARLIER)),
        # Active -> active: nothing ends.
        ("READY", "ASSIGNED", None, None, False, (None, None)),
        # Creation counts as coming from active.
        (None, "READY", None, None, False, (None, None)),
        (None, "SUCCEEDED", None, None, False, (None, T0)),
        (None, "NOT_COMPATIBLE", None, None, False, (None, T0)),
    ],
)
def test_times_after_change(old, new, started, ended, any_started, expected):
    assert times_after_change(old, new, started, ended, T0, any_task_started=any_started) == expected


def test_requeued_job_ends_again_with_a_new_end_time():
    started, ended = times_after_change("RUNNING", "SUCCEEDED", EARLIER, None, T0, any_task_started=True)
    started, ended = times_after_change("SUCCEEDED", "READY", started, ended, T0, any_task_started=True)
    later = T0 + timedelta(minutes=5)
    assert times_after_change("RUNNING", "FAILED", started, ended, later, any_task_started=True) == (EARLIER, later)


# --- a step's or job's aggregate after its counts moved, and at creation ----------------------------

LATER = T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("current", "counts_after", "expected"),
    [
        # Nothing to change: the row already reads what the counts say.
        (("RUNNING", EARLIER, None), {"RUNNING": 1, "READY": 2}, None),
        (("SUCCEEDED", EARLIER, EARLIER), {"SUCCEEDED": 3}, None),
        # Active -> terminal: endedAt is now; startedAt is kept (the counters stamp it).
        (("RUNNING", EARLIER, None), {"SUCCEEDED": 3}, ("SUCCEEDED", EARLIER, LATER)),
        (("READY", None, None), {"CANCELED": 3}, ("CANCELED", None, LATER)),
        # Terminal -> active (a requeue): endedAt goes, startedAt stays.
        (("FAILED", EARLIER, EARLIER), {"READY": 1, "FAILED": 2}, ("READY", EARLIER, None)),
        # Terminal -> terminal: endedAt kept.
        (("FAILED", EARLIER, EARLIER), {"SUCCEEDED": 3}, ("SUCCEEDED", EARLIER, EARLIER)),
        # Active -> active: only the status.
        (("READY", None, None), {"ASSIGNED": 1, "READY": 2}, ("ASSIGNED", None, None)),
        # A roll-up never stamps startedAt, even when a task runs (that is the counters' write).
        (("ASSIGNED", None, None), {"RUNNING": 1}, ("RUNNING", None, None)),
    ],
)
def test_aggregate_after_counts_changed(current, counts_after, expected):
    after = after_counts_changed(Aggregate(*current), counts(**counts_after), LATER)
    assert after == (None if expected is None else Aggregate(*expected))


@pytest.mark.parametrize(
    ("counts_at_creation", "expected"),
    [
        ({"READY": 3}, ("READY", None, None)),
        ({"PENDING": 3}, ("PENDING", None, None)),
        ({"READY": 1, "PENDING": 2}, ("READY", None, None)),
        # A job that starts out finished has ended at creation.
        ({"SUSPENDED": 3}, ("SUSPENDED", None, T0)),
        ({"NOT_COMPATIBLE": 1, "CANCELED": 2}, ("NOT_COMPATIBLE", None, T0)),
        ({}, ("SUCCEEDED", None, T0)),
    ],
)
def test_aggregate_at_creation(counts_at_creation, expected):
    assert at_creation(counts(**counts_at_creation), T0) == Aggregate(*expected)
