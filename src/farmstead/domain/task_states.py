"""The one task run-status state machine (docs/jobs.md, "Task run states").

Owns: every change of a task's `runStatus`: user targets (UpdateJob/UpdateStep/UpdateTask),
dependency and compatibility events, scheduling and worker reports, and the job failure limit.
It is data (`BULK_RULES`, `PROGRESS`) plus one pure function, `apply`, returning a `Transition`:
the new status and the side effects the caller must carry out (retry count, cancelling the
task's running session action, startedAt/endedAt, the target to remember while INTERRUPTING).
`fan_out` gives the same rules per source status, so the store can apply a target to a million
tasks with a few UPDATEs instead of a Python loop.
Must not: touch storage, count tasks, or decide when the job failure limit is reached; the caller
counts FAILED tasks after a RUN_FAILED and sends JOB_FAILURE_LIMIT_REACHED itself, and `rollup`
turns transitions into count deltas.

Two kinds of "does not apply":
* no-op: the returned Transition has `new_status == status` and no effects. Used where an event is
  legitimately redundant or stale (a worker report for a task that already left the worker, a
  SUSPENDED target on a finished task, DEPENDENCIES_MET on a task that is not PENDING).
* `IllegalTransition`: the request must be refused. Requeueing a FAILED task whose retries are
  exhausted (the API answers ConflictException STATUS_CONFLICT for UpdateTask; job/step fan-out
  skips such tasks, see `FanOut.retry_guarded`), and assigning a task that is not READY (the
  dispatcher's guarded claim should make this impossible; raising surfaces the bug).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from farmstead.domain.rollup import is_active, is_terminal
from farmstead.domain.statuses import TaskRunStatus

S = TaskRunStatus


class Event(Enum):
    """Something that may change a task's run status."""

    TARGET_READY = "TARGET_READY"
    """User target READY (UpdateJob/UpdateStep/UpdateTask): requeue."""
    TARGET_PENDING = "TARGET_PENDING"
    """User target PENDING: requeue, exactly as READY (the docs' requeue example uses PENDING)."""
    TARGET_SUSPENDED = "TARGET_SUSPENDED"
    """User target SUSPENDED: everything not SUCCEEDED, CANCELED or FAILED stops and waits."""
    TARGET_CANCELED = "TARGET_CANCELED"
    """User target CANCELED: everything not SUCCEEDED or FAILED is canceled."""
    TARGET_FAILED = "TARGET_FAILED"
    """User target FAILED: everything not SUCCEEDED is marked FAILED."""
    TARGET_SUCCEEDED = "TARGET_SUCCEEDED"
    """User target SUCCEEDED: everything is marked SUCCEEDED."""

    DEPENDENCIES_MET = "DEPENDENCIES_MET"
    """Every upstream step of the task's step is now SUCCEEDED."""
    UPSTREAM_FAILED_OR_CANCELED = "UPSTREAM_FAILED_OR_CANCELED"
    """An upstream step ended FAILED or CANCELED: the step's unfinished tasks are canceled."""
    UPSTREAM_REQUEUED = "UPSTREAM_REQUEUED"
    """An upstream step is active again: the step waits (PENDING) and its canceled tasks are restored."""
    FOUND_NOT_COMPATIBLE = "FOUND_NOT_COMPATIBLE"
    """The task's step fits no fleet of the queue (compatibility re-checked after a requeue)."""
    OTHER_STEP_NOT_COMPATIBLE = "OTHER_STEP_NOT_COMPATIBLE"
    """Another step of the job fits no fleet: this step's waiting tasks are canceled."""

    ASSIGNED = "ASSIGNED"
    """The scheduler put a taskRun action for the task into a worker's session."""
    STARTED_STARTING = "STARTED_STARTING"
    """The session's earlier actions (attachments sync, envEnter) are running."""
    SCHEDULED = "SCHEDULED"
    """The action was delivered and waits behind another action of the session."""
    RUN_STARTED = "RUN_STARTED"
    """The worker reported the taskRun with `startedAt` and no `completedStatus`."""
    RUN_SUCCEEDED = "RUN_SUCCEEDED"
    """The worker reported `completedStatus=SUCCEEDED`."""
    RUN_FAILED = "RUN_FAILED"
    """The worker reported FAILED, or a failed envEnter/sync is charged to this task."""
    RUN_INTERRUPTED = "RUN_INTERRUPTED"
    """The worker reported INTERRUPTED (its own drain or shutdown)."""
    RUN_NEVER_ATTEMPTED = "RUN_NEVER_ATTEMPTED"
    """The worker reported NEVER_ATTEMPTED, or the service took back an undelivered action."""
    RUN_CANCELED = "RUN_CANCELED"
    """The worker reported CANCELED."""
    WORKER_LOST = "WORKER_LOST"
    """The worker went NOT_RESPONDING or STOPPED while holding the task."""
    SERVICE_INTERRUPT = "SERVICE_INTERRUPT"
    """The service cancels the task's action for its own reasons (queue-fleet or queue-limit
    "…_CANCEL_TASKS", UpdateSession(ENDED)): no user target, the task goes back to READY."""

    JOB_FAILURE_LIMIT_REACHED = "JOB_FAILURE_LIMIT_REACHED"
    """More tasks FAILED than maxFailedTasksCount: the job's unfinished tasks are canceled."""


