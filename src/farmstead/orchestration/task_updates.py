"""Applying status targets (UpdateJob/UpdateStep/UpdateTask) to tasks, and rolling the change up.

Owns: turning the pure state machine's fan-out table into a few set-based task moves per step,
keeping the per-status counters of step and job exact in the same transaction, re-deriving step and
job status and times from the counters, and releasing or cancelling dependent steps. A move over
more tasks than a request should write goes to the job's queue instead (a `deferral.Deferral`
decides), and what follows from it then runs when the queue has applied it (`after_step_move`).
Must not: decide which transition is legal (domain.task_states does) or hold SQL (store does).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection, Row

from farmstead.domain import bulk_changes, job_dependencies, rollup, task_states
from farmstead.domain.statuses import StepLifecycleStatus, TaskRunStatus
from farmstead.orchestration import events
from farmstead.orchestration.deferral import Deferral
from farmstead.store import blocklists, jobs, sessions, steps, tasks
from farmstead.store import job_dependencies as job_dependency_rows


def dependencies_met(conn: Connection, step_id: str, job_edges: list | None = None) -> bool:
    """`job_edges`: the job's dependency edges when the caller has read them; a step with none is free."""
    if job_edges is not None and not any(edge.step_id == step_id for edge in job_edges):
        return True
    return task_states.dependencies_met(up.task_run_status for up in steps.upstream_of(conn, step_id))


def _move(conn: Connection, job_row, step_row, fan: task_states.FanOut, now: datetime, who: str | None,
          target: str | None, index_range: tuple[int, int] | None = None) -> dict[str, int]:
    """Move every task of the step (with `index_range`, those with task_index in [from, to)) as the
    fan-out says, one UPDATE per source; returns the counter delta."""
    delta: dict[str, int] = defaultdict(int)
    for source, transition in fan.transitions.items():
        if transition.new_status == source:
            # INTERRUPTING stays so, but where it lands when the worker confirms is the new decision.
            if transition.pending_target is not None:
                sessions.retarget_cancels_for_tasks(conn, step_row.step_id, str(source),
                                                    str(transition.pending_target), index_range=index_range)
                if target is not None:  # the tasks keep their status and take the new targetRunStatus
                    audit = {"updated_at": now, "updated_by": who} if who else {}
                    tasks.move(conn, step_row.step_id, str(source), str(source),
                               values={"target_run_status": target, **audit}, index_range=index_range)
            continue
        values: dict = {"updated_at": now, "updated_by": who} if who else {}
        if transition.sets_ended_at:
            values["ended_at"] = now
        elif transition.clears_ended_at:
            values["ended_at"] = None
        if target is not None:
            values["target_run_status"] = target
        if transition.new_status == TaskRunStatus.READY:
            values["ready_at"] = now
        # A task that has used up its retries can't be requeued until maxRetriesPerTask grows.
        below = job_row.max_retries_per_task if source in fan.retry_guarded else None
        if events.tasks_wanted(conn):  # each moved task's event (docs/events.md): its id is needed
            moved_ids = tasks.move_returning_ids(conn, step_row.step_id, str(source), str(transition.new_status),
                                                 values=values, retry_count_below=below, index_range=index_range)
            events.task_run_status_changed(conn, job_row.job_id, step_row.step_id, moved_ids, str(source),
                                           str(transition.new_status), now)
            moved = len(moved_ids)
        else:
            moved = tasks.move(conn, step_row.step_id, str(source), str(transition.new_status), values=values,
                               retry_count_below=below, index_range=index_range)
        if moved and transition.cancel_running_action:
            # Tasks on workers: their taskRun actions go to CANCELING and reach the worker as cancels.
            pending = transition.pending_target or target
            sessions.request_cancel_for_tasks(conn, step_row.step_id, str(transition.new_status),
                                              str(pending) if pending else None, index_range=index_range)
        if moved:
            delta[str(source)] -= moved
            delta[str(transition.new_status)] += moved
    if delta:
        steps.add_counts(conn, step_row.step_id, delta)
        jobs.add_counts(conn, job_row.job_id, delta)
    return delta


