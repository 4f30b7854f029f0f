"""Emitting events where statuses change (docs/events.md): called where a job's or step's status
(the roll-up in orchestration/task_updates.py, job creation, UpdateJob, queued changes) or a task's
run status moves, in the transaction of the change, so the outbox row commits or rolls back with it.
A step's or job's status changes a few times in its life; a task's on every move, so per-task events
are noted only while some subscription wants them (one check answered from memory). A fleet's
recommended size is looked at where it can move: a worker created or deleted, UpdateFleet. All of a
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


def _mode(row) -> str:
    return (row.configuration or {}).get("customerManaged", {}).get("mode", "")


def _demand(conn: Connection, fleet_id: str, now: datetime, rule: fleet_scaling.ScalingRule) -> fleet_scaling.Demand:
    return fleet_sizes.demands(conn, [fleet_id], now, rule)[fleet_id]


def _fleet_size(row, worker_count: int, demand: fleet_scaling.Demand,
                rule: fleet_scaling.ScalingRule) -> tuple[int, int | None]:
    target, _ = fleet_scaling.recommendation(_mode(row), worker_count, row.min_worker_count, row.max_worker_count,
                                             demand, rule)
    return worker_count, target


def fleet_workers_changed(conn: Connection, fleet_row, added: int, now: datetime,
                          rule: fleet_scaling.ScalingRule) -> None:
    """A worker of the fleet was created (`added` 1) or deleted (-1): a Fleet Size Recommendation Change
    when the fleet's size now falls outside the size recommended for it (domain/fleet_scaling.py, from
    the fleet's demand as GetFleet reports it). A fleet that does not auto-scale costs nothing here
    (most fleets: a worker's registration stays as it was)."""
    if _mode(fleet_row) != fleet_scaling.EVENT_BASED:
        return
    count = fleets.worker_counts(conn, [fleet_row.fleet_id])[fleet_row.fleet_id]
    demand = _demand(conn, fleet_row.fleet_id, now, rule)
    detail = events.fleet_size_recommendation_change(fleet_row.fleet_id,
                                                     _fleet_size(fleet_row, count - added, demand, rule),
                                                     _fleet_size(fleet_row, count, demand, rule))
    if detail is not None:
        outbox.append_for_farm(conn, fleet_row.farm_id, now, events.FLEET_SIZE_RECOMMENDATION_CHANGE, detail)


def fleet_bounds_changed(conn: Connection, before_row, now: datetime, rule: fleet_scaling.ScalingRule) -> None:
    """UpdateFleet changed the fleet (`before_row`: as it was): its bounds or scaling mode may move the
    recommendation."""
    after_row = fleets.get(conn, before_row.farm_id, before_row.fleet_id)
    if after_row is None or fleet_scaling.EVENT_BASED not in (_mode(before_row), _mode(after_row)):
        return
    count = fleets.worker_counts(conn, [before_row.fleet_id])[before_row.fleet_id]
    demand = _demand(conn, before_row.fleet_id, now, rule)
    detail = events.fleet_size_recommendation_change(before_row.fleet_id, _fleet_size(before_row, count, demand, rule),
                                                     _fleet_size(after_row, count, demand, rule))
    if detail is not None:
        outbox.append_for_farm(conn, before_row.farm_id, now, events.FLEET_SIZE_RECOMMENDATION_CHANGE, detail)