ON_WORKER: frozenset[S] = frozenset({S.ASSIGNED, S.STARTING, S.SCHEDULED, S.RUNNING})
"""Statuses with an unfinished taskRun action; a change of fate goes through INTERRUPTING."""

FINISHED: frozenset[S] = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.NOT_COMPATIBLE})
"""Statuses the failure limit and a failed upstream leave alone."""

_ALL: frozenset[S] = frozenset(S)
#: The targets that requeue tasks (UpdateJob targetTaskRunStatus, UpdateStep, UpdateTask targetRunStatus).
REQUEUE_TARGETS: frozenset[S] = frozenset({S.READY, S.PENDING})


@dataclass(frozen=True)
class Transition:
    """The outcome of one event on one task."""

    new_status: S
    retry_increment: int = 0
    """Add this to the task's `failureRetryCount` (and the job's/step's `taskFailureRetryCount`)."""
    cancel_running_action: bool = False
    """Cancel the task's unfinished taskRun action: put it (and every later non-envExit action of
    its session) in the worker's `cancelSessionActions`, and set the action CANCELING."""
    sets_started_at: bool = False
    """A run started: set the task's `startedAt` if it is still unset (it is never overwritten)."""
    sets_ended_at: bool = False
    """The task went from active to terminal: set `endedAt` (the reported time, else now)."""
    clears_ended_at: bool = False
    """The task is active again (requeue): remove `endedAt`."""
    pending_target: S | None = None
    """The status to land on when the interrupted action is confirmed; set only with INTERRUPTING.
    Store it and pass it back as `apply(..., target=)`; None means no user target (back to READY)."""


class IllegalTransition(Exception):
    """The event must be refused for this task; `reason` says why."""

    RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"
    """Requeue of a FAILED task with failureRetryCount >= maxRetriesPerTask."""
    NOT_READY = "NOT_READY"
    """Only a READY task can be assigned to a worker."""

    def __init__(self, status: S, event: Event, reason: str) -> None:
        self.status = status
        self.event = event
        self.reason = reason
        super().__init__(f"{event.name} does not apply to a {status} task ({reason})")


@dataclass(frozen=True)
class BulkRule:
    """How an event that applies to many tasks at once treats each source status."""

    sources: frozenset[S]
    """Statuses the event changes; every other status is left alone."""
    to: S | None
    """Where a source not on a worker goes; on a worker it goes INTERRUPTING remembering this."""
    requeue: bool = False
    """`to` is READY when the step's dependencies are met and PENDING when not."""
    retry_guarded: frozenset[S] = frozenset()
    """Sources that move only while failureRetryCount < maxRetriesPerTask."""

    def destination(self, dependencies_met: bool) -> S | None:
        if self.requeue:
            return S.READY if dependencies_met else S.PENDING
        return self.to