def _fan(event: task_states.Event, dependencies_met: bool = True) -> task_states.FanOut:
    return task_states.fan_out(event, dependencies_met=dependencies_met)


def fan_for(conn: Connection, event: task_states.Event, step_id: str) -> task_states.FanOut:
    """The event's fan-out over the step, READY or PENDING by its dependencies where the rule asks."""
    requeue = task_states.BULK_RULES[event].requeue
    return _fan(event, dependencies_met(conn, step_id) if requeue else True)


def move_range(conn: Connection, job_row, step_row, event: task_states.Event, now: datetime, who: str | None,
               target: str | None, index_range: tuple[int, int]) -> dict[str, int]:
    """One batch of a queued move: the step's tasks with task_index in [from, to)."""
    return _move(conn, job_row, step_row, fan_for(conn, event, step_row.step_id), now, who, target, index_range)


def _move_step(conn: Connection, job_row, step_row, event: task_states.Event, now: datetime, who: str | None,
               target: str | None, deferral: Deferral | None, *, queue_only_moves: bool = False) -> bool | None:
    """Move the step's tasks now, or queue the move when `deferral` says it is too big for this
    transaction (or must wait behind the job's queued changes). Returns whether tasks moved now;
    None when queued (what follows from it runs once it has been applied: `after_step_move`).

    `queue_only_moves`: a change the service re-derives after every task change (dependency
    settling) is queued only when the step's counts say it changes some task's status. Queued for
    INTERRUPTING tasks alone (whose status stays), it would settle again when applied and queue
    itself again until their workers report."""
    if deferral is not None and deferral.defers(conn, job_row.job_id, step_row.task_count):
        if queue_only_moves and not bulk_changes.moves_some_task(steps.counts_of(step_row), event):
            return False
        deferral.queue_move(conn, job_row.job_id, step_row.step_id, event, target, who)
        return None
    return bool(_move(conn, job_row, step_row, fan_for(conn, event, step_row.step_id), now, who, target))


def _rolled_up(row, counts: dict[str, int], now: datetime) -> dict[str, Any] | None:
    """The taskRunStatus and start/end times a step or job row should have after its task counts
    changed, as column values; None when the row already has them."""
    after = rollup.after_counts_changed(rollup.Aggregate(row.task_run_status, row.started_at, row.ended_at),
                                        counts, now)
    return None if after is None else after._asdict()


def refresh_step(conn: Connection, step_id: str, job_id: str, now: datetime, row=None) -> None:
    """`row`: the step row as it is now, when the caller has it (e.g. from add_counts); else it is read."""
    if row is None:
        row = steps.get(conn, job_id, step_id)
    counts = steps.counts_of(row)
    changes = _rolled_up(row, counts, now)
    if changes is not None:
        steps.update(conn, step_id, **changes)
        status = changes.get("task_run_status")
        if status is not None and status != row.task_run_status:
            events.step_run_status_changed(conn, job_id, step_id, row.task_run_status, status, counts, now)


def refresh_job(conn: Connection, job_id: str, now: datetime, row=None) -> None:
    """`row`: the job row as it is now, when the caller has it (e.g. from add_counts); else it is read."""
    if row is None:
        row = jobs.get_by_id(conn, job_id)
    counts = jobs.counts_of(row)
    changes = _rolled_up(row, counts, now)
    if changes is not None:
        jobs.update(conn, job_id, **changes)
        ended = changes.get("task_run_status")
        if ended is not None and ended != row.task_run_status:
            events.job_run_status_changed(conn, job_id, row.task_run_status, ended, counts, now)
        if ended != row.task_run_status and ended in job_dependencies.ENDED:
            settle_waiting_jobs(conn, job_id, now)
            # Tasks whose upstream tasks a bulk move (UpdateStep/UpdateJob) ended: their wait is over too.
            settle_frame_waiters(conn, job_dependency_rows.waiters_of_job(conn, job_id), now)


