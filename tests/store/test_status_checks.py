"""The status columns refuse anything but their vocabulary's members, on both dialects, and migration
0004 adds those CHECK constraints to a database that already holds rows without losing any."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from farmstead.domain.statuses import TaskRunStatus, WorkerStatus
from farmstead.store import schema
from farmstead.store.migrations.runner import upgrade
from farmstead.store.schema import (
    STATUS_COLUMNS,
    farms,
    fleets,
    jobs,
    queues,
    session_actions,
    sessions,
    steps,
    tasks,
    workers,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FARM, QUEUE, FLEET = "farm-" + "a" * 32, "queue-" + "b" * 32, "fleet-" + "c" * 32
JOB, STEP, WORKER, SESSION = "job-" + "d" * 32, "step-" + "e" * 32, "worker-" + "f" * 32, "session-" + "1" * 32


def _as_at_revision(conn, table: sa.Table) -> sa.Table:
    """`table` with only the columns the database has now: later revisions add columns (with defaults
    that an insert through today's table would name)."""
    present = {column["name"] for column in sa.inspect(conn).get_columns(table.name)}
    return sa.Table(table.name, sa.MetaData(), *[column._copy() for column in table.columns if column.name in present])


def _populate(conn) -> None:
    """One of everything the rebuilt tables hold, parents and children, written at revision 0003."""
    farms, queues, fleets, jobs, steps, tasks, workers, sessions, session_actions = (
        _as_at_revision(conn, table) for table in (schema.farms, schema.queues, schema.fleets, schema.jobs,
                                                   schema.steps, schema.tasks, schema.workers, schema.sessions,
                                                   schema.session_actions))
    conn.execute(farms.insert(), dict(farm_id=FARM, display_name="f", cost_scale_factor=1.0, created_at=T0,
                                      created_by="me"))
    conn.execute(queues.insert(), dict(queue_id=QUEUE, farm_id=FARM, display_name="q", default_budget_action="NONE",
                                       attributes={}, created_at=T0, created_by="me"))
    conn.execute(fleets.insert(), dict(fleet_id=FLEET, farm_id=FARM, display_name="f", status="ACTIVE",
                                       role_arn="arn:aws:iam::000000000000:role/f", min_worker_count=0,
                                       max_worker_count=1, configuration={}, created_at=T0, created_by="me"))
    conn.execute(jobs.insert(), dict(
        job_id=JOB, farm_id=FARM, queue_id=QUEUE, name="j", priority=50, lifecycle_status="CREATE_COMPLETE",
        lifecycle_status_message="ok", task_run_status="RUNNING", target_task_run_status="READY",
        max_failed_tasks_count=20, max_retries_per_task=5, template="{}", template_type="JSON", parameters={},
        parameter_definitions=[], queue_environments=[], task_count=2, created_at=T0, created_by="me"))
    conn.execute(steps.insert(), dict(step_id=STEP, job_id=JOB, step_index=0, name="s",
                                      lifecycle_status="CREATE_COMPLETE", task_run_status="RUNNING", template={},
                                      task_count=2, created_at=T0, created_by="me"))
    conn.execute(tasks.insert(), [dict(task_id=f"task-{'e' * 32}-{i}", step_id=STEP, job_id=JOB, task_index=i,
                                       run_status=status) for i, status in enumerate(("RUNNING", "READY"))])
    conn.execute(workers.insert(), dict(worker_id=WORKER, farm_id=FARM, fleet_id=FLEET, status="STARTED",
                                        last_seen_at=T0, created_at=T0, created_by="me"))
    conn.execute(sessions.insert(), dict(session_id=SESSION, farm_id=FARM, queue_id=QUEUE, job_id=JOB, fleet_id=FLEET,
                                         worker_id=WORKER, step_id=STEP, lifecycle_status="STARTED",
                                         next_action_index=1, started_at=T0))
    conn.execute(session_actions.insert(), dict(
        session_action_id=f"sessionaction-{'1' * 32}-0", session_id=SESSION, job_id=JOB, action_index=0,
        kind="taskRun", step_id=STEP, task_id=f"task-{'e' * 32}-0", status="RUNNING", assigned_at=T0))


def _row_counts(conn) -> dict[str, int]:
    return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (farms, queues, fleets, jobs, steps, tasks, workers, sessions, session_actions)}


def test_upgrading_a_populated_database_keeps_its_rows_and_then_refuses_a_bad_status(empty_database):
    store = empty_database
    upgrade(store.engine, "0003")
    with store.write() as conn:
        _populate(conn)
        before = _row_counts(conn)
    upgrade(store.engine)
    with store.read() as conn:
        assert _row_counts(conn) == before  # no rebuilt parent took its children with it
        assert conn.execute(sa.select(tasks.c.run_status).order_by(tasks.c.task_index)).scalars().all() == [
            "RUNNING", "READY"]
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(tasks.update().where(tasks.c.task_index == 0).values(run_status="RUNING"))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(workers.update().values(status="ONLINE"))
    with store.write() as conn:  # a member still goes in, and so does NULL where the column allows it
        conn.execute(tasks.update().where(tasks.c.task_index == 0).values(run_status=TaskRunStatus.SUCCEEDED,
                                                                          target_run_status=None))
        conn.execute(workers.update().values(status=WorkerStatus.STOPPED))
    # Foreign keys are enforced again once the migrations are done (SQLite turned them off to rebuild).
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(tasks.insert(), dict(task_id="task-orphan-0", step_id="step-none", job_id="job-none",
                                          task_index=0, run_status="READY"))


_QUOTED = re.compile(r"'([A-Za-z_]+)'")


def test_each_status_column_holds_exactly_its_enums_members(store):
    """The database's constraint lists the enum's members as they are now: a member a botocore upgrade
    adds fails here until a migration re-creates the constraint."""
    inspector = sa.inspect(store.engine)
    for (table, column), vocabulary in STATUS_COLUMNS.items():
        checks = {check["name"]: check["sqltext"] for check in inspector.get_check_constraints(table)}
        text = checks.get(f"ck_{table}_{column}")
        assert text is not None, f"{table}.{column} has no status check"
        assert set(_QUOTED.findall(text)) == {member.value for member in vocabulary}, f"{table}.{column}"


def test_every_status_column_refuses_a_value_outside_its_vocabulary(store):
    """Checked without rows: each constraint's own expression, evaluated for a member and a non-member."""
    inspector = sa.inspect(store.engine)
    with store.read() as conn:
        for (table, column), vocabulary in sorted(STATUS_COLUMNS.items()):
            text = {check["name"]: check["sqltext"] for check in inspector.get_check_constraints(table)}[
                f"ck_{table}_{column}"]
            expression = re.sub(rf"\b{column}\b", "CAST(:value AS VARCHAR(64))", text, count=1)
            holds = sa.text(f"SELECT CASE WHEN {expression} THEN 1 ELSE 0 END")
            for member in vocabulary:
                assert conn.execute(holds, {"value": member.value}).scalar_one() == 1, f"{table}.{column}"
            assert conn.execute(holds, {"value": "NOT_A_STATUS"}).scalar_one() == 0, f"{table}.{column}"