# Requeue reaches every task, running ones too: the run in progress started before the user
# asked for a fresh one. Only a FAILED task with no retries left stays (AWS: it can't be requeued
# until maxRetriesPerTask grows).
_REQUEUE = BulkRule(sources=_ALL, to=None, requeue=True, retry_guarded=frozenset({S.FAILED}))
_CANCEL_UNFINISHED = BulkRule(sources=_ALL - FINISHED, to=S.CANCELED)

BULK_RULES: Mapping[Event, BulkRule] = {
    Event.TARGET_READY: _REQUEUE,
    Event.TARGET_PENDING: _REQUEUE,
    Event.TARGET_SUSPENDED: BulkRule(_ALL - {S.SUCCEEDED, S.CANCELED, S.FAILED}, S.SUSPENDED),
    Event.TARGET_CANCELED: BulkRule(_ALL - {S.SUCCEEDED, S.FAILED}, S.CANCELED),
    Event.TARGET_FAILED: BulkRule(_ALL - {S.SUCCEEDED}, S.FAILED),
    Event.TARGET_SUCCEEDED: BulkRule(_ALL, S.SUCCEEDED),
    Event.DEPENDENCIES_MET: BulkRule(frozenset({S.PENDING}), S.READY),
    Event.UPSTREAM_FAILED_OR_CANCELED: _CANCEL_UNFINISHED,
    # Dependencies are unmet by definition once an upstream step is active again, so this always
    # lands on PENDING. CANCELED tasks are restored ("as they are restored"); SUSPENDED, FAILED and
    # SUCCEEDED ones stay; an INTERRUPTING task keeps its target and resolves by dependencies anyway.
    Event.UPSTREAM_REQUEUED: BulkRule(ON_WORKER | {S.READY, S.CANCELED}, S.PENDING),
    Event.FOUND_NOT_COMPATIBLE: BulkRule(frozenset({S.PENDING, S.READY}), S.NOT_COMPATIBLE),
    Event.OTHER_STEP_NOT_COMPATIBLE: BulkRule(frozenset({S.PENDING, S.READY}), S.CANCELED),
    # Not INTERRUPTING: a user's pending target outranks the service's own interruption.
    Event.SERVICE_INTERRUPT: BulkRule(ON_WORKER, None),
    Event.JOB_FAILURE_LIMIT_REACHED: _CANCEL_UNFINISHED,
}
"""The events that treat every task of a status alike, so they can be applied in bulk."""

PROGRESS: Mapping[Event, tuple[frozenset[S], S]] = {
    Event.STARTED_STARTING: (frozenset({S.ASSIGNED}), S.STARTING),
    Event.SCHEDULED: (frozenset({S.ASSIGNED, S.STARTING}), S.SCHEDULED),
    Event.RUN_STARTED: (frozenset({S.ASSIGNED, S.STARTING, S.SCHEDULED}), S.RUNNING),
}
"""Forward moves along the worker pipeline: (from, to). Reports never move a task backwards (they
may arrive late), and STARTING/SCHEDULED are optional stops."""

RUN_ENDINGS: frozenset[Event] = frozenset({
    Event.RUN_SUCCEEDED, Event.RUN_FAILED, Event.RUN_INTERRUPTED,
    Event.RUN_NEVER_ATTEMPTED, Event.RUN_CANCELED, Event.WORKER_LOST,
})
"""Events that end the task's action; on an INTERRUPTING task they resolve the pending target."""

TARGET_EVENTS: Mapping[S, Event] = {
    S.READY: Event.TARGET_READY,
    S.PENDING: Event.TARGET_PENDING,
    S.SUSPENDED: Event.TARGET_SUSPENDED,
    S.CANCELED: Event.TARGET_CANCELED,
    S.FAILED: Event.TARGET_FAILED,
    S.SUCCEEDED: Event.TARGET_SUCCEEDED,
}


def event_for_target(target: str) -> Event:
    """The event for an UpdateJob/UpdateStep/UpdateTask target status."""
    try:
        return TARGET_EVENTS[S(target)]
    except (KeyError, ValueError):
        raise ValueError(f"{target!r} is not a target run status") from None


