"""Budgets that count money and act (docs/fleets.md, Budgets): the sweeper's tick charges each
counting budget for its queue's session time since it last counted (open sessions up to now, ended
ones up to their end) at the fleets' worker-hour rates; then, as after any change to a budget, the
Budget Threshold Reached events for the percentages passed are noted in the outbox and the budget's
actions stop (and, for STOP_SCHEDULING_AND_CANCEL_TASKS, cancel) its queue or lift the stop. All in
the transaction that moved the usage or the budget, so the usage, its events and the block commit
together.

Why the tick charges ended sessions too: a session's end is noted in many places and needs no
price then; its last stretch is counted by the next pass (every few seconds), exactly once, because
each budget remembers how far it has counted (`usage_counted_through`), not each session.

Owns: that use case. Must not: write SQL (store/budgets.py) or decide the arithmetic
(domain/budget_usage.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection, Row

from farmstead.domain import budget_usage, events, task_states
from farmstead.domain.statuses import BudgetStatus, TaskRunStatus
from farmstead.orchestration import task_updates
from farmstead.store import budgets, notifications
from farmstead.store import events as outbox

#: Who the cancels of a stop-and-cancel action are by (a task's updatedBy).
ACTOR = "farmstead:budget"
_ON_WORKER = sorted(str(status) for status in task_states.ON_WORKER)


def tick(conn: Connection, now: datetime, default_rate: float) -> None:
    """One pass of the sweeper: every budget still counting, charged up to now, then settled."""
    for row in budgets.counting(conn, now):
        usage, counted = row.usage_dollars, {}
        if row.status == BudgetStatus.ACTIVE and row.starts_at <= now:
            since = row.usage_counted_through or row.starts_at
            until = min(now, row.ends_at)
            if until > since:
                spans = [budget_usage.SessionSpan(s.started_at, s.ended_at,
                                                  budget_usage.rate(s.cost_per_worker_hour, default_rate))
                         for s in budgets.session_spans(conn, row.queue_id, since, until)]
                usage += budget_usage.charge(spans, since, until, (row.starts_at, row.ends_at))
                counted = {"usage_dollars": usage, "usage_counted_through": until}
        settle(conn, row, usage, now, counted)


def settle(conn: Connection, row: Row, usage: float, now: datetime, changes: dict | None = None, *,
           rebase: bool = False) -> None:
    """After the usage (or the budget: `row` as it is now) changed: announce the thresholds passed
    (or, `rebase`, after a new limit, take the usage's place among them as announced), and stop,
    cancel or lift the stop of the queue as the actions say. Writes only what changed."""
    values = dict(changes or {})
    now_percent = budget_usage.percent(usage, row.approximate_dollar_limit)
    passed: list[float] = []
    if rebase:
        reported = budget_usage.rebased(now_percent, row.actions)
    elif row.status == BudgetStatus.ACTIVE:
        passed = budget_usage.crossed(row.reported_percent, now_percent, row.actions)
        reported = passed[-1] if passed else row.reported_percent
    else:
        reported = row.reported_percent
    for threshold in passed:
        outbox.append_for_farm(conn, row.farm_id, now, events.BUDGET_THRESHOLD_REACHED,
                               events.budget_threshold_reached(row.budget_id, threshold))
    if reported != row.reported_percent:
        values["reported_percent"] = reported
    in_force = row.effective_status == BudgetStatus.ACTIVE
    block = budget_usage.block(now_percent, row.actions) if in_force else budget_usage.Block(False, False)
    cancel_passed = any(a["type"] == budget_usage.STOP_AND_CANCEL and float(a["thresholdPercentage"]) in passed
                        for a in row.actions)
    if block.stop and row.queue_stopped_at is None:
        values["queue_stopped_at"] = now
    elif not block.stop and row.queue_stopped_at is not None:
        values["queue_stopped_at"] = None
        _wake(conn, row.queue_id)
    if values:
        budgets.update(conn, row.budget_id, **values)
    if block.cancel and (row.queue_stopped_at is None or cancel_passed):
        cancel_running(conn, row.queue_id, now)


def removed(conn: Connection, row: Row) -> None:
    """The budget was deleted: a stop it held is lifted with it."""
    if row.queue_stopped_at is not None:
        _wake(conn, row.queue_id)


def _wake(conn: Connection, queue_id: str) -> None:
    for job_id in budgets.jobs_with_ready_tasks(conn, queue_id):
        notifications.note_ready(conn, job_id)  # the workers waiting for work take it now


def cancel_running(conn: Connection, queue_id: str, now: datetime) -> int:
    """STOP_SCHEDULING_AND_CANCEL_TASKS: the queue's tasks on workers go CANCELED (their workers are
    told to stop them), as UpdateTask CANCELED would; how many."""
    canceled = 0
    for task in budgets.on_worker_tasks(conn, queue_id, _ON_WORKER):
        try:
            task_updates.apply_task_target(conn, task.job_id, task.step_id, task, TaskRunStatus.CANCELED, now, ACTOR)
        except task_states.IllegalTransition:
            continue  # it moved on meanwhile
        canceled += 1
    return canceled
