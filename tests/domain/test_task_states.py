"""The task state machine against explicit expected tables (docs/jobs.md, "Task run states").

The tables are written out by hand from the rules, never recomputed from the code under test.

Cell notation:
  .            no-op: same status, no effects (an INTERRUPTING task keeps its target)
  !            IllegalTransition
  ABR          move to that status
  INT>ABR      INTERRUPTING remembering ABR as the target (INT>- : no target)
  +flags       r retry count +1, x cancel the running action, s sets startedAt,
               e sets endedAt, c clears endedAt
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmstead.domain import rollup
from farmstead.domain.statuses import TaskRunStatus as S
from farmstead.domain.task_states import (
    BULK_RULES,
    Event,
    IllegalTransition,
    Transition,
    apply,
    dependencies_met,
    dependency_event,
    event_for_target,
    fan_out,
    initial_status,
    target_fan_out,
)

ABBREVIATIONS = {
    "PEN": S.PENDING, "RDY": S.READY, "ASG": S.ASSIGNED, "STA": S.STARTING, "SCH": S.SCHEDULED,
    "INT": S.INTERRUPTING, "RUN": S.RUNNING, "SUS": S.SUSPENDED, "CAN": S.CANCELED,
    "FAI": S.FAILED, "SUC": S.SUCCEEDED, "NC": S.NOT_COMPATIBLE,
}
COLUMNS = ["PEN", "RDY", "ASG", "STA", "SCH", "INT", "RUN", "SUS", "CAN", "FAI", "SUC", "NC"]

# Context of the main table: dependencies met, 0 retries used of 2, and the INTERRUPTING task
# remembers SUSPENDED (a user suspended it while it ran).
INTERRUPTING_TARGET = S.SUSPENDED
TABLE = """
event                        PEN      RDY      ASG       STA       SCH       INT       RUN       SUS     CAN     FAI     SUC     NC
TARGET_READY                 RDY      .        INT>RDY+x INT>RDY+x INT>RDY+x INT>RDY   INT>RDY+x RDY+c   RDY+c   RDY+c   RDY+c   RDY+c
TARGET_PENDING               RDY      .        INT>RDY+x INT>RDY+x INT>RDY+x INT>RDY   INT>RDY+x RDY+c   RDY+c   RDY+c   RDY+c   RDY+c
TARGET_SUSPENDED             SUS+e    SUS+e    INT>SUS+x INT>SUS+x INT>SUS+x INT>SUS   INT>SUS+x .       .       .       .       SUS
TARGET_CANCELED              CAN+e    CAN+e    INT>CAN+x INT>CAN+x INT>CAN+x INT>CAN   INT>CAN+x CAN     .       .       .       CAN
TARGET_FAILED                FAI+e    FAI+e    INT>FAI+x INT>FAI+x INT>FAI+x INT>FAI   INT>FAI+x FAI     FAI     .       .       FAI
TARGET_SUCCEEDED             SUC+e    SUC+e    INT>SUC+x INT>SUC+x INT>SUC+x INT>SUC   INT>SUC+x SUC     SUC     SUC     .       SUC
DEPENDENCIES_MET             RDY      .        .         .         .         .         .         .       .       .       .       .
UPSTREAM_FAILED_OR_CANCELED  CAN+e    CAN+e    INT>CAN+x INT>CAN+x INT>CAN+x INT>CAN   INT>CAN+x CAN     .       .       .       .
UPSTREAM_REQUEUED            .        PEN      INT>PEN+x INT>PEN+x INT>PEN+x .         INT>PEN+x .       PEN+c   .       .       .
FOUND_NOT_COMPATIBLE         NC+e     NC+e     .         .         .         .         .         .       .       .       .       .
OTHER_STEP_NOT_COMPATIBLE    CAN+e    CAN+e    .         .         .         .         .         .       .       .       .       .
ASSIGNED                     !        ASG      !         !         !         !         !         !       !       !       !       !
STARTED_STARTING             .        .        STA       .         .         .         .         .       .       .       .       .
SCHEDULED                    .        .        SCH       SCH       .         .         .         .       .       .       .       .
RUN_STARTED                  .        .        RUN+s     RUN+s     RUN+s     INT>SUS+s .         .       .       .       .       .
RUN_SUCCEEDED                .        .        SUC+e     SUC+e     SUC+e     SUC+e     SUC+e     .       .       .       .       .
RUN_FAILED                   .        .        RDY+r     RDY+r     RDY+r     SUS+e     RDY+r     .       .       .       .       .
RUN_INTERRUPTED              .        .        RDY       RDY       RDY       SUS+e     RDY       .       .       .       .       .
RUN_NEVER_ATTEMPTED          .        .        RDY       RDY       RDY       SUS+e     RDY       .       .       .       .       .
RUN_CANCELED                 .        .        RDY       RDY       RDY       SUS+e     RDY       .       .       .       .       .
WORKER_LOST                  .        .        RDY       RDY       RDY       SUS+e     RDY       .       .       .       .       .
SERVICE_INTERRUPT            .        .        INT>-+x   INT>-+x   INT>-+x   .         INT>-+x   .       .       .       .       .
JOB_FAILURE_LIMIT_REACHED    CAN+e    CAN+e    INT>CAN+x INT>CAN+x INT>CAN+x INT>CAN   INT>CAN+x CAN     .       .       .       .
"""

# The same context with the step's dependencies unmet: only these cells differ.
DEPENDENCIES_UNMET = {
    **{(event, column): cell
       for event in ("TARGET_READY", "TARGET_PENDING")
       for column, cell in {"PEN": ".", "RDY": "PEN", "ASG": "INT>PEN+x", "STA": "INT>PEN+x",
                            "SCH": "INT>PEN+x", "INT": "INT>PEN", "RUN": "INT>PEN+x", "SUS": "PEN+c",
                            "CAN": "PEN+c", "FAI": "PEN+c", "SUC": "PEN+c", "NC": "PEN+c"}.items()},
    **{("RUN_FAILED", column): "PEN+r" for column in ("ASG", "STA", "SCH", "RUN")},
    **{(event, column): "PEN"
       for event in ("RUN_INTERRUPTED", "RUN_NEVER_ATTEMPTED", "RUN_CANCELED", "WORKER_LOST")
       for column in ("ASG", "STA", "SCH", "RUN")},
}

# The same context with retries exhausted (2 used of 2): only these cells differ.
RETRIES_EXHAUSTED = {
    ("TARGET_READY", "FAI"): "!",
    ("TARGET_PENDING", "FAI"): "!",
    **{("RUN_FAILED", column): "FAI+e" for column in ("ASG", "STA", "SCH", "RUN")},
}

# An INTERRUPTING task by remembered target and the report that ends its action (deps met,
# retries left). A requeue target reruns the task whatever the run did; the other targets keep a
# real success; no target behaves like a plain running task.
RESOLUTION = """
target  RUN_SUCCEEDED RUN_FAILED RUN_INTERRUPTED RUN_NEVER_ATTEMPTED RUN_CANCELED WORKER_LOST
-       SUC+e         RDY+r      RDY             RDY                 RDY          RDY
RDY     RDY           RDY        RDY             RDY                 RDY          RDY
PEN     RDY           RDY        RDY             RDY                 RDY          RDY
SUS     SUC+e         SUS+e      SUS+e           SUS+e               SUS+e        SUS+e
CAN     SUC+e         CAN+e      CAN+e           CAN+e               CAN+e        CAN+e
FAI     SUC+e         FAI+e      FAI+e           FAI+e               FAI+e        FAI+e
SUC     SUC+e         SUC+e      SUC+e           SUC+e               SUC+e        SUC+e
"""


def _rows(text: str) -> tuple[list[str], dict[str, list[str]]]:
    header, *lines = text.strip().splitlines()
    columns = header.split()[1:]
    return columns, {line.split()[0]: line.split()[1:] for line in lines}


def _grid(text: str) -> dict[tuple[str, str], str]:
    columns, rows = _rows(text)
    return {(row, column): cell for row, cells in rows.items() for column, cell in zip(columns, cells, strict=True)}


MAIN = _grid(TABLE)


def expected(cell: str, status: S, carried: S | None) -> Transition | type[IllegalTransition]:
    """The Transition a cell describes for a task in `status` remembering `carried`."""
    if cell == "!":
        return IllegalTransition
    if cell == ".":
        return Transition(status, pending_target=carried if status is S.INTERRUPTING else None)
    head, _, flags = cell.partition("+")
    abbreviation, _, pending = head.partition(">")
    return Transition(
        ABBREVIATIONS[abbreviation],
        retry_increment=1 if "r" in flags else 0,
        cancel_running_action="x" in flags,
        sets_started_at="s" in flags,
        sets_ended_at="e" in flags,
        clears_ended_at="c" in flags,
        pending_target=ABBREVIATIONS[pending] if pending and pending != "-" else None,
    )


def outcome(status: S, event: Event, **context) -> Transition | type[IllegalTransition]:
    try:
        return apply(status, event, **context)
    except IllegalTransition:
        return IllegalTransition


def test_tables_cover_every_status_and_event():
    assert _rows(TABLE)[0] == COLUMNS
    assert set(_rows(TABLE)[1]) == {event.name for event in Event}
    assert set(ABBREVIATIONS.values()) == set(S)


PRODUCT = list(itertools.product(Event, COLUMNS))
PRODUCT_IDS = [f"{event.name}-{column}" for event, column in PRODUCT]


def _context(column: str, **overrides):
    status = ABBREVIATIONS[column]
    context = dict(dependencies_met=True, failure_retry_count=0, max_retries_per_task=2,
                   target=INTERRUPTING_TARGET if status is S.INTERRUPTING else None)
    return status, {**context, **overrides}


@pytest.mark.parametrize(("event", "column"), PRODUCT, ids=PRODUCT_IDS)
def test_every_status_and_event(event, column):
    status, context = _context(column)
    assert outcome(status, event, **context) == expected(MAIN[event.name, column], status, context["target"])


@pytest.mark.parametrize(("event", "column"), PRODUCT, ids=PRODUCT_IDS)
def test_every_status_and_event_with_dependencies_unmet(event, column):
    status, context = _context(column, dependencies_met=False)
    cell = DEPENDENCIES_UNMET.get((event.name, column), MAIN[event.name, column])
    assert outcome(status, event, **context) == expected(cell, status, context["target"])


@pytest.mark.parametrize(("event", "column"), PRODUCT, ids=PRODUCT_IDS)
def test_every_status_and_event_with_retries_exhausted(event, column):
    status, context = _context(column, failure_retry_count=2)
    cell = RETRIES_EXHAUSTED.get((event.name, column), MAIN[event.name, column])
    assert outcome(status, event, **context) == expected(cell, status, context["target"])


RESOLUTION_CELLS = sorted(_grid(RESOLUTION).items())


@pytest.mark.parametrize(("key", "cell"), RESOLUTION_CELLS, ids=[f"{t}-{e}" for (t, e), _ in RESOLUTION_CELLS])
def test_interrupting_resolves_to_its_target(key, cell):
    target, event = key
    carried = None if target == "-" else ABBREVIATIONS[target]
    got = apply(S.INTERRUPTING, Event[event], dependencies_met=True, failure_retry_count=0,
                max_retries_per_task=2, target=carried)
    assert got == expected(cell, S.INTERRUPTING, carried)


def test_interrupting_requeue_resolves_by_dependencies_at_report_time():
    for carried in (S.READY, S.PENDING):
        got = apply(S.INTERRUPTING, Event.RUN_CANCELED, dependencies_met=False,
                    failure_retry_count=0, max_retries_per_task=2, target=carried)
        assert got == Transition(S.PENDING)


def test_interrupting_without_target_follows_the_retry_rule():
    got = apply(S.INTERRUPTING, Event.RUN_FAILED, dependencies_met=True,
                failure_retry_count=2, max_retries_per_task=2, target=None)
    assert got == Transition(S.FAILED, sets_ended_at=True)


@pytest.mark.parametrize("status", sorted(set(S) - {S.INTERRUPTING}))
def test_target_is_ignored_unless_interrupting(status):
    # A store may keep GetTask's targetRunStatus in the same column and always pass it.
    for event in Event:
        plain = outcome(status, event, dependencies_met=True, failure_retry_count=0, max_retries_per_task=2)
        remembered = outcome(status, event, dependencies_met=True, failure_retry_count=0,
                             max_retries_per_task=2, target=S.CANCELED)
        assert plain == remembered


def test_retry_rule_boundary():
    # maxRetriesPerTask=0: the first failure is final; a task runs at most max + 1 times.
    assert apply(S.RUNNING, Event.RUN_FAILED, dependencies_met=True, failure_retry_count=0,
                 max_retries_per_task=0).new_status is S.FAILED
    assert apply(S.RUNNING, Event.RUN_FAILED, dependencies_met=True, failure_retry_count=4,
                 max_retries_per_task=5) == Transition(S.READY, retry_increment=1)


def test_refusal_says_why():
    with pytest.raises(IllegalTransition) as refused:
        apply(S.FAILED, Event.TARGET_READY, dependencies_met=True, failure_retry_count=5, max_retries_per_task=5)
    assert refused.value.reason == IllegalTransition.RETRIES_EXHAUSTED
    with pytest.raises(IllegalTransition) as refused:
        apply(S.PENDING, Event.ASSIGNED, dependencies_met=True, failure_retry_count=0, max_retries_per_task=5)
    assert refused.value.reason == IllegalTransition.NOT_READY


def test_requeue_after_the_limit_is_raised():
    # "can't be requeued until this value is increased"
    assert apply(S.FAILED, Event.TARGET_READY, dependencies_met=True, failure_retry_count=5,
                 max_retries_per_task=6) == Transition(S.READY, clears_ended_at=True)


def test_event_for_target():
    assert event_for_target("PENDING") is Event.TARGET_PENDING
    assert event_for_target(S.SUSPENDED) is Event.TARGET_SUSPENDED
    for bad in ("RUNNING", "NOPE"):
        with pytest.raises(ValueError):
            event_for_target(bad)


@pytest.mark.parametrize(
    ("create_target", "dependencies_met", "step_compatible", "job_compatible", "status"),
    [
        ("READY", True, True, True, S.READY),
        ("READY", False, True, True, S.PENDING),
        ("SUSPENDED", True, True, True, S.SUSPENDED),
        ("SUSPENDED", False, True, True, S.SUSPENDED),
        ("READY", True, False, False, S.NOT_COMPATIBLE),
        ("SUSPENDED", False, False, False, S.NOT_COMPATIBLE),
        ("READY", True, True, False, S.CANCELED),
        ("SUSPENDED", True, True, False, S.CANCELED),
    ],
)
def test_initial_status(create_target, dependencies_met, step_compatible, job_compatible, status):
    assert initial_status(create_target, dependencies_met=dependencies_met, step_compatible=step_compatible,
                          job_compatible=job_compatible) is status


# Fan-out: the bulk form must agree with apply for every status.

BULK_EVENTS = sorted(BULK_RULES, key=lambda event: event.name)


@pytest.mark.parametrize("dependencies_met", [True, False])
@pytest.mark.parametrize("event", BULK_EVENTS, ids=lambda event: event.name)
def test_fan_out_agrees_with_apply_for_every_status(event, dependencies_met):
    plan = fan_out(event, dependencies_met=dependencies_met)
    for status in S:
        # Retries left: the plan's transition, or a no-op where the plan leaves the status alone.
        single = apply(status, event, dependencies_met=dependencies_met, failure_retry_count=0,
                       max_retries_per_task=1, target=None)
        assert single == plan.transitions.get(status, Transition(status)), status
        # Retries exhausted: guarded sources are refused one by one and skipped in bulk.
        if status in plan.retry_guarded:
            with pytest.raises(IllegalTransition):
                apply(status, event, dependencies_met=dependencies_met, failure_retry_count=1,
                      max_retries_per_task=1)
        else:
            assert apply(status, event, dependencies_met=dependencies_met, failure_retry_count=1,
                         max_retries_per_task=1) == single


@pytest.mark.parametrize("dependencies_met", [True, False])
@pytest.mark.parametrize("event", BULK_EVENTS, ids=lambda event: event.name)
def test_fan_out_updates_can_run_in_any_order(event, dependencies_met):
    plan = fan_out(event, dependencies_met=dependencies_met)
    for transition in plan.transitions.values():
        follow_up = plan.transitions.get(transition.new_status)
        if follow_up is not None:
            # A task already moved by one UPDATE is matched by another: it must stay put.
            assert follow_up.new_status is transition.new_status
            assert follow_up.pending_target == transition.pending_target


@pytest.mark.parametrize("dependencies_met", [True, False])
def test_target_fan_out(dependencies_met):
    landing = S.READY if dependencies_met else S.PENDING
    on_worker = {s: S.INTERRUPTING for s in (S.ASSIGNED, S.STARTING, S.SCHEDULED, S.RUNNING)}
    requeue = {**on_worker, **{s: landing for s in (S.PENDING, S.READY, S.SUSPENDED, S.CANCELED,
                                                  S.FAILED, S.SUCCEEDED, S.NOT_COMPATIBLE)}}
    del requeue[landing]
    assert target_fan_out("READY", dependencies_met=dependencies_met) == requeue
    assert target_fan_out("PENDING", dependencies_met=dependencies_met) == requeue
    assert target_fan_out("CANCELED", dependencies_met=dependencies_met) == {
        **on_worker, S.PENDING: S.CANCELED, S.READY: S.CANCELED, S.SUSPENDED: S.CANCELED,
        S.NOT_COMPATIBLE: S.CANCELED}
    assert target_fan_out("SUSPENDED", dependencies_met=dependencies_met) == {
        **on_worker, S.PENDING: S.SUSPENDED, S.READY: S.SUSPENDED, S.NOT_COMPATIBLE: S.SUSPENDED}
    assert fan_out(Event.TARGET_READY, dependencies_met=dependencies_met).retry_guarded == {S.FAILED}
    assert fan_out(Event.TARGET_CANCELED, dependencies_met=dependencies_met).retry_guarded == frozenset()
    assert fan_out(Event.TARGET_CANCELED, dependencies_met=True).transitions[S.INTERRUPTING] == Transition(
        S.INTERRUPTING, pending_target=S.CANCELED)


def test_worker_reports_cannot_be_fanned_out():
    with pytest.raises(ValueError):
        fan_out(Event.RUN_FAILED, dependencies_met=True)


# What a step's upstream steps' statuses tell its tasks (settling dependencies).

@pytest.mark.parametrize(
    ("upstream", "event", "met"),
    [
        ([], None, True),
        (["SUCCEEDED"], Event.DEPENDENCIES_MET, True),
        (["SUCCEEDED", "SUCCEEDED"], Event.DEPENDENCIES_MET, True),
        (["SUCCEEDED", "RUNNING"], None, False),
        (["READY", "PENDING"], None, False),
        (["SUSPENDED"], None, False),
        (["FAILED"], Event.UPSTREAM_FAILED_OR_CANCELED, False),
        (["CANCELED", "SUCCEEDED"], Event.UPSTREAM_FAILED_OR_CANCELED, False),
        (["NOT_COMPATIBLE"], Event.UPSTREAM_FAILED_OR_CANCELED, False),
        # One upstream ended badly: the step's tasks are canceled though another still runs.
        (["RUNNING", "FAILED"], Event.UPSTREAM_FAILED_OR_CANCELED, False),
    ],
)
def test_upstream_statuses_decide_the_dependency_event(upstream, event, met):
    assert dependency_event(upstream) == event
    assert dependencies_met(upstream) is met


# Property: any sequence of events keeps a task in a consistent state.

@given(
    events=st.lists(st.sampled_from(list(Event)), max_size=40),
    dependencies=st.lists(st.booleans(), min_size=1),
    max_retries=st.integers(0, 3),
)
def test_random_event_sequences_stay_consistent(events, dependencies, max_retries):
    status, pending, retries, ended = S.READY, None, 0, False
    counts = rollup.count_statuses([status])
    for index, event in enumerate(events):
        try:
            t = apply(status, event, dependencies_met=dependencies[index % len(dependencies)],
                      failure_retry_count=retries, max_retries_per_task=max_retries, target=pending)
        except IllegalTransition:
            continue
        assert (t.pending_target is None) or t.new_status is S.INTERRUPTING
        assert t.cancel_running_action == (status is not S.INTERRUPTING and t.new_status is S.INTERRUPTING)
        assert not (t.sets_ended_at and t.clears_ended_at)
        counts = rollup.apply_delta(counts, rollup.delta(status, t.new_status))
        status, pending, retries = t.new_status, t.pending_target, retries + t.retry_increment
        ended = (ended or t.sets_ended_at) and not t.clears_ended_at
        assert retries <= max_retries
        assert ended == rollup.is_terminal(status)
        assert counts == rollup.count_statuses([status])