#: Upstream statuses that end a step's wait for good: its unfinished tasks are canceled.
UPSTREAM_ENDED_BADLY: frozenset[S] = frozenset({S.FAILED, S.CANCELED, S.NOT_COMPATIBLE})


def dependencies_met(upstream_statuses: Iterable[str]) -> bool:
    """Every upstream step SUCCEEDED (so a step without any has its dependencies met)."""
    return all(S(status) is S.SUCCEEDED for status in upstream_statuses)


def dependency_event(upstream_statuses: Iterable[str]) -> Event | None:
    """What a step's upstream steps' statuses tell its tasks: DEPENDENCIES_MET once all SUCCEEDED,
    UPSTREAM_FAILED_OR_CANCELED once any ended FAILED, CANCELED or NOT_COMPATIBLE, else (still
    running, or no upstream at all) nothing yet."""
    statuses = {S(status) for status in upstream_statuses}
    if statuses == {S.SUCCEEDED}:
        return Event.DEPENDENCIES_MET
    if statuses & UPSTREAM_ENDED_BADLY:
        return Event.UPSTREAM_FAILED_OR_CANCELED
    return None


def initial_status(
    create_target: str = S.READY,
    *,
    dependencies_met: bool,
    step_compatible: bool = True,
    job_compatible: bool = True,
) -> S:
    """A new task's status at CreateJob.

    `step_compatible`: its own step fits a fleet; `job_compatible`: every step of the job does.
    Incompatibility is reported even for a job created SUSPENDED.
    """
    if not step_compatible:
        return S.NOT_COMPATIBLE
    if not job_compatible:
        return S.CANCELED
    if S(create_target) is S.SUSPENDED:
        return S.SUSPENDED
    return S.READY if dependencies_met else S.PENDING


def _move(old: S, new: S, *, retry_increment: int = 0, sets_started_at: bool = False) -> Transition:
    """A transition to `new`, with the endedAt effects of an active/terminal crossing."""
    return Transition(
        new,
        retry_increment=retry_increment,
        sets_started_at=sets_started_at,
        sets_ended_at=is_active(old) and is_terminal(new),
        clears_ended_at=is_terminal(old) and is_active(new),
    )


def _bulk(status: S, rule: BulkRule, dependencies_met: bool) -> Transition | None:
    """The rule's transition for `status`, or None where it leaves the task alone."""
    if status not in rule.sources:
        return None
    destination = rule.destination(dependencies_met)
    if status in ON_WORKER:
        return Transition(S.INTERRUPTING, cancel_running_action=True, pending_target=destination)
    if status is S.INTERRUPTING:
        # Already cancelling: the latest decision replaces the remembered target.
        return Transition(S.INTERRUPTING, pending_target=destination)
    assert destination is not None, "a rule without a destination may only name tasks on workers"
    return None if destination is status else _move(status, destination)


