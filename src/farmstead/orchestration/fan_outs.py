"""Applying bulk task changes queued by orchestration/deferral.py, in bounded batches.

Owns: applying one batch of a job's first queued item (`apply_batch`, run by background/fan_outs.py
a transaction at a time), then what follows from a finished item as it follows inline
(task_updates.after_step_move), an archive or a compatibility check asked for with the change, and
the job's and steps' lifecycle back to UPDATE_SUCCEEDED when the queue is empty; and whether an
archive asked for with a queued target would succeed (`archive_would_succeed`).
While a queued change would take READY tasks away, the job is held from dispatch
(domain/bulk_changes.holds_dispatch; store/fan_outs keeps jobs.dispatch_held).
Must not: decide transitions (domain.task_states) or write SQL (store).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from farmstead.domain import bulk_changes, rollup, task_states
from farmstead.domain.statuses import JobLifecycleStatus, StepLifecycleStatus
from farmstead.orchestration import deferral, events, job_creation, task_updates
from farmstead.store import fan_outs, jobs, steps


def archive_would_succeed(job_row, target: str) -> bool:
    """Whether a job whose `target` is queued would be terminal once it is applied (UpdateJob with
    ARCHIVED is refused at once otherwise, as when the target applies inline)."""
    return bulk_changes.ends_terminal(jobs.counts_of(job_row), task_states.event_for_target(target))


def apply_batch(conn: Connection, job_id: str, now: datetime) -> bool:
    """Apply the next batch of the job's first queued item; whether the job has more queued."""
    item = fan_outs.first(conn, job_id)
    job_row = jobs.get_by_id(conn, job_id)
    if item is None or job_row is None:
        return False  # nothing queued, or the job was deleted (its queue with it)
    if item.kind == "move":
        step_row = steps.get(conn, job_id, item.step_id)
        event = task_states.Event[item.event]
        if step_row is not None:
            upto = item.next_index + deferral.LIMITS.batch_tasks
            task_updates.move_range(conn, job_row, step_row, event, now, item.requested_by, item.target,
                                    (item.next_index, upto))
            # Truthful meanwhile: the step's and job's status follow each batch's counts.
            task_updates.refresh_step(conn, item.step_id, job_id, now)
            task_updates.refresh_job(conn, job_id, now)
            if upto <= fan_outs.last_task_index(conn, item.step_id):
                fan_outs.advance(conn, item.fan_out_id, upto)
                return True
    fan_outs.remove(conn, job_id, item.fan_out_id)
    follow = deferral.Deferral(now, after=item)
    if item.kind == "move" and steps.get(conn, job_id, item.step_id) is not None:
        task_updates.after_step_move(conn, job_id, item.step_id, task_states.Event[item.event], now, follow)
    elif item.kind == "compatibility":
        incompatible = job_creation.incompatible_steps(conn, job_row.queue_id, steps.of_job(conn, job_id))
        if incompatible:
            task_updates.mark_incompatible(conn, job_id, incompatible, now, deferral=follow)
    elif item.kind == "archive":
        _archive(conn, job_id, now)
    if fan_outs.has_pending(conn, job_id):
        return True
    _updated(conn, job_id, now)
    return False


def _archive(conn: Connection, job_id: str, now: datetime) -> None:
    row = jobs.get_existing(conn, job_id)
    status = row.task_run_status
    if rollup.is_terminal(status):
        jobs.update(conn, job_id, lifecycle_status=JobLifecycleStatus.ARCHIVED, lifecycle_status_message="Job archived")
        events.job_lifecycle_changed(conn, job_id, row.lifecycle_status, JobLifecycleStatus.ARCHIVED, now)
    else:
        jobs.update(conn, job_id, lifecycle_status=JobLifecycleStatus.UPDATE_FAILED,
                    lifecycle_status_message=f"The job could not be archived: it is {status}, not finished or "
                                             "suspended, after its update")
        events.job_lifecycle_changed(conn, job_id, row.lifecycle_status, JobLifecycleStatus.UPDATE_FAILED, now)


def _updated(conn: Connection, job_id: str, now: datetime) -> None:
    """The queue is empty: the update is complete."""
    if jobs.get_existing(conn, job_id).lifecycle_status == JobLifecycleStatus.UPDATE_IN_PROGRESS:
        jobs.update(conn, job_id, lifecycle_status=JobLifecycleStatus.UPDATE_SUCCEEDED,
                    lifecycle_status_message="Job update completed successfully")
        events.job_lifecycle_changed(conn, job_id, JobLifecycleStatus.UPDATE_IN_PROGRESS,
                                     JobLifecycleStatus.UPDATE_SUCCEEDED, now)
    for step_row in steps.of_job(conn, job_id):
        if step_row.lifecycle_status == StepLifecycleStatus.UPDATE_IN_PROGRESS:
            steps.update(conn, step_row.step_id, lifecycle_status=StepLifecycleStatus.UPDATE_SUCCEEDED,
                         lifecycle_status_message="Step update completed successfully")
            events.step_lifecycle_changed(conn, job_id, step_row.step_id, StepLifecycleStatus.UPDATE_IN_PROGRESS,
                                          StepLifecycleStatus.UPDATE_SUCCEEDED, now)
