"""Which bulk task changes are too large for one request, and queuing them.

UpdateJob CANCELED on a million-task job wrote a million rows in one transaction (4 s on SQLite,
13 s on PostgreSQL) while every other request waited. Now such a change is queued and the request
answers at once; orchestration/fan_outs.py applies the queue a batch per transaction, from
background/fan_outs.py.

Owns: the policy (a change over more than `LIMITS.inline_tasks` tasks is queued; so is any change to
a job that has changes queued already, which keeps a job's changes in the order they were asked
for: a requeue after a cancel ends requeued), the batch limits, and queuing (`Deferral`).
Must not: decide transitions (domain.task_states) or write SQL (store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection, Row

from farmstead.domain import bulk_changes, task_states
from farmstead.store import fan_outs


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
