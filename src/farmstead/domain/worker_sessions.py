"""A worker's heartbeat (UpdateWorkerSchedule) as decisions: what a report does to its action and its
task, and what each open session gets next (docs/sessions.md; the official agent's side:
docs/compatibility.md).

The engine reads a snapshot of the rows (the reported actions and their tasks, each open session's
listed actions), asks these functions, and applies what they return, moving every counter once
(orchestration/worker_sessions.py). Each answer is data, so the rules are tested by tables
(tests/domain/test_worker_sessions.py), as the task state machine is.

Owns:
* a report (`plan_report`): the action row's new values, whether its limits go back, the task-state
  events it sends (a start and an end in one report are both; a NEVER_ATTEMPTED task whose session's
  setup failed has failed), and the run time it shows;
* a task's run (`task_run`): those events walked through the state machine and written once;
* a session: the queued cancels to drop or settle (`queued_cancels`), then whether it waits, takes
  more tasks (`plan_session`; how many: `top_up`, `limited`), winds down with envExits innermost
  first (`env_exits`) or ends.
Must not: read or write storage, or decide a single transition (task_states does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from farmstead.domain import stuck_tasks, task_states
from farmstead.domain.reported_times import SettledTimes
from farmstead.domain.statuses import SessionActionStatus, TaskRunStatus

A = SessionActionStatus
Event = task_states.Event

#: Actions the worker may still run or report: they are listed to it until they finish.
LISTED: tuple[str, ...] = (A.ASSIGNED, A.SCHEDULED, A.RUNNING, A.CANCELING)
#: Listed actions not yet being cancelled: what a cancel (of a task, a session, a worker's work) takes back.
UNFINISHED: tuple[str, ...] = (A.ASSIGNED, A.SCHEDULED, A.RUNNING)
#: Actions that have finished: a report of one is a duplicate or a late one.
FINISHED: tuple[str, ...] = (A.SUCCEEDED, A.FAILED, A.INTERRUPTED, A.CANCELED, A.NEVER_ATTEMPTED, A.RECLAIMED)
#: A session with an action that ended like this winds down instead of taking more tasks.
#: NEVER_ATTEMPTED is not one: the agent reports it only beside one of these, and the service
#: settles a dropped queued task with it (a user cancelling one queued task must not end a session).
ENDED_BADLY: tuple[str, ...] = (A.FAILED, A.CANCELED, A.INTERRUPTED)
#: The actions a session runs before its tasks; one of them failing is a NEVER_ATTEMPTED task's failure.
SETUP_KINDS: tuple[str, ...] = ("envEnter", "syncInputJobAttachments")

_REPORT_EVENTS: Mapping[str, Event] = {
    A.SUCCEEDED: Event.RUN_SUCCEEDED,
    A.FAILED: Event.RUN_FAILED,
    A.INTERRUPTED: Event.RUN_INTERRUPTED,
    A.NEVER_ATTEMPTED: Event.RUN_NEVER_ATTEMPTED,
    A.CANCELED: Event.RUN_CANCELED,
}
#: Report members copied to the action row as they come.
_COPIED = (("progressMessage", "progress_message"), ("progressPercent", "progress_percent"),
           ("processExitCode", "process_exit_code"), ("manifests", "manifests"))


class Action(Protocol):
    """What the rules read of a session action (a store row, or anything with these attributes)."""

    @property
    def session_action_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def ended_at(self) -> datetime | None: ...


class EnvEnter(Protocol):
    @property
    def environment_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...


class Task(Protocol):
    """What a task's run reads of the task row."""

    @property
    def run_status(self) -> str: ...
    @property
    def failure_retry_count(self) -> int: ...
    @property
    def started_at(self) -> datetime | None: ...


def dropped(action: Action) -> bool:
    """A CANCELING action taken off the worker's list, not reported started (`queued_cancels`)."""
    return action.status == A.CANCELING and action.started_at is None and action.ended_at is not None


def stale(action: Action) -> bool:
    """A report of an action that has finished: a duplicate or a late one, ignored (the agent must
    never be told off for resending)."""
    return action.status in FINISHED