def apply(
    status: str,
    event: Event,
    *,
    dependencies_met: bool,
    failure_retry_count: int,
    max_retries_per_task: int,
    target: str | None = None,
) -> Transition:
    """The transition `event` causes on a task in `status`.

    Args:
        dependencies_met: every upstream step of the task's step is SUCCEEDED (a requeued or
            returned task lands on READY, else PENDING).
        failure_retry_count, max_retries_per_task: the task's count and its job's limit; a FAILED
            report retries while count < limit.
        target: the target remembered while INTERRUPTING (the `pending_target` of the transition
            that led there). Read only when `status` is INTERRUPTING and ignored otherwise, so a
            store that keeps the last user target in the same column may always pass it.

    Raises:
        IllegalTransition: RETRIES_EXHAUSTED or NOT_READY (see the module docstring).
    """
    status = S(status)
    carried = S(target) if status is S.INTERRUPTING and target is not None else None
    unchanged = Transition(status, pending_target=carried)
    returned = S.READY if dependencies_met else S.PENDING

    rule = BULK_RULES.get(event)
    if rule is not None:
        if status in rule.retry_guarded and failure_retry_count >= max_retries_per_task:
            raise IllegalTransition(status, event, IllegalTransition.RETRIES_EXHAUSTED)
        return _bulk(status, rule, dependencies_met) or unchanged

    if event is Event.ASSIGNED:
        if status is not S.READY:
            raise IllegalTransition(status, event, IllegalTransition.NOT_READY)
        return _move(status, S.ASSIGNED)

    if event in PROGRESS:
        sources, new = PROGRESS[event]
        if status in sources:
            return _move(status, new, sets_started_at=new is S.RUNNING)
        if event is Event.RUN_STARTED and status is S.INTERRUPTING:
            # The run began before the cancel arrived: it did start, record it.
            return Transition(status, sets_started_at=True, pending_target=carried)
        return unchanged

    assert event in RUN_ENDINGS, event
    if status not in ON_WORKER and status is not S.INTERRUPTING:
        return unchanged  # a late or repeated report: the task already left that worker
    if carried is not None:
        if carried in REQUEUE_TARGETS:
            return _move(status, returned)
        # CANCELED/FAILED/SUSPENDED targets leave a SUCCEEDED task alone, so a run that
        # really succeeded before the cancel landed keeps its result; anything else lands on target.
        if event is Event.RUN_SUCCEEDED:
            return _move(status, S.SUCCEEDED)
        return _move(status, carried)
    if event is Event.RUN_SUCCEEDED:
        return _move(status, S.SUCCEEDED)
    if event is Event.RUN_FAILED:
        if failure_retry_count < max_retries_per_task:
            return _move(status, returned, retry_increment=1)
        return _move(status, S.FAILED)
    # Interrupted, never attempted, cancelled by the service, or lost with its worker: the task
    # did not fail, so it goes back without charging a retry.
    return _move(status, returned)


@dataclass(frozen=True)
class FanOut:
    """A bulk event as data: what each source status becomes."""

    transitions: Mapping[S, Transition]
    """Source status -> the Transition `apply` gives every task in it; statuses left alone are
    absent. INTERRUPTING may map to INTERRUPTING: its status stays but its target is replaced."""
    retry_guarded: frozenset[S]
    """Sources whose transition applies only where failureRetryCount < maxRetriesPerTask; tasks
    with no retries left stay where they are (apply refuses them; fan-out skips them)."""

    @property
    def moves(self) -> dict[S, S]:
        """Source -> new status, for the sources whose status changes."""
        return {source: t.new_status for source, t in self.transitions.items() if t.new_status is not source}


def fan_out(event: Event, *, dependencies_met: bool) -> FanOut:
    """`event` for every task of a job or step at once, as one UPDATE per source status.

    The store is expected to run, per entry `source -> t` (job fan-out: per group of steps with
    the same `dependencies_met`)::

        UPDATE task SET status = t.new_status, pending_target = t.pending_target,
               ended_at = now if t.sets_ended_at, NULL if t.clears_ended_at, else unchanged
         WHERE <job or step> AND status = source
           [AND failure_retry_count < job.max_retries_per_task   -- when source in retry_guarded]

    then add `rollup.delta(source, t.new_status, rowcount)` to the step and job counts, and, when
    `t.cancel_running_action`, cancel the unfinished taskRun actions of the updated tasks. The
    entries may run in any order, or as one UPDATE with a CASE: a destination that is also a
    source maps to itself with the same effects, so no task moves twice.

    Raises:
        ValueError: the event depends on more than a task's status (worker reports).
    """
    rule = BULK_RULES.get(event)
    if rule is None:
        raise ValueError(f"{event.name} cannot be fanned out; apply it task by task")
    transitions = {}
    for source in S:
        transition = _bulk(source, rule, dependencies_met)
        if transition is not None:
            transitions[source] = transition
    return FanOut(transitions, rule.retry_guarded)


def target_fan_out(target: str, *, dependencies_met: bool) -> dict[S, S]:
    """Source status -> new status for a user target over a job or step (tasks on workers map
    to INTERRUPTING). The full effects and the retry guard are in `fan_out(event_for_target(...))`."""
    return fan_out(event_for_target(target), dependencies_met=dependencies_met).moves
