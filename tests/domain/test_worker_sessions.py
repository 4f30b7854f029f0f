"""The heartbeat's decisions against hand-written tables: what a report does to its action and task,
a task's run over several events, queued cancels, and what each open session gets next
(domain/worker_sessions.py; docs/sessions.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain.reported_times import SettledTimes
from farmstead.domain.task_states import Event
from farmstead.domain.worker_sessions import (
    Marks,
    Next,
    QueuedCancels,
    after_cancels,
    counts_fleet,
    dropped,
    env_exits,
    limited,
    plan_report,
    plan_session,
    queued_cancels,
    required_limits,
    stale,
    task_run,
    top_up,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=2)
START = NOW - timedelta(seconds=30)


@dataclass(frozen=True)
class Act:
    """A session action as the rules read it."""

    kind: str = "taskRun"
    status: str = "ASSIGNED"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    session_action_id: str = "a"
    environment_id: str | None = None


@dataclass(frozen=True)
class Tsk:
    run_status: str
    failure_retry_count: int = 0
    started_at: datetime | None = None


def times(started: datetime | None = None, ended: datetime | None = None) -> SettledTimes:
    return SettledTimes(started_at=started, ended_at=ended, updated_at=None)


# --- what a report does to its action and its task ---------------------------------------------------

# kind, action status, started before, dropped before, completedStatus (- for a progress report),
# the report's start  ->  action status written (. unchanged), limits back, task events,
# events instead when the session's setup failed.
R, S, F, INT, N, C = (Event.RUN_STARTED, Event.RUN_SUCCEEDED, Event.RUN_FAILED, Event.RUN_INTERRUPTED,
                    Event.RUN_NEVER_ATTEMPTED, Event.RUN_CANCELED)
REPORTS = [
    # A progress report moves a delivered action to RUNNING and starts its task.
    ("taskRun", "ASSIGNED", False, False, "-", START, "RUNNING", False, (R,), None),
    ("taskRun", "SCHEDULED", False, False, "-", START, "RUNNING", False, (R,), None),
    ("taskRun", "RUNNING", True, False, "-", None, ".", False, (), None),
    # A cancel asked for while it ran: status stays CANCELING; the start still counts for the task.
    ("taskRun", "CANCELING", False, False, "-", START, ".", False, (R,), None),
    # Dropped from the list, then reported started: an ordinary cancel again.
    ("taskRun", "CANCELING", False, True, "-", START, ".", False, (R,), None),
    # Setup actions move too, but send no task events.
    ("envEnter", "ASSIGNED", False, False, "-", START, "RUNNING", False, (), None),
    # Final reports: the status as reported, limits back; a start and an end in one report are both events.
    ("taskRun", "RUNNING", True, False, "SUCCEEDED", START, "SUCCEEDED", True, (S,), None),
    ("taskRun", "ASSIGNED", False, False, "SUCCEEDED", START, "SUCCEEDED", True, (R, S), None),
    ("taskRun", "ASSIGNED", False, False, "SUCCEEDED", None, "SUCCEEDED", True, (S,), None),
    ("taskRun", "RUNNING", True, False, "FAILED", START, "FAILED", True, (F,), None),
    ("taskRun", "ASSIGNED", False, False, "FAILED", START, "FAILED", True, (R, F), None),
    ("taskRun", "RUNNING", True, False, "INTERRUPTED", START, "INTERRUPTED", True, (INT,), None),
    ("taskRun", "CANCELING", True, False, "CANCELED", START, "CANCELED", True, (C,), None),
    ("taskRun", "CANCELING", False, False, "CANCELED", START, "CANCELED", True, (R, C), None),
    # Never attempted: never a start; it is the task's failure if the session's setup failed.
    ("taskRun", "ASSIGNED", False, False, "NEVER_ATTEMPTED", None, "NEVER_ATTEMPTED", True, (N,), (F,)),
    ("taskRun", "ASSIGNED", False, False, "NEVER_ATTEMPTED", START, "NEVER_ATTEMPTED", True, (N,), (F,)),
    ("envEnter", "RUNNING", True, False, "FAILED", START, "FAILED", True, (), None),
    ("envExit", "ASSIGNED", False, False, "SUCCEEDED", START, "SUCCEEDED", True, (), None),
]


@pytest.mark.parametrize(("kind", "status", "started_before", "was_dropped", "completed", "reported_start",
                          "written", "releases", "events", "setup_failed"), REPORTS)
def test_a_report(kind, status, started_before, was_dropped, completed, reported_start, written, releases, events,
                  setup_failed):
    action = Act(kind, status, started_at=START if started_before else None, ended_at=EARLIER if was_dropped else None)
    report = {} if completed == "-" else {"completedStatus": completed}
    plan = plan_report(action, report, times(reported_start, NOW if completed != "-" else None), NOW,
                       cancel_target="READY")
    assert plan.values.get("status", ".") == written
    assert plan.releases_limits is releases
    assert plan.events == events
    assert plan.setup_failed_events == setup_failed
    assert plan.task_target == ("READY" if completed != "-" and kind == "taskRun" else None)


def test_a_report_records_what_the_worker_said_and_when():
    action = Act(status="RUNNING", started_at=START)
    report = {"completedStatus": "FAILED", "processExitCode": 3, "progressMessage": "oops", "progressPercent": 40.0}
    plan = plan_report(action, report, SettledTimes(START, NOW, NOW - timedelta(seconds=1)), NOW)
    assert plan.values == {"worker_updated_at": NOW - timedelta(seconds=1), "process_exit_code": 3,
                           "progress_message": "oops", "progress_percent": 40.0, "status": "FAILED", "ended_at": NOW}


def test_a_new_start_is_written_and_the_recorded_one_kept():
    assert plan_report(Act(), {}, times(START), NOW).values["started_at"] == START
    assert "started_at" not in plan_report(Act(status="RUNNING", started_at=START), {}, times(START), NOW).values


def test_a_final_report_without_times_ends_now():
    plan = plan_report(Act(status="RUNNING", started_at=START), {"completedStatus": "SUCCEEDED"}, times(), NOW)
    assert plan.values["ended_at"] == NOW and plan.values["worker_updated_at"] == NOW


def test_a_dropped_action_reported_started_is_listed_again_with_its_start():
    plan = plan_report(Act(status="CANCELING", ended_at=EARLIER), {}, times(), NOW)
    assert plan.values["ended_at"] is None and plan.values["started_at"] == NOW


@pytest.mark.parametrize(
    ("completed", "report_times", "recorded_start", "seconds"),
    [
        ("SUCCEEDED", (START, NOW), None, 30.0),
        ("SUCCEEDED", (None, NOW), START, 30.0),  # the start reported earlier
        ("SUCCEEDED", (NOW, START), None, 0.0),  # a worker clock that went backwards: never negative
        ("SUCCEEDED", (None, None), START, None),
        ("FAILED", (START, NOW), None, None),  # only successes set the queue depth
    ],
)
def test_the_run_time_is_the_workers_own_two_readings(completed, report_times, recorded_start, seconds):
    report = {"completedStatus": completed}
    if report_times[0]:
        report["startedAt"] = report_times[0]
    if report_times[1]:
        report["endedAt"] = report_times[1]
    action = Act(status="RUNNING" if recorded_start else "ASSIGNED", started_at=recorded_start)
    assert plan_report(action, report, times(START, NOW), NOW).run_seconds == seconds


@pytest.mark.parametrize(("status", "is_stale"), [
    ("ASSIGNED", False), ("SCHEDULED", False), ("RUNNING", False), ("CANCELING", False),
    ("SUCCEEDED", True), ("FAILED", True), ("INTERRUPTED", True), ("CANCELED", True), ("NEVER_ATTEMPTED", True),
    ("RECLAIMED", True)])
def test_reports_of_finished_actions_are_stale(status, is_stale):
    assert stale(Act(status=status)) is is_stale


@pytest.mark.parametrize(("status", "started", "ended", "is_dropped"), [
    ("CANCELING", False, True, True), ("CANCELING", True, True, False), ("CANCELING", False, False, False),
    ("RUNNING", False, True, False)])
def test_dropped(status, started, ended, is_dropped):
    assert dropped(Act(status=status, started_at=START if started else None,
                       ended_at=EARLIER if ended else None)) is is_dropped


# --- a task's run over a report's events ------------------------------------------------------------

# task status, retries used, events, dependencies met -> new status, retries added, startedAt written,
# endedAt (set/clear/-), counts' first start (the run's start, or none)
RUNS = [
    ("ASSIGNED", 0, (R,), True, "RUNNING", 0, True, "-", True),
    ("ASSIGNED", 0, (R, S), True, "SUCCEEDED", 0, True, "set", True),
    ("RUNNING", 0, (S,), True, "SUCCEEDED", 0, False, "set", False),
    ("RUNNING", 0, (F,), True, "READY", 1, False, "-", False),
    ("RUNNING", 0, (F,), False, "PENDING", 1, False, "-", False),
    ("RUNNING", 2, (F,), True, "FAILED", 0, False, "set", False),  # retries used up (2 of 2)
    ("ASSIGNED", 0, (R, F), True, "READY", 1, True, "-", True),
    ("ASSIGNED", 0, (N,), True, "READY", 0, False, "-", False),
    ("RUNNING", 0, (Event.WORKER_LOST,), True, "READY", 0, False, "-", False),
    # A late report for a task that already left the worker changes nothing.
    ("SUCCEEDED", 0, (S,), True, "SUCCEEDED", 0, False, "-", False),
    ("READY", 0, (F,), True, "READY", 0, False, "-", False),
]


@pytest.mark.parametrize(("status", "retries_used", "events", "met", "new", "retries", "writes_start", "ended",
                          "first_start"), RUNS)
def test_a_tasks_run(status, retries_used, events, met, new, retries, writes_start, ended, first_start):
    run = task_run(Tsk(status, retries_used), events, action_id="a", dependencies_met=met, max_retries_per_task=2,
                   target=None, started_at=START, now=NOW)
    assert run.new_status == new
    assert run.retries == retries
    assert run.delta == ({} if new == status else {status: -1, new: 1})
    assert run.values["run_status"] == new and run.values["latest_session_action_id"] == "a"
    assert ("started_at" in run.values) is writes_start
    assert run.values.get("ended_at", "-") == {"set": NOW, "clear": None, "-": "-"}[ended]
    assert run.first_start == (START if first_start else None)
    assert run.values.get("failure_retry_count") == (retries_used + retries if retries else None)


def test_an_interrupting_task_lands_on_the_target_its_cancel_remembered():
    run = task_run(Tsk("INTERRUPTING", started_at=START), (C,), action_id="a", dependencies_met=True,
                   max_retries_per_task=2, target="SUSPENDED", started_at=None, now=NOW)
    assert (run.new_status, run.values["ended_at"]) == ("SUSPENDED", NOW)


def test_a_task_keeps_its_first_start():
    run = task_run(Tsk("ASSIGNED", started_at=EARLIER), (R,), action_id="a", dependencies_met=True,
                   max_retries_per_task=2, target=None, started_at=START, now=NOW)
    assert "started_at" not in run.values and run.first_start == START


# --- queued cancels ------------------------------------------------------------------------------------

def listed(*codes: str) -> list[Act]:
    """R running, Q queued, C canceling (not started), c canceling started, D dropped, X envExit, E envEnter."""
    make = {"R": Act(status="RUNNING", started_at=START), "Q": Act(), "C": Act(status="CANCELING"),
            "c": Act(status="CANCELING", started_at=START), "D": Act(status="CANCELING", ended_at=EARLIER),
            "X": Act(kind="envExit"), "E": Act(kind="envEnter", status="RUNNING", started_at=START)}
    return [Act(**{**make[code].__dict__, "session_action_id": str(i)}) for i, code in enumerate(codes)]


@pytest.mark.parametrize(
    ("codes", "drop", "settle"),
    [
        ("RQQ", (), ()),
        ("RC", ("1",), ()),  # queued behind a running one: dropped now
        ("C", (), ()),  # the first may be running unreported: left to the worker's report
        ("CC", ("1",), ()),
        ("Rc", (), ()),  # reported started: an ordinary cancel
        ("RD", (), ("1",)),  # dropped last time and still not reported: never attempted
        ("D", (), ("0",)),
        ("RCDQ", ("1",), ("2",)),
    ],
)
def test_queued_cancels(codes, drop, settle):
    assert queued_cancels(listed(*codes)) == QueuedCancels(drop, settle)


def test_after_cancels_the_settled_leave_the_list_and_the_dropped_stay():
    actions = listed(*"RCDQ")
    assert [a.session_action_id for a in after_cancels(actions, queued_cancels(actions))] == ["0", "1", "3"]
    assert not QueuedCancels() and QueuedCancels(drop=("1",))


# --- what a session gets next --------------------------------------------------------------------------

NO_MARKS = Marks(has_exits=False, ended_badly=False)
# listed actions, depth, marks (- not read yet), ending, worker STARTED -> next, wanted, queued, then
SESSIONS = [
    ("", 2, "-", False, True, Next.NEEDS_MARKS, 0, 0, Next.WAIT),
    ("", 2, "ok", False, True, Next.TOP_UP, 2, 0, Next.WIND_DOWN),
    ("R", 2, "ok", False, True, Next.TOP_UP, 1, 1, Next.WAIT),
    ("R", 4, "ok", False, True, Next.TOP_UP, 3, 1, Next.WAIT),
    ("RQ", 2, "-", False, True, Next.WAIT, 0, 0, Next.WAIT),  # full: marks never read
    ("E", 2, "-", False, True, Next.WAIT, 0, 0, Next.WAIT),  # setting up
    ("RC", 4, "-", False, True, Next.WAIT, 0, 0, Next.WAIT),  # canceling
    ("RX", 2, "-", False, True, Next.WAIT, 0, 0, Next.WAIT),  # exits listed: they run, then it ends
    ("X", 2, "-", False, True, Next.WAIT, 0, 0, Next.WAIT),
    # Winding down: its listed tasks finish first, then it exits its environments (or ends).
    ("R", 2, "ok", True, True, Next.WAIT, 0, 0, Next.WAIT),
    ("", 2, "ok", True, True, Next.WIND_DOWN, 0, 0, Next.WAIT),
    ("", 2, "ok", False, False, Next.WIND_DOWN, 0, 0, Next.WAIT),  # its worker is STOPPING
    ("", 2, "badly", False, True, Next.WIND_DOWN, 0, 0, Next.WAIT),
    ("R", 2, "badly", False, True, Next.WAIT, 0, 0, Next.WAIT),
    ("", 2, "exits", False, True, Next.WIND_DOWN, 0, 0, Next.WAIT),
]


@pytest.mark.parametrize(("codes", "depth", "marks", "ending", "worker_started", "next_", "wanted", "queued", "then"),
                         SESSIONS)
def test_what_a_session_gets_next(codes, depth, marks, ending, worker_started, next_, wanted, queued, then):
    given = {"-": None, "ok": NO_MARKS, "badly": Marks(False, True), "exits": Marks(True, False)}[marks]
    plan = plan_session(listed(*codes), depth=depth, marks=given, ending=ending, worker_started=worker_started)
    assert (plan.next, plan.wanted, plan.queued, plan.then) == (next_, wanted, queued, then)
    assert plan.exits_queued is (marks == "exits")


# wanted, queued, READY tasks of the step, started workers of the fleet -> tasks asked for
TOP_UPS = [
    (1, 0, 1, None, 1),  # the one task a session works on: never held back
    (2, 0, 10, 3, 2),  # more READY than workers: queued ahead
    (2, 0, 3, 3, 1),  # as many workers as READY tasks: one each
    (3, 1, 10, 3, 3),
    (3, 1, 2, 3, 0),  # it has one already: the rest spread over idle workers
    (1, 1, 4, 4, 0),
    (1, 1, 5, 4, 1),
]


@pytest.mark.parametrize(("wanted", "queued", "ready", "started", "asked"), TOP_UPS)
def test_how_many_tasks_a_session_asks_for(wanted, queued, ready, started, asked):
    assert counts_fleet(wanted, queued) is (started is not None)
    assert top_up(wanted, queued, ready=ready, started_workers=started) == asked


@pytest.mark.parametrize(("count", "queued", "takes_limits", "claimed"), [
    (3, 0, False, 3), (3, 1, False, 3), (3, 0, True, 1), (3, 1, True, 0), (1, 0, True, 1)])
def test_a_step_that_takes_limits_gets_one_task_at_a_time(count, queued, takes_limits, claimed):
    assert limited(count, queued, takes_limits=takes_limits) == claimed


def test_required_limits_match_amount_names_whatever_their_case():
    requirements = {"amounts": [{"name": "amount.Worker.GPU", "min": 2}, {"name": "amount.license", "min": 0},
                                {"name": "amount.worker.vcpu", "min": 4}]}
    limits = [("amount.worker.gpu", "limit-g"), ("AMOUNT.LICENSE", "limit-l")]
    assert required_limits(requirements, limits) == [("limit-g", 2), ("limit-l", 1)]
    assert required_limits(None, limits) == []


def test_env_exits_innermost_first_for_every_enter_attempted():
    enters = [Act(kind="envEnter", status=status, environment_id=name) for name, status in
              (("queue", "SUCCEEDED"), ("job", "FAILED"), ("step", "RUNNING"), ("never", "NEVER_ATTEMPTED"),
               ("unsent", "ASSIGNED"), ("dropped", "CANCELING"))]
    assert env_exits(enters) == ["step", "job", "queue"]
