"""A task's run status moved by what happened to its taskRun action: the worker's reports, a worker
lost, the service taking the task back.

Owns: walking the task through the state machine for a list of events (the rule is
domain/worker_sessions.task_run) and writing the outcome once: the task row, its counters (through
the transaction's TaskChanges), and the job's failure limit and dependency settling when the task
ends FAILED or its job has dependencies.
Must not: decide transitions (the state machine does) or write SQL (the store does).
"""

from __future__ import annotations

from datetime import datetime

from farmstead.domain import job_dependencies, task_states, worker_sessions
from farmstead.domain.statuses import TaskRunStatus
from farmstead.orchestration import deferral, task_updates
from farmstead.orchestration import events as emitted
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import jobs


def apply_event(changes: TaskChanges, action, event: task_states.Event, *, started_at: datetime | None = None,
                target: str | None = None) -> bool:
    return apply_events(changes, action, [event], started_at=started_at, target=target)


def apply_events(changes: TaskChanges, action, events: list[task_states.Event], *,
                 started_at: datetime | None = None, target: str | None = None) -> bool:
    """The task's run after `events` (domain/worker_sessions.task_run), written once: the task row
    and the counter moves go to `changes`, written when it is flushed. A change that needs the
    rolled-up counts (the failure limit, dependency settling) flushes it first and may move other
    tasks; returns whether it did (what was read of other tasks and actions may be stale)."""
    conn, now = changes.conn, changes.now
    task = changes.task(action)
    if task is None:
        return False
    job = task  # the task's row carries its job's columns (tasks.get_for_report)
    edges = changes.edges_of_job(job.job_id)  # for dependencies_met and settling
    run = worker_sessions.task_run(
        task, events, action_id=action.session_action_id,
        dependencies_met=task_updates.dependencies_met(conn, action.step_id, edges),
        max_retries_per_task=job.max_retries_per_task, target=target, started_at=started_at, now=now)
    changes.write_task(task.task_id, run.values)
    if run.changed:
        emitted.task_run_status_changed(conn, job.job_id, action.step_id, [task.task_id], task.run_status,
                                       str(run.new_status), now)
    _tally(changes, run)
    if run.first_start is not None:  # a run started (a report may say "started and finished" at once)
        ready_since = task.ready_at or task.job_created_at  # NULL: READY since the job was created
        waited = (run.first_start - ready_since).total_seconds()
        changes.tally.waits.append((action.session_queue_id, max(0.0, waited)))
    # startedAt of step and job: the first task start, never changed after (requeue included).
    changes.move(job.job_id, action.step_id, run.delta, retries=run.retries, started_at=run.first_start)
    frame_moved = False
    if run.changed and job.has_frame_dependents and run.new_status in job_dependencies.ENDED:
        # Tasks of other jobs wait on this one frame by frame: released or canceled in this transaction.
        # Their jobs' counters move by deltas, so this task's held changes need not be written first.
        frame_moved = task_updates.settle_frame_waiters_of_task(conn, task.task_id, str(run.new_status), now)
    if not (run.changed and (run.new_status == TaskRunStatus.FAILED or edges)):
        if frame_moved:
            changes.forget_reads()
        return frame_moved
    # The failure limit and dependency settling read the rolled-up counts and statuses.
    changes.flush()
    job_changed = False
    # A big job's cancel or release is queued (orchestration/deferral.py), not written inside this heartbeat.
    queue = deferral.Deferral(now)
    if run.new_status == TaskRunStatus.FAILED and \
            jobs.get_existing(conn, job.job_id).count_failed > job.max_failed_tasks_count:
        task_updates.apply_job_event(conn, job.job_id, task_states.Event.JOB_FAILURE_LIMIT_REACHED, now, queue)
        job_changed = True
    job_changed = task_updates.settle_dependencies(conn, job.job_id, now, edges, queue) or job_changed
    if job_changed:
        task_updates.refresh_job(conn, job.job_id, now)
    changes.forget_reads()  # other tasks and actions may have moved
    return True


def _tally(changes: TaskChanges, run: worker_sessions.TaskRun) -> None:
    tally = changes.tally
    tally.retried += run.retries
    if run.changed and run.new_status == TaskRunStatus.SUCCEEDED:
        tally.completed += 1
    elif run.changed and run.new_status == TaskRunStatus.FAILED:
        tally.failed += 1
