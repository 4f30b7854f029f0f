"""A task's run status moved by what happened to its taskRun action: the worker's reports, a worker
lost, the service taking the task back.

Owns: walking the task through the state machine (domain/task_states.py) for a list of events and
writing the outcome once: the task row, its counters (through the transaction's TaskChanges), and the
job's failure limit and dependency settling when the task ends FAILED or its job has dependencies.
Must not: decide transitions (the state machine does) or write SQL (the store does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from farmstead.domain import task_states
from farmstead.domain.statuses import TaskRunStatus
from farmstead.orchestration import deferral, task_updates
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import jobs


def apply_event(changes: TaskChanges, action, event: task_states.Event, *, started_at: datetime | None = None,
                target: str | None = None) -> None:
    apply_events(changes, action, [event], started_at=started_at, target=target)


def apply_events(changes: TaskChanges, action, events: list[task_states.Event], *,
                 started_at: datetime | None = None, target: str | None = None) -> None:
    """Walk the task through the state machine for each event in turn, then write the outcome once
    (a report that says "started and finished" is one task update, not two). The task row and the
    counter moves go to `changes`, written when it is flushed; a change that needs the rolled-up
    counts (the failure limit, dependency settling) flushes it first."""
    conn, now = changes.conn, changes.now
    task = job = changes.task(action)
    if task is None:
        return
    edges = changes.edges_of_job(job.job_id)  # for dependencies_met and settling
    dependencies_met = task_updates.dependencies_met(conn, action.step_id, edges)
    status, retries, sets_started = TaskRunStatus(task.run_status), 0, False
    ended_effect = None
    for event in events:
        transition = task_states.apply(
            status, event, dependencies_met=dependencies_met, failure_retry_count=task.failure_retry_count + retries,
            max_retries_per_task=job.max_retries_per_task, target=TaskRunStatus(target) if target else None)
        status = transition.new_status
        retries += transition.retry_increment
        sets_started = sets_started or transition.sets_started_at
        if transition.sets_ended_at:
            ended_effect = "set"
        elif transition.clears_ended_at:
            ended_effect = "clear"
    new = str(status)
    values: dict[str, Any] = {"run_status": new, "latest_session_action_id": action.session_action_id}
    if retries:
        values["failure_retry_count"] = task.failure_retry_count + retries
    if sets_started and task.started_at is None:
        values["started_at"] = started_at or now
    if ended_effect == "set":
        values["ended_at"] = now
    elif ended_effect == "clear":
        values["ended_at"] = None
    changes.write_task(task.task_id, values)
    delta = {task.run_status: -1, new: 1} if new != task.run_status else {}
    # startedAt of step and job: the first task start, never changed after (requeue included).
    changes.move(job.job_id, action.step_id, delta, retries=retries,
                 started_at=(started_at or now) if sets_started else None)
    changed = new != task.run_status
    if changed and (new == "FAILED" or edges):
        # The failure limit and dependency settling read the rolled-up counts and statuses.
        changes.flush()
        job_changed = False
        # A big job's cancel or release is queued (orchestration/deferral.py), not written inside this heartbeat.
        queue = deferral.Deferral(now)
        if new == "FAILED" and jobs.get_by_id(conn, job.job_id).count_failed > job.max_failed_tasks_count:
            task_updates.apply_job_event(conn, job.job_id, task_states.Event.JOB_FAILURE_LIMIT_REACHED, now,
                                         queue)
            job_changed = True
        job_changed = task_updates.settle_dependencies(conn, job.job_id, now, edges, queue) or job_changed
        if job_changed:
            task_updates.refresh_job(conn, job.job_id, now)
        changes.forget_reads()  # other tasks and actions may have moved
