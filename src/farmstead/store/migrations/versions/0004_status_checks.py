"""CHECK constraints on every status column: each holds one status vocabulary's members (or NULL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:30:00

Which columns is this revision's own list (history: a column added later gets its check in its own
revision); the values are the enums' members, built as schema.py builds its declared constraints, so
that the two cannot disagree. A later vocabulary change (a member added by a botocore upgrade) is a
new revision that drops and re-creates the constraints it changes (tests/store/test_status_checks.py
fails until there is one).

On SQLite a constraint can only be added by rebuilding the table (batch mode: copy, drop, rename);
runner.py turns foreign keys off around the migrations, else dropping a parent table would
cascade-delete its children's rows.
"""
from alembic import op

from farmstead.domain.cancel_targets import CancelTarget
from farmstead.domain.statuses import (
    BudgetStatus,
    FleetStatus,
    JobLifecycleStatus,
    LicenseEndpointStatus,
    QueueFleetAssociationStatus,
    QueueLimitAssociationStatus,
    SessionActionStatus,
    SessionLifecycleStatus,
    SessionLifecycleTargetStatus,
    SessionsStatisticsAggregationStatus,
    StepLifecycleStatus,
    TaskRunStatus,
    WorkerStatus,
)
from farmstead.store.schema import status_check_name, status_check_text

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = {
    ("fleets", "status"): FleetStatus,
    ("queue_fleet_associations", "status"): QueueFleetAssociationStatus,
    ("queue_limit_associations", "status"): QueueLimitAssociationStatus,
    ("budgets", "status"): BudgetStatus,
    ("license_endpoints", "status"): LicenseEndpointStatus,
    ("jobs", "lifecycle_status"): JobLifecycleStatus,
    ("jobs", "task_run_status"): TaskRunStatus,
    ("jobs", "target_task_run_status"): TaskRunStatus,
    ("steps", "lifecycle_status"): StepLifecycleStatus,
    ("steps", "task_run_status"): TaskRunStatus,
    ("steps", "target_task_run_status"): TaskRunStatus,
    ("tasks", "run_status"): TaskRunStatus,
    ("tasks", "target_run_status"): TaskRunStatus,
    ("task_fan_outs", "target"): TaskRunStatus,
    ("workers", "status"): WorkerStatus,
    ("sessions", "lifecycle_status"): SessionLifecycleStatus,
    ("sessions", "target_lifecycle_status"): SessionLifecycleTargetStatus,
    ("session_actions", "status"): SessionActionStatus,
    ("session_actions", "cancel_target"): CancelTarget,
    ("session_statistics_aggregations", "status"): SessionsStatisticsAggregationStatus,
}


def _by_table() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, column in COLUMNS:
        tables.setdefault(table, []).append(column)
    return tables


def upgrade() -> None:
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_check_constraint(
                    op.f(status_check_name(table, column)),
                    status_check_text(column, COLUMNS[table, column]))


def downgrade() -> None:
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(status_check_name(table, column)), type_='check')
