"""The task changes of one write transaction, written together: task and action rows by executemany,
and the counters once per step and once per job.

One TaskChanges is made per write transaction, by whoever owns the transaction (api/executor.py for a
request, the background pass for its own), passed explicitly to every engine function that changes
a task through a worker's session, and flushed before the transaction commits.

A heartbeat that reports several finished tasks and takes several new ones touches the same step's
and job's counters many times and writes one task row and one action row per report. One statement
per change (an UPDATE ... RETURNING and a roll-up each, for the step and the job) was most of the
heartbeat's cost. Within one transaction nobody else sees the rows in between, so changes are
collected here and written by `flush`, which callers run before anything reads them back: the
pending-action list, dependency settling, the failure limit, dispatch's candidates.
The rows the reports need are read the same way, all at once (`prefetch`). A caller that must have
its change written before it goes on (what it does next locks rows in an order) flushes at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from farmstead.orchestration import task_updates
from farmstead.store import jobs, sessions, steps, tasks


@dataclass
class _Moves:
    job_id: str
    delta: Counter = field(default_factory=Counter)
    retries: int = 0
    #: The earliest first start among the moved tasks (a row keeps the one it has).
    started_at: Any = None
    #: Succeeded runs reported, and their seconds (a step's expected run time: docs/fleets.md).
    timed_runs: int = 0
    timed_seconds: float = 0.0

    def add(self, delta: dict[str, int], retries: int, started_at: Any) -> None:
        self.delta.update(delta)
        self.retries += retries
        if started_at is not None and (self.started_at is None or started_at < self.started_at):
            self.started_at = started_at


@dataclass
class DispatchTally:
    """What this transaction did to tasks, published to the process's metrics once it commits (a
    rolled-back transaction's tally is dropped with it: farmstead.metrics counts only what happened)."""

    handed_out: int = 0
    #: Tasks whose run ended SUCCEEDED / FAILED for good; failed runs put back READY to run again.
    completed: int = 0
    failed: int = 0
    retried: int = 0
    #: (queue id, seconds) of each taskRun reported SUCCEEDED.
    run_seconds: list[tuple[str, float]] = field(default_factory=list)
    #: (queue id, seconds) from a task's becoming READY to its run's start, per run started.
    waits: list[tuple[str, float]] = field(default_factory=list)