# --- jobs waiting on jobs (docs/self-managing.md, "Job dependencies") -----------------------------

def settle_waiting_jobs(conn: Connection, upstream_job_id: str, now: datetime) -> None:
    """An upstream job ended: each job waiting on it is released, canceled (or left waiting, as its
    queue says) when its condition can no longer hold, or waits on."""
    for job_id in job_dependency_rows.waiting_downstream(conn, upstream_job_id):
        upstream = job_dependency_rows.upstream_of(conn, job_id)
        condition = upstream[0].condition
        found = job_dependencies.verdict(condition, [row.task_run_status or TaskRunStatus.CANCELED
                                                     for row in upstream])
        if found is job_dependencies.Verdict.RELEASE:
            release_waiting_job(conn, job_id, now, f"Released: {condition} held for "
                                                   f"{', '.join(row.upstream_job_id for row in upstream)}")
        elif found is job_dependencies.Verdict.NEVER:
            _never_satisfied(conn, job_id, upstream, now)


def release_waiting_job(conn: Connection, job_id: str, now: datetime, message: str) -> None:
    """The job's steps without upstream steps go READY; the rest wait on their steps as ever."""
    jobs.update(conn, job_id, waiting_for_jobs=False, lifecycle_status_message=message)
    job_row = jobs.get_existing(conn, job_id)
    for step_row in steps.of_job(conn, job_id):
        if steps.upstream_of(conn, step_row.step_id):
            continue
        if _move_step(conn, job_row, step_row, task_states.Event.DEPENDENCIES_MET, now, None, None, None):
            refresh_step(conn, step_row.step_id, job_id, now)
    refresh_job(conn, job_id, now)


def _never_satisfied(conn: Connection, job_id: str, upstream, now: datetime) -> None:
    job_row = jobs.get_existing(conn, job_id)
    why = ", ".join(f"{row.upstream_job_id} {row.task_run_status}" for row in upstream)
    condition = upstream[0].condition
    if blocklists.queue_tags(conn, job_row.farm_id, job_row.queue_id).get(
            job_dependencies.NEVER_SATISFIED_TAG) == "wait":
        jobs.update(conn, job_id, lifecycle_status_message=f"Waiting, though {condition} can no longer hold ({why}); "
                                                           "requeue or cancel it")
        return
    jobs.update(conn, job_id, waiting_for_jobs=False,
                lifecycle_status_message=f"Canceled: {condition} can no longer hold ({why})")
    apply_job_target(conn, job_id, TaskRunStatus.CANCELED, now, "farmstead:job-dependencies")
    jobs.update(conn, job_id, lifecycle_status_message=f"Canceled: {condition} can no longer hold ({why})")


# --- tasks waiting on tasks (farmstead:after frame:JOB) -----------------------------------------------

class FrameWaiter(NamedTuple):
    task_id: str
    job_id: str
    step_id: str
    upstream_status: str


def settle_frame_waiters_of_task(conn: Connection, upstream_task_id: str, status: str, now: datetime) -> bool:
    """The task ended with `status`: the tasks waiting on it frame by frame are released or canceled
    (one indexed read; the task's own row need not be written yet)."""
    return settle_frame_waiters(conn, [FrameWaiter(row.task_id, row.job_id, row.step_id, status)
                                       for row in job_dependency_rows.waiters_of_task(conn, upstream_task_id)], now)