# --- a report ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportPlan:
    """What one report of a live action does."""

    values: dict[str, Any]
    """The action row's new column values."""
    releases_limits: bool = False
    """The action ended: the limits it holds go back."""
    events: tuple[Event, ...] = ()
    """The events for the action's task, in order (none: not a taskRun, or nothing for its task)."""
    setup_failed_events: tuple[Event, ...] | None = None
    """The events instead when the session's setup (an envEnter or input sync) FAILED, which the
    engine checks once the call's writes are in; None: nothing to check."""
    task_target: str | None = None
    """The target the task's INTERRUPTING remembered (the action's cancel target) for `task_run`."""
    task_started_at: datetime | None = None
    """The run's start as recorded, for the task's startedAt."""
    run_seconds: float | None = None
    """A taskRun that SUCCEEDED: how long it ran by the worker's own two readings (its clock's offset
    cancels out), which sets how deep the session is queued."""


def plan_report(action: Action, report: Mapping[str, Any], times: SettledTimes, now: datetime, *,
                cancel_target: str | None = None) -> ReportPlan:
    """A report of a live action (not `stale`) whose times were settled as `times`."""
    completed = report.get("completedStatus")
    values: dict[str, Any] = {"worker_updated_at": times.updated_at or now}
    if times.started_at is not None and times.started_at != action.started_at:
        values["started_at"] = times.started_at
    for member, column in _COPIED:
        if member in report:
            values[column] = report[member]
    is_run = action.kind == "taskRun"
    if completed is None:
        if action.status in (A.ASSIGNED, A.SCHEDULED):
            values["status"] = A.RUNNING.value
        if dropped(action):
            # It had started after all: an ordinary cancel of a running action from now on.
            values["ended_at"] = None
            values.setdefault("started_at", times.updated_at or now)
        starts = is_run and action.status in (A.ASSIGNED, A.SCHEDULED, A.CANCELING)
        return ReportPlan(values, events=(Event.RUN_STARTED,) if starts else (), task_started_at=times.started_at)
    values.update(status=completed, ended_at=times.ended_at or now)
    if not is_run:
        return ReportPlan(values, releases_limits=True)
    events: tuple[Event, ...] = (_REPORT_EVENTS[completed],)
    if stuck_tasks.confirmation_fails(cancel_target, completed):
        # Farmstead canceled a stuck run (domain/stuck_tasks): its end is the run's failure.
        events, cancel_target = (Event.RUN_FAILED,), None
    if action.started_at is None and times.started_at is not None and completed != A.NEVER_ATTEMPTED:
        events = (Event.RUN_STARTED, *events)
    # The environment or input sync a never-attempted task waited on failed: that is the task's
    # failure, or a broken environment would requeue it forever.
    setup_failed = (Event.RUN_FAILED,) if completed == A.NEVER_ATTEMPTED else None
    started, ended = report.get("startedAt") or action.started_at, report.get("endedAt")
    seconds = (max(0.0, (ended - started).total_seconds())
               if completed == A.SUCCEEDED and started is not None and ended is not None else None)
    return ReportPlan(values, releases_limits=True, events=events, setup_failed_events=setup_failed,
                      task_target=cancel_target, task_started_at=times.started_at, run_seconds=seconds)


# --- a task's run -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskRun:
    """A task after a list of events: its row's new values and what its step's and job's counters move by."""

    new_status: str
    values: dict[str, Any]
    delta: dict[str, int]
    """The counts' change (empty when the status stays)."""
    retries: int = 0
    """Added to failureRetryCount of the task, its step and its job."""
    first_start: datetime | None = None
    """A run started: the step's and job's startedAt unless they have one (set once, never after)."""

    @property
    def changed(self) -> bool:
        return bool(self.delta)


