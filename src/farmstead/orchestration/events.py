"""Emitting events where statuses change (docs/events.md): called where a job's or step's status
(the roll-up in orchestration/task_updates.py, job creation, UpdateJob, queued changes) or a task's
run status moves, in the transaction of the change, so the outbox row commits or rolls back with it.
A step's or job's status changes a few times in its life; a task's on every move, so per-task events
are noted only while some subscription wants them (one check answered from memory). A fleet's
recommended size is looked at where the fleet changes (a worker created or deleted, UpdateFleet) and
on the sweeper's every pass (its demand: tasks and time). All of a
transaction's events are written at its commit, one INSERT for its jobs' and one for its farm's
(store/events.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from farmstead.domain import events, fleet_scaling
from farmstead.orchestration import fleet_sizes
from farmstead.store import events as outbox
from farmstead.store import fleets


def job_run_status_changed(conn: Connection, job_id: str, previous: str | None, status: str, counts: dict[str, int],
                           now: datetime) -> None:
    outbox.append_for_job(conn, job_id, now, events.JOB_RUN_STATUS_CHANGE,
                          events.job_run_status_change(job_id, previous, status, counts))


def step_run_status_changed(conn: Connection, job_id: str, step_id: str, previous: str | None, status: str,
                            counts: dict[str, int], now: datetime) -> None:
    outbox.append_for_job(conn, job_id, now, events.STEP_RUN_STATUS_CHANGE,
                          events.step_run_status_change(job_id, step_id, previous, status, counts))


def job_lifecycle_changed(conn: Connection, job_id: str, previous: str | None, status: str, now: datetime) -> None:
    """`previous` None: the job was just submitted. No event when the status stays."""
    if previous != status:
        outbox.append_for_job(conn, job_id, now, events.JOB_LIFECYCLE_STATUS_CHANGE,
                              events.job_lifecycle_status_change(job_id, previous, status))


def step_lifecycle_changed(conn: Connection, job_id: str, step_id: str, previous: str, status: str,
                           now: datetime) -> None:
    if previous != status:
        outbox.append_for_job(conn, job_id, now, events.STEP_LIFECYCLE_STATUS_CHANGE,
                              events.step_lifecycle_status_change(job_id, step_id, previous, status))


def tasks_wanted(conn: Connection) -> bool:
    """Whether task moves should be reported (some subscription wants per-task events): the one cheap
    check the dispatch path makes (answered from memory, store/events.py)."""
    return outbox.per_task_events_wanted(conn)


def task_run_status_changed(conn: Connection, job_id: str, step_id: str, task_ids: list[str], previous: str,
                            status: str, now: datetime) -> None:
    """Tasks of one step moved from `previous` to `status`: one event each, when some subscription
    wants them (callers that must do work to learn `task_ids` ask `tasks_wanted` first)."""
    if previous == status or not task_ids or not tasks_wanted(conn):
        return
    for task_id in task_ids:
        outbox.append_for_job(conn, job_id, now, events.TASK_RUN_STATUS_CHANGE,
                              events.task_run_status_change(job_id, step_id, task_id, previous, status))


def _seen(row) -> tuple[int | None, int | None]:
    return row.seen_worker_count, row.seen_target


def _look(conn: Connection, rows: list, now: datetime, rule: fleet_scaling.ScalingRule) -> None:
    """Each fleet's (worker count, recommended size) now against the pair it was last looked at with:
    when it moved, the new pair is kept (only if no other look moved it meanwhile: the event is said
    once), and a Fleet Size Recommendation Change is said when the fleet's size now differs from the
    size recommended (domain/events.py)."""
    ids = [row.fleet_id for row in rows]
    counts = fleets.worker_counts(conn, ids)
    recommended = fleet_sizes.recommendations(conn, rows, counts, now, rule)
    for row in rows:
        now_seen = (counts[row.fleet_id], recommended[row.fleet_id][0])
        if now_seen == _seen(row) or not fleets.mark_seen(conn, row.fleet_id, _seen(row), now_seen):
            continue
        detail = events.fleet_size_recommendation_change(row.fleet_id, _seen(row), now_seen)
        if detail is not None:
            outbox.append_for_farm(conn, row.farm_id, now, events.FLEET_SIZE_RECOMMENDATION_CHANGE, detail)


def fleet_workers_changed(conn: Connection, fleet_row, now: datetime, rule: fleet_scaling.ScalingRule) -> None:
    """A worker of the fleet was created or deleted: its size moved. A fleet that does not auto-scale
    and was never looked at as one costs nothing here (most fleets: a worker's registration stays as
    it was)."""
    if fleet_sizes.mode_of(fleet_row) == fleet_scaling.EVENT_BASED or _seen(fleet_row) != (None, None):
        _look(conn, [fleet_row], now, rule)


def fleet_bounds_changed(conn: Connection, before_row, now: datetime, rule: fleet_scaling.ScalingRule) -> None:
    """UpdateFleet changed the fleet (`before_row`: as it was): its bounds or scaling mode may move the
    recommendation."""
    after_row = fleets.get(conn, before_row.farm_id, before_row.fleet_id)
    if after_row is not None and fleet_scaling.EVENT_BASED in (fleet_sizes.mode_of(before_row),
                                                               fleet_sizes.mode_of(after_row)):
        _look(conn, [after_row], now, rule)


def fleet_demands_looked_at(conn: Connection, now: datetime, rule: fleet_scaling.ScalingRule) -> None:
    """Every auto-scaling fleet looked at (the sweeper's pass, every few seconds): its demand moves with
    its queues' tasks (READY tasks come, a queue drains) and with time (the idle delay runs out), none
    of which is a fleet's own change. Said once per change, not once per look."""
    rows = [row for row in fleets.every(conn) if fleet_sizes.mode_of(row) == fleet_scaling.EVENT_BASED]
    if rows:
        _look(conn, rows, now, rule)