class TaskChanges:
    def __init__(self, conn: Connection, now: datetime, *, bad_worker_rules: bool = True) -> None:
        #: The write transaction these changes belong to.
        self.conn = conn
        self.now = now
        #: Whether dispatch applies the bad-worker rules (docs/self-managing.md; Settings.bad_worker_rules).
        self.bad_worker_rules = bad_worker_rules
        #: Workers this transaction put a hold on (the fleet's failure rule): the heartbeat that
        #: reported the failure read its worker row before, and must open no session for it.
        self.newly_held: set[str] = set()
        #: Sessions a failed run was counted against in this transaction (orchestration/bad_workers):
        #: a session counts once, and a run reported beside it in the same heartbeat does not find
        #: that failure in the rows, which are written after the reports.
        self.failure_counted_sessions: set[str] = set()
        self._steps: dict[str, _Moves] = {}
        self._jobs: dict[str, _Moves] = {}
        self._edges: dict[str, list] = {}
        self._task_writes: dict[str, dict[str, Any]] = {}
        self._action_writes: dict[str, dict[str, Any]] = {}
        self._actions: dict[str, Row] = {}
        self._tasks: dict[str, Row] = {}
        self._deferred: dict[str, Counter] = {}
        self.tally = DispatchTally()

    # --- reads -----------------------------------------------------------------------------------

    def prefetch(self, action_ids: list[str]) -> None:
        """Read the reported actions (with their sessions' workers) and their tasks, two statements."""
        self._actions = sessions.actions_of_worker_by_id(self.conn, action_ids)
        task_ids = [a.task_id for a in self._actions.values() if a.kind == "taskRun" and a.task_id]
        self._tasks = tasks.for_reports(self.conn, task_ids) if task_ids else {}

    def action(self, action_id: str) -> Row | None:
        if action_id in self._actions:
            return self._actions[action_id]
        return sessions.get_action_of_worker(self.conn, action_id)

    def task(self, action) -> Row | None:
        """The action's task with its job's limits, as `tasks.get_for_report` gives it."""
        if action.task_id in self._task_writes:
            self.flush()  # touched twice in one call: read what the first change wrote
        row = self._tasks.get(action.task_id)
        if row is None:
            return tasks.get_for_report(self.conn, action.job_id, action.step_id, action.task_id)
        return row if (row.step_id, row.job_id) == (action.step_id, action.job_id) else None

    def forget_reads(self) -> None:
        """Rows read ahead may be stale after a change that moved other tasks (a failure limit, a
        dependency settled): read them again when needed."""
        self._actions, self._tasks = {}, {}

    def edges_of_job(self, job_id: str) -> list:
        """The job's dependency edges, read once per transaction (they never change after CreateJob)."""
        if job_id not in self._edges:
            self._edges[job_id] = steps.edges_of_job(self.conn, job_id)
        return self._edges[job_id]

    # --- writes ----------------------------------------------------------------------------------

    def write_task(self, task_id: str, values: dict[str, Any]) -> None:
        self._task_writes.setdefault(task_id, {}).update(values)
        self._tasks.pop(task_id, None)

    def write_action(self, action_id: str, values: dict[str, Any]) -> None:
        self._action_writes.setdefault(action_id, {}).update(values)
        self._actions.pop(action_id, None)

    def move(self, job_id: str, step_id: str, delta: dict[str, int], retries: int = 0,
             started_at: Any = None) -> None:
        self._steps.setdefault(step_id, _Moves(job_id)).add(delta, retries, started_at)
        self._jobs.setdefault(job_id, _Moves(job_id)).add(delta, retries, started_at)

    def timed_run(self, job_id: str, step_id: str, seconds: float) -> None:
        """A task of the step succeeded after running `seconds`: added to the step's run-time counters."""
        moves = self._steps.setdefault(step_id, _Moves(job_id))
        moves.timed_runs += 1
        moves.timed_seconds += seconds

    def defer_counters(self) -> None:
        """Write the held action and task rows, and keep the counter moves for `flush`: a heartbeat
        moves each step's and job's counters once, after its sessions have taken their tasks. Until
        then the step rows lack the moves held now, by `deferred(step_id, status)`."""
        self._deferred = {step_id: Counter(moves.delta) for step_id, moves in self._steps.items()}
        self.flush_rows()

    def deferred(self, step_id: str, status: str) -> int:
        """How far the step's `status` count in its row is behind by the moves `defer_counters` kept
        (0 once `flush` has written them). Moves held since are not counted: the rows never had
        them at this point of a heartbeat."""
        moves = self._deferred.get(step_id)
        return moves[status] if moves else 0

    def flush_rows(self) -> None:
        """Write the held action and task rows (the counter moves stay held)."""
        if self._action_writes:
            sessions.update_actions(self.conn, list(self._action_writes.items()))
            self._action_writes = {}
        if self._task_writes:
            tasks.update_many(self.conn, list(self._task_writes.items()))
            self._task_writes = {}

    def flush(self) -> None:
        """Write the rows, then the summed counter moves and the roll-ups (per step, then per job);
        nothing at all when nothing is held."""
        conn = self.conn
        self._deferred = {}
        self.flush_rows()
        pending_steps, pending_jobs = self._steps, self._jobs
        self._steps, self._jobs = {}, {}
        for step_id, moves in pending_steps.items():
            row = steps.add_counts(conn, step_id, _nonzero(moves.delta), retries=moves.retries,
                                   started_at=moves.started_at, timed_runs=(moves.timed_runs, moves.timed_seconds))
            if row is not None:
                task_updates.refresh_step(conn, step_id, moves.job_id, self.now, row=row)
        for job_id, moves in pending_jobs.items():
            row = jobs.add_counts(conn, job_id, _nonzero(moves.delta), retries=moves.retries,
                                  started_at=moves.started_at)
            if row is not None:
                task_updates.refresh_job(conn, job_id, self.now, row=row)


def _nonzero(delta: Counter) -> dict[str, int]:
    return {status: n for status, n in delta.items() if n}