def settle_frame_waiters(conn: Connection, waiters: list, now: datetime) -> bool:
    """Waiting (PENDING) tasks whose upstream task ended: READY when it SUCCEEDED; CANCELED when it
    ended otherwise, unless their queue's farmstead:dependencyNeverSatisfied is `wait` (they wait on,
    and a requeued upstream task that then succeeds still releases them). Returns whether any moved."""
    moves: dict[tuple[str, str, TaskRunStatus], list[str]] = defaultdict(list)
    waits_on: dict[str, bool] = {}
    for waiter in waiters:
        found = job_dependencies.frame_verdict(waiter.upstream_status)
        if found is job_dependencies.Verdict.WAIT:
            continue
        if found is job_dependencies.Verdict.NEVER:
            if waiter.job_id not in waits_on:
                job_row = jobs.get_existing(conn, waiter.job_id)
                waits_on[waiter.job_id] = blocklists.queue_tags(conn, job_row.farm_id, job_row.queue_id).get(
                    job_dependencies.NEVER_SATISFIED_TAG) == "wait"
            if waits_on[waiter.job_id]:
                continue
        new = TaskRunStatus.READY if found is job_dependencies.Verdict.RELEASE else TaskRunStatus.CANCELED
        moves[(waiter.job_id, waiter.step_id, new)].append(waiter.task_id)
    if not moves:
        return False
    job_dependency_rows.delete_task_links(conn, [task_id for ids in moves.values() for task_id in ids])
    job_deltas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (job_id, step_id, new), task_ids in moves.items():
        values = {"ended_at": now} if new == TaskRunStatus.CANCELED else {"ready_at": now}
        moved_ids = tasks.move_some(conn, task_ids, TaskRunStatus.PENDING, new, values)
        events.task_run_status_changed(conn, job_id, step_id, moved_ids, TaskRunStatus.PENDING, new, now)
        moved = len(moved_ids)
        if moved:
            delta: dict[str, int] = {str(TaskRunStatus.PENDING): -moved, str(new): moved}
            refresh_step(conn, step_id, job_id, now, row=steps.add_counts(conn, step_id, delta))
            for status, n in delta.items():
                job_deltas[job_id][status] += n
    for job_id, delta in job_deltas.items():
        refresh_job(conn, job_id, now, row=jobs.add_counts(conn, job_id, dict(delta)))
    return bool(job_deltas)


def _topological(conn: Connection, job_id: str) -> list:
    rows = steps.of_job(conn, job_id)
    upstream: dict[str, set[str]] = {r.step_id: set() for r in rows}
    for edge in steps.edges_of_job(conn, job_id):
        upstream[edge.step_id].add(edge.upstream_step_id)
    ordered: list = []
    done: set[str] = set()
    while len(ordered) < len(rows):
        for row in rows:
            if row.step_id not in done and upstream[row.step_id] <= done:
                ordered.append(row)
                done.add(row.step_id)
    return ordered


def apply_step_target(conn: Connection, job_id: str, step_id: str, target: str, now: datetime, who: str,
                      *, settle: bool = True, deferral: Deferral | None = None) -> bool:
    """Returns whether the move was queued (`deferral`) rather than made in this transaction."""
    job_row = jobs.get_existing(conn, job_id)
    step_row = steps.get_existing(conn, job_id, step_id)
    event = task_states.event_for_target(target)
    moved = _move_step(conn, job_row, step_row, event, now, who, target, deferral)
    steps.update(conn, step_id, target_task_run_status=target, updated_at=now, updated_by=who)
    if moved is None:
        steps.update(conn, step_id, lifecycle_status=StepLifecycleStatus.UPDATE_IN_PROGRESS,
                     lifecycle_status_message=f"Applying targetTaskRunStatus {target} to {step_row.task_count} tasks")
        events.step_lifecycle_changed(conn, job_id, step_id, step_row.lifecycle_status,
                                      StepLifecycleStatus.UPDATE_IN_PROGRESS, now)
        return True
    refresh_step(conn, step_id, job_id, now)
    if target in task_states.REQUEUE_TARGETS:
        _restore_consumers(conn, job_row, step_id, now, deferral)
    if settle:
        settle_dependencies(conn, job_id, now, deferral=deferral)
        refresh_job(conn, job_id, now)
    return False


