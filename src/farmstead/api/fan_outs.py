"""Bulk task changes too large for one request: queued, then applied in bounded batches.

UpdateJob CANCELED on a million-task job wrote a million rows in one transaction (4 s on SQLite,
13 s on PostgreSQL) while every other request waited. Now such a change is queued and the request
answers at once; background/fan_outs.py applies the queue a batch per transaction.

Owns: the policy (a change over more than `LIMITS.inline_tasks` tasks is queued; so is any change to
a job that has changes queued already, which keeps a job's changes in the order they were asked
for: a requeue after a cancel ends requeued), queuing (`Deferral`), and applying one batch of a
job's first queued item (`apply_batch`), then what follows from a finished item as it follows
inline (api/task_updates.after_step_move), an archive or a compatibility check asked for with the
change, and the job's and steps' lifecycle back to UPDATE_SUCCEEDED when the queue is empty.
While a queued change would take READY tasks away, the job is held from dispatch
(domain/bulk_changes.holds_dispatch; store/fan_outs keeps jobs.dispatch_held).
Must not: decide transitions (domain.task_states) or write SQL (store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection, Row

from farmstead.api import job_creation, task_updates
from farmstead.domain import bulk_changes, rollup, task_states
from farmstead.store import fan_outs, jobs, steps


@dataclass(frozen=True)
class Limits:
    #: A change over more tasks than this is queued (5,000 tasks: 20-30 ms of SQLite's write lock, 55-85 ms
    #: of a PostgreSQL transaction, docs/benchmarks.md `fan_outs`).
    inline_tasks: int = 5_000
    #: Tasks per step a batch moves, in one transaction.
    batch_tasks: int = 5_000
    #: Rest between batches, leaving the store to other writers longer (0: batches back to back).
    pause_seconds: float = 0.0


LIMITS = Limits()


def configure(limits: Limits) -> None:
    """Set once at server start, from Settings."""
    global LIMITS
    LIMITS = limits


class Deferral:
    """Where the moves of one request, or of the consequences of one finished item, go when queued.

    Once a job's change is queued, every later change of that job in the same request is queued
    too, behind it. A request's items go at the end of the job's queue (a root of their own); the
    consequences of a finished item (`after`) go right after it, before the next request's changes."""

    def __init__(self, now: datetime, after: Row | None = None) -> None:
        self.now = now
        self._after = after
        self._placed = 0  # consequences already inserted after `after`
        self._roots: dict[str, int] = {}
        self.queued_jobs: set[str] = set()

    def defers(self, conn: Connection, job_id: str, task_count: int) -> bool:
        if job_id in self.queued_jobs:
            return True
        if self._after is None and fan_outs.has_pending(conn, job_id):
            return True  # behind the changes asked for earlier
        return task_count > LIMITS.inline_tasks

    def queue_move(self, conn: Connection, job_id: str, step_id: str, event: task_states.Event,
                   target: str | None, who: str | None) -> None:
        self.queued_jobs.add(job_id)
        last = fan_outs.last_for_step(conn, job_id, step_id)
        if last is not None and last.next_index == 0 and last.kind == "move" and \
                (last.event, last.target) == (event.name, target):
            return  # the same change is queued for the step and has not begun: it covers this one
        self.queue(conn, job_id, {"kind": "move", "step_id": step_id, "event": event.name, "target": target,
                                  "requested_by": who, "holds_dispatch": bulk_changes.holds_dispatch(event)})

    def queue(self, conn: Connection, job_id: str, item: dict) -> None:
        self.queued_jobs.add(job_id)
        if self._after is not None:
            fan_outs.insert_after(conn, job_id, self._after.root, self._after.sub + self._placed, [item], self.now)
            self._placed += 1
            return
        if job_id not in self._roots:
            self._roots[job_id] = fan_outs.next_root(conn, job_id)
        fan_outs.append(conn, job_id, self._roots[job_id], [item], self.now)


def archive_would_succeed(job_row, target: str) -> bool:
    """Whether a job whose `target` is queued would be terminal once it is applied (UpdateJob with
    ARCHIVED is refused at once otherwise, as when the target applies inline)."""
    projected = bulk_changes.projected_counts(jobs.counts_of(job_row), task_states.event_for_target(target))
    return projected is not None and rollup.is_terminal(rollup.status_from_counts(projected))


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
            upto = item.next_index + LIMITS.batch_tasks
            task_updates.move_range(conn, job_row, step_row, event, now, item.requested_by, item.target,
                                    (item.next_index, upto))
            # Truthful meanwhile: the step's and job's status follow each batch's counts.
            task_updates.refresh_step(conn, item.step_id, job_id, now)
            task_updates.refresh_job(conn, job_id, now)
            if upto <= fan_outs.last_task_index(conn, item.step_id):
                fan_outs.advance(conn, item.fan_out_id, upto)
                return True
    fan_outs.remove(conn, job_id, item.fan_out_id)
    follow = Deferral(now, after=item)
    if item.kind == "move" and steps.get(conn, job_id, item.step_id) is not None:
        task_updates.after_step_move(conn, job_id, item.step_id, task_states.Event[item.event], now, follow)
    elif item.kind == "compatibility":
        incompatible = job_creation.incompatible_steps(conn, job_row.queue_id, steps.of_job(conn, job_id))
        if incompatible:
            task_updates.mark_incompatible(conn, job_id, incompatible, now, deferral=follow)
    elif item.kind == "archive":
        _archive(conn, job_id)
    if fan_outs.has_pending(conn, job_id):
        return True
    _updated(conn, job_id)
    return False


def _archive(conn: Connection, job_id: str) -> None:
    status = jobs.get_by_id(conn, job_id).task_run_status
    if rollup.is_terminal(status):
        jobs.update(conn, job_id, lifecycle_status="ARCHIVED", lifecycle_status_message="Job archived")
    else:
        jobs.update(conn, job_id, lifecycle_status="UPDATE_FAILED",
                    lifecycle_status_message=f"The job could not be archived: it is {status}, not finished or "
                                             "suspended, after its update")


def _updated(conn: Connection, job_id: str) -> None:
    """The queue is empty: the update is complete."""
    if jobs.get_by_id(conn, job_id).lifecycle_status == "UPDATE_IN_PROGRESS":
        jobs.update(conn, job_id, lifecycle_status="UPDATE_SUCCEEDED",
                    lifecycle_status_message="Job update completed successfully")
    for step_row in steps.of_job(conn, job_id):
        if step_row.lifecycle_status == "UPDATE_IN_PROGRESS":
            steps.update(conn, step_row.step_id, lifecycle_status="UPDATE_SUCCEEDED",
                         lifecycle_status_message="Step update completed successfully")