def task_run(task: Task, events: Iterable[Event], *, action_id: str, dependencies_met: bool,
             max_retries_per_task: int, target: str | None, started_at: datetime | None, now: datetime) -> TaskRun:
    """Walk the task through the state machine for each event in turn, to write the outcome once (a
    report that says "started and finished" is one task update, not two)."""
    status, retries, sets_started = TaskRunStatus(task.run_status), 0, False
    ended: str | None = None
    for event in events:
        transition = task_states.apply(
            status, event, dependencies_met=dependencies_met, failure_retry_count=task.failure_retry_count + retries,
            max_retries_per_task=max_retries_per_task, target=TaskRunStatus(target) if target else None)
        status = transition.new_status
        retries += transition.retry_increment
        sets_started = sets_started or transition.sets_started_at
        if transition.sets_ended_at:
            ended = "set"
        elif transition.clears_ended_at:
            ended = "clear"
    new = str(status)
    values: dict[str, Any] = {"run_status": new, "latest_session_action_id": action_id}
    if retries:
        values["failure_retry_count"] = task.failure_retry_count + retries
    if sets_started and task.started_at is None:
        values["started_at"] = started_at or now
    if new == TaskRunStatus.READY and new != task.run_status:
        values["ready_at"] = now
    if ended == "set":
        values["ended_at"] = now
    elif ended == "clear":
        values["ended_at"] = None
    delta = {task.run_status: -1, new: 1} if new != task.run_status else {}
    return TaskRun(new, values, delta, retries, (started_at or now) if sets_started else None)


# --- a session --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueuedCancels:
    """A CANCELING action queued behind another, not reported started, is dropped from the list: the
    agent reports nothing for a queued action it drops (docs/compatibility.md). In two heartbeats,
    because the worker may have finished the action ahead and started this one since its report:
    1. it is marked dropped (`ended_at`, status still CANCELING) and the answer leaves it out;
    2. the next heartbeat, if the worker reported nothing of it, it never ran: NEVER_ATTEMPTED, and
       its task settles. Had it started, the report says so: it is an ordinary cancel again (listed
       in cancelSessionActions), and its task settles by the worker's final report.
    Settled at once, its task could be handed out again (run twice) or, canceled, run on unseen."""

    drop: tuple[str, ...] = ()
    """Action ids to mark dropped."""
    settle: tuple[str, ...] = ()
    """Action ids to settle NEVER_ATTEMPTED (limits given back, their tasks' runs ended)."""

    def __bool__(self) -> bool:
        return bool(self.drop or self.settle)


def queued_cancels(listed: Sequence[Action]) -> QueuedCancels:
    """`listed`: the session's listed actions in order, after the call's reports."""
    drop, settle = [], []
    for position, action in enumerate(listed):
        if action.status != A.CANCELING or action.started_at is not None:
            continue
        if dropped(action):
            settle.append(action.session_action_id)
        elif position > 0:  # the first may be running unreported: the worker will report it
            drop.append(action.session_action_id)
    return QueuedCancels(tuple(drop), tuple(settle))


def after_cancels(listed: Sequence[Action], cancels: QueuedCancels) -> list[Action]:
    """The listed actions once `cancels` are applied: the settled ones have finished; the dropped
    ones stay listed (CANCELING) until settled."""
    return [action for action in listed if action.session_action_id not in cancels.settle]


class Next(Enum):
    """What a session gets from this heartbeat."""

    WAIT = "WAIT"
    """Nothing: setting up, canceling, full, winding down with its exits listed, or its listed tasks finish first."""
    TOP_UP = "TOP_UP"
    """More READY tasks of its step, if any can be had; else `then`."""
    WIND_DOWN = "WIND_DOWN"
    """Nothing listed and nothing more for it: its envExits (`env_exits`), or the end when there are none to run."""
    NEEDS_MARKS = "NEEDS_MARKS"
    """The decision needs the session's marks (`Marks`): ask again with them."""


@dataclass(frozen=True)
class Marks:
    """What the session has done, beyond what is listed."""

    has_exits: bool
    """It has had envExits queued already (it is winding down)."""
    ended_badly: bool
    """One of its actions ended in ENDED_BADLY."""