def apply_job_target(conn: Connection, job_id: str, target: str, now: datetime, who: str,
                     deferral: Deferral | None = None) -> bool:
    """Returns whether the job's moves were queued (`deferral`: a job with more tasks than one request
    should move, or with changes queued already) rather than made in this transaction."""
    job_row = jobs.get_existing(conn, job_id)
    if deferral is not None and deferral.defers(conn, job_id, job_row.task_count):
        # Every step queued, in the order the inline path takes them: the job's changes stay in order.
        event = task_states.event_for_target(target)
        for step_row in _topological(conn, job_id):
            deferral.queue_move(conn, job_id, step_row.step_id, event, target, who)
            steps.update(conn, step_row.step_id, target_task_run_status=target, updated_at=now, updated_by=who,
                         lifecycle_status=StepLifecycleStatus.UPDATE_IN_PROGRESS,
                         lifecycle_status_message=f"Applying the job's targetTaskRunStatus {target}")
            events.step_lifecycle_changed(conn, job_id, step_row.step_id, step_row.lifecycle_status,
                                          StepLifecycleStatus.UPDATE_IN_PROGRESS, now)
        return True
    for step_row in _topological(conn, job_id):
        apply_step_target(conn, job_id, step_row.step_id, target, now, who, settle=False)
    settle_dependencies(conn, job_id, now)
    refresh_job(conn, job_id, now)
    return False


def after_step_move(conn: Connection, job_id: str, step_id: str, event: task_states.Event, now: datetime,
                    deferral: Deferral) -> None:
    """What follows a queued move once every batch of it is applied, as it follows inline: the step's
    status, the consumers of a requeued step restored, dependencies settled, the job's status."""
    refresh_step(conn, step_id, job_id, now)
    if event in (task_states.Event.TARGET_READY, task_states.Event.TARGET_PENDING):
        _restore_consumers(conn, jobs.get_by_id(conn, job_id), step_id, now, deferral)
    settle_dependencies(conn, job_id, now, deferral=deferral)
    refresh_job(conn, job_id, now)


def _restore_consumers(conn: Connection, job_row, step_id: str, now: datetime,
                       deferral: Deferral | None = None) -> None:
    """A requeued step's downstream steps come back from the CANCELED their dependency caused [I]."""
    seen: set[str] = set()
    frontier = [step_id]
    while frontier:
        for consumer in steps.consumers_of(conn, frontier.pop()):
            if consumer.step_id in seen:
                continue
            seen.add(consumer.step_id)
            row = steps.get(conn, job_row.job_id, consumer.step_id)
            if _move_step(conn, job_row, row, task_states.Event.UPSTREAM_REQUEUED, now, None, None, deferral):
                refresh_step(conn, consumer.step_id, job_row.job_id, now)
            frontier.append(consumer.step_id)


def settle_dependencies(conn: Connection, job_id: str, now: datetime, job_edges: list | None = None,
                        deferral: Deferral | None = None) -> bool:
    """Release PENDING tasks whose upstream steps all succeeded; cancel those whose upstream failed.
    Returns whether any task moved now (when not, the job row and its counters are as they were;
    a move `deferral` queued settles again once applied).
    `job_edges`: the job's dependency edges when the caller has read them."""
    if not (job_edges if job_edges is not None else steps.edges_of_job(conn, job_id)):
        return False  # a job without dependencies has nothing to settle (the common, hot case)
    moved = False
    job_row = jobs.get_by_id(conn, job_id)
    for step_row in _topological(conn, job_id):
        upstream = steps.upstream_of(conn, step_row.step_id)
        if not upstream:
            continue
        event = task_states.dependency_event(u.task_run_status for u in upstream)
        if event is None:
            continue
        current = steps.get(conn, job_id, step_row.step_id)
        if _move_step(conn, job_row, current, event, now, None, None, deferral, queue_only_moves=True):
            refresh_step(conn, step_row.step_id, job_id, now)
            moved = True
    return moved