@dataclass(frozen=True)
class SessionPlan:
    next: Next
    wanted: int = 0
    """TOP_UP: taskRuns to add, up to the session's depth."""
    queued: int = 0
    """TOP_UP: unfinished taskRuns it holds already."""
    then: Next = Next.WAIT
    """TOP_UP: what follows when no task comes (WAIT while tasks are listed, else WIND_DOWN)."""
    exits_queued: bool = field(default=False)
    """WIND_DOWN: its envExits were queued before (they ran): it ends now."""


def plan_session(listed: Sequence[Action], *, depth: int, marks: Marks | None, ending: bool,
                 worker_started: bool) -> SessionPlan:
    """`listed`: the session's listed actions in order (after `queued_cancels`); `depth`: how many
    unfinished taskRuns it may hold; `ending`: its target lifecycle is ENDED (UpdateSession);
    `worker_started`: its worker is STARTED (a STOPPING worker's sessions wind down).

    A healthy session is topped up to `depth` unfinished taskRuns of its step; one that is winding
    down (ended, failed, canceled, its worker stopping) gets its envExits once nothing else is left."""
    if any(action.kind == "envExit" for action in listed):
        return SessionPlan(Next.WAIT)  # already winding down: the exits run, then the session ends
    busy = len(listed)
    queued_runs = sum(1 for action in listed if action.kind == "taskRun" and action.status != A.CANCELING)
    if busy > queued_runs or queued_runs >= depth:
        return SessionPlan(Next.WAIT)  # setting up, canceling, or full: nothing to add this time
    if marks is None:
        return SessionPlan(Next.NEEDS_MARKS)
    # With nothing (more) to run: the listed tasks finish first; the exits follow them.
    afterwards = Next.WAIT if busy else Next.WIND_DOWN
    if marks.has_exits or ending or not worker_started or marks.ended_badly:
        return SessionPlan(afterwards, exits_queued=marks.has_exits)
    return SessionPlan(Next.TOP_UP, wanted=depth - queued_runs, queued=queued_runs, then=afterwards,
                       exits_queued=marks.has_exits)


def counts_fleet(wanted: int, queued: int) -> bool:
    """Whether `top_up` needs the fleet's started workers: only to queue a task ahead."""
    return bool(queued) or wanted > 1


def top_up(wanted: int, queued: int, *, ready: int, started_workers: int | None) -> int:
    """How many READY tasks of its step a session asks for (0: none).

    Tasks beyond the one a session works on are queued ahead only while the step has more READY
    tasks (`ready`) than the fleet has started workers: a few tasks must spread over idle workers,
    not wait behind another worker's. `started_workers` is needed only when `counts_fleet`."""
    if counts_fleet(wanted, queued):
        assert started_workers is not None, "top_up needs the fleet's started workers here"
        if ready <= started_workers:
            return 0 if queued else 1
    return wanted


def limited(count: int, queued: int, *, takes_limits: bool) -> int:
    """Tasks to claim of a step that takes limits (0: none): one at a time, and only when the session
    holds none, since a task queued ahead would hold a limit that a free worker could use."""
    if not takes_limits:
        return count
    return 0 if queued else 1


def required_limits(host_requirements: Mapping[str, Any] | None,
                    queue_limits: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
    """(limitId, count) for each amount requirement that names one of the queue's limits (given as
    (amount requirement name, limitId)): its `min`, else 1. Names match case-insensitively."""
    by_name = {name.lower(): limit_id for name, limit_id in queue_limits}
    needed = []
    for requirement in (host_requirements or {}).get("amounts") or []:
        limit_id = by_name.get(requirement["name"].lower())
        if limit_id is not None:
            needed.append((limit_id, max(1, int(requirement.get("min") or 1))))
    return needed


def env_exits(env_enters: Sequence[EnvEnter]) -> list[str]:
    """The environments to exit, innermost first: those whose envEnter was attempted (it may have
    entered part of the way), not those never sent, never attempted or dropped."""
    return [str(action.environment_id) for action in reversed(env_enters)
            if action.status not in (A.ASSIGNED, A.NEVER_ATTEMPTED, A.CANCELING)]