def apply_task_target(conn: Connection, job_id: str, step_id: str, task_row, target: str, now: datetime,
                      who: str) -> None:
    """UpdateTask: one task through the state machine (IllegalTransition propagates to the handler)."""
    job_row = jobs.get_existing(conn, job_id)
    transition = task_states.apply(
        TaskRunStatus(task_row.run_status), task_states.event_for_target(target),
        dependencies_met=dependencies_met(conn, step_id), failure_retry_count=task_row.failure_retry_count,
        max_retries_per_task=job_row.max_retries_per_task, target=TaskRunStatus(target))
    new = str(transition.new_status)
    values = {"updated_at": now, "updated_by": who, "run_status": new, "target_run_status": target}
    if transition.sets_ended_at:
        values["ended_at"] = now
    elif transition.clears_ended_at:
        values["ended_at"] = None
    # The task's action before the task row: the heartbeat locks them in that order (PostgreSQL).
    if transition.cancel_running_action:
        pending = transition.pending_target or target
        sessions.request_cancel_for_task(conn, task_row.task_id, str(pending) if pending else None)
    elif new == task_row.run_status == TaskRunStatus.INTERRUPTING and transition.pending_target is not None:
        sessions.retarget_cancel_for_task(conn, task_row.task_id, str(transition.pending_target))
    tasks.update(conn, task_row.task_id, **values)
    events.task_run_status_changed(conn, job_id, step_id, [task_row.task_id], task_row.run_status, new, now)
    if new != task_row.run_status:
        delta = {task_row.run_status: -1, new: 1}
        steps.add_counts(conn, step_id, delta)
        jobs.add_counts(conn, job_id, delta)
    refresh_step(conn, step_id, job_id, now)
    if new != task_row.run_status and new in job_dependencies.ENDED:
        settle_frame_waiters_of_task(conn, task_row.task_id, new, now)
    if new in task_states.REQUEUE_TARGETS:
        _restore_consumers(conn, job_row, step_id, now)
    settle_dependencies(conn, job_id, now)
    refresh_job(conn, job_id, now)


def mark_incompatible(conn: Connection, job_id: str, incompatible: list[str], now: datetime,
                      deferral: Deferral | None = None) -> None:
    """Steps no fleet can run go NOT_COMPATIBLE and the rest of the job CANCELED (docs/jobs.md, Submission)."""
    job_row = jobs.get_existing(conn, job_id)
    queued_job = _deferring(conn, job_row, deferral)
    for step_row in steps.of_job(conn, job_id):
        event = (task_states.Event.FOUND_NOT_COMPATIBLE if step_row.name in incompatible
                 else task_states.Event.OTHER_STEP_NOT_COMPATIBLE)
        if queued_job is not None:
            queued_job.queue_move(conn, job_id, step_row.step_id, event, None, None)
        elif _move_step(conn, job_row, step_row, event, now, None, None, deferral) is not None:
            refresh_step(conn, step_row.step_id, job_id, now)
    refresh_job(conn, job_id, now)


def apply_job_event(conn: Connection, job_id: str, event: task_states.Event, now: datetime,
                    deferral: Deferral | None = None) -> None:
    """A bulk event over every step of the job (the failure limit), running tasks asked to stop."""
    job_row = jobs.get_existing(conn, job_id)
    queued_job = _deferring(conn, job_row, deferral)
    for step_row in steps.of_job(conn, job_id):
        if queued_job is not None:
            queued_job.queue_move(conn, job_id, step_row.step_id, event, None, None)
        elif _move_step(conn, job_row, step_row, event, now, None, None, deferral) is not None:
            refresh_step(conn, step_row.step_id, job_id, now)
    refresh_job(conn, job_id, now)


def _deferring(conn: Connection, job_row: Row, deferral: Deferral | None) -> Deferral | None:
    """`deferral` when it queues this job's changes (a big job, or one with changes queued already), else None."""
    return deferral if deferral is not None and deferral.defers(conn, job_row.job_id, job_row.task_count) else None
