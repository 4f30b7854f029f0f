"""Every table of the store, in one MetaData.

Owns: table definitions and the indexes named for the query they serve. Nested configuration that the
API stores and returns as given (job attachment settings, fleet configuration, budget actions, ...)
lives in JSON columns; anything we filter, join, count or constrain on is a real column.
Must not: hold queries (those live in the repository modules beside it).
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from farmstead.domain import rollup
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
from farmstead.store.types import Json, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


def _audit() -> list[sa.Column]:
    """createdAt/createdBy/updatedAt/updatedBy, as nearly every resource reports them."""
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("updated_at", UtcDateTime()),
        sa.Column("updated_by", sa.String(256)),
    ]


# --- identity: who may call, with which key -------------------------------------------------------

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

principals = sa.Table(
    "principals", metadata,
    sa.Column("principal_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("is_admin", sa.Boolean(), nullable=False, default=False),
    sa.Column("password_hash", sa.String(256)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Users provisioned by a directory sign-in (web/directory.py): their entry's DN (set: from the
    # directory, never a local password) and the DNs of their groups, as read at the last sign-in or re-check.
    sa.Column("directory_dn", sa.String(1024)),
    sa.Column("directory_groups", Json),
)

# Groups (docs/access.md): principals of type GROUP that memberships may name. A group's members are
# the users added to it locally and, when bound to a directory group's DN, every directory user whose
# directory_groups holds that DN.
principal_groups = sa.Table(
    "principal_groups", metadata,
    sa.Column("group_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("directory_dn", sa.String(1024), unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

group_members = sa.Table(
    "group_members", metadata,
    sa.Column("group_id", sa.String(64), sa.ForeignKey("principal_groups.group_id", ondelete="CASCADE"),
              primary_key=True),
    # Indexed: a caller's groups are looked up by their principal id.
    sa.Column("principal_id", sa.String(64), sa.ForeignKey("principals.principal_id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

access_keys = sa.Table(
    "access_keys", metadata,
    sa.Column("access_key_id", sa.String(128), primary_key=True),
    sa.Column("secret_access_key", sa.String(128), nullable=False),
    sa.Column("principal_id", sa.String(64), sa.ForeignKey("principals.principal_id", ondelete="CASCADE"),
              nullable=False, index=True),
    # Temporary credentials (AssumeRole-style operations) carry a token, an expiry and a scope.
    sa.Column("session_token", sa.Text()),
    # Indexed: every credential mint deletes a few expired keys in passing (api/roles.py), and
    # without it that was a scan of every key, one per worker and queue role (docs/scaling.md).
    sa.Column("expires_at", UtcDateTime(), index=True),
    sa.Column("scope", Json),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

idempotency_records = sa.Table(
    "idempotency_records", metadata,
    sa.Column("operation", sa.String(64), primary_key=True),
    sa.Column("principal_id", sa.String(64), primary_key=True),
    sa.Column("client_token", sa.String(64), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("response", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
)

# The audit log (docs/audit.md): one row per mutating call, appended and never updated; rows go only
# when the sweeper's retention removes them (by `at`). resource_ids is the space-separated ids the
# call named, searched with LIKE by `farmstead audit --resource`.
audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("principal_id", sa.String(64), nullable=False, index=True),
    sa.Column("principal_name", sa.String(64), nullable=False),
    sa.Column("access_key_id", sa.String(64)),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("resource_ids", sa.Text, nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
)

# Events (docs/events.md): the outbox holds one row per event, written in the transaction of the
# change it reports (a rolled-back change leaves none). `seq` orders delivery; a subscription's
# cursor (`delivered_through`) says which events it has had. Rows are never updated.
event_outbox = sa.Table(
    "event_outbox", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("detail_type", sa.String(64), nullable=False),
    sa.Column("farm_id", sa.String(64), nullable=False),
    sa.Column("queue_id", sa.String(64)),
    sa.Column("job_id", sa.String(64)),
    sa.Column("detail", Json, nullable=False),
)

# A subscription: a farm (or one of its queues, or one job), the detail-types it wants (empty: all),
# where to send them (an http(s) URL to POST to, or mailto:address for e-mail) and the HMAC secret;
# its cursor and retry state live on the row; created_by: who made it (None: the admin CLI).
event_subscriptions = sa.Table(
    "event_subscriptions", metadata,
    sa.Column("subscription_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), nullable=False),
    sa.Column("queue_id", sa.String(64)),
    sa.Column("job_id", sa.String(64)),
    sa.Column("created_by", sa.String(256)),
    sa.Column("detail_types", Json, nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("delivered_through", sa.Integer, nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime()),
)

# Each delivery attempt, for `farmstead events deliveries`.
event_deliveries = sa.Table(
    "event_deliveries", metadata,
    sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription_id", sa.String(64), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
)

# --- farm-level resources ------------------------------------------------------------------------

farms = sa.Table(
    "farms", metadata,
    sa.Column("farm_id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(100)),
    sa.Column("kms_key_arn", sa.String(2048)),
    sa.Column("cost_scale_factor", sa.Float(), nullable=False),
    *_audit(),
)

queues = sa.Table(
    "queues", metadata,
    sa.Column("queue_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(100)),
    # No status column: IDLE/SCHEDULING/SCHEDULING_BLOCKED is derived on every read from the queue's
    # budgets and jobs (store/queues.py `status_columns`), so it can never go stale.
    sa.Column("default_budget_action", sa.String(64), nullable=False),
    sa.Column("role_arn", sa.String(2048)),
    # jobAttachmentSettings, jobRunAsUser, requiredFileSystemLocationNames, allowedStorageProfileIds,
    # schedulingConfiguration: returned as given, read as a whole by the scheduler.
    sa.Column("attributes", Json, nullable=False),
    *_audit(),
)

fleets = sa.Table(
    "fleets", metadata,
    sa.Column("fleet_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(100)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_message", sa.String(1024)),
    sa.Column("role_arn", sa.String(2048), nullable=False),
    sa.Column("min_worker_count", sa.Integer(), nullable=False),
    sa.Column("max_worker_count", sa.Integer(), nullable=False),
    sa.Column("configuration", Json, nullable=False),
    sa.Column("host_configuration", Json),
    # What one worker-hour of this fleet costs, in dollars (`farmstead fleets cost`); NULL: the server's
    # default (Settings.worker_hour_cost). Budgets charge a queue's session time at it.
    sa.Column("cost_per_worker_hour", sa.Float()),
    #: The (worker count, recommended size) an auto-scaling fleet was last looked at with: a Fleet Size
    #: Recommendation Change is said when they move, once (orchestration/events.py).
    sa.Column("seen_worker_count", sa.Integer()),
    sa.Column("seen_target", sa.Integer()),
    *_audit(),
)

queue_fleet_associations = sa.Table(
    "queue_fleet_associations", metadata,
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.queue_id"), primary_key=True),
    sa.Column("fleet_id", sa.String(64), sa.ForeignKey("fleets.fleet_id"), primary_key=True, index=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("status", sa.String(64), nullable=False),
    *_audit(),
)

storage_profiles = sa.Table(
    "storage_profiles", metadata,
    sa.Column("storage_profile_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("os_family", sa.String(16), nullable=False),
    sa.Column("file_system_locations", Json, nullable=False),
    *_audit(),
)

queue_environments = sa.Table(
    "queue_environments", metadata,
    sa.Column("queue_environment_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False),
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.queue_id"), nullable=False, index=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("priority", sa.Integer(), nullable=False),
    sa.Column("template_type", sa.String(8), nullable=False),
    sa.Column("template", sa.Text(), nullable=False),
    *_audit(),
    sa.UniqueConstraint("queue_id", "name"),
)

limits = sa.Table(
    "limits", metadata,
    sa.Column("limit_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(100)),
    sa.Column("amount_requirement_name", sa.String(1024), nullable=False),
    sa.Column("max_count", sa.Integer(), nullable=False),
    # Kept up to date by dispatch (later issue); the limit's holders are its session actions.
    sa.Column("current_count", sa.Integer(), nullable=False, default=0),
    *_audit(),
)

queue_limit_associations = sa.Table(
    "queue_limit_associations", metadata,
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.queue_id"), primary_key=True),
    sa.Column("limit_id", sa.String(64), sa.ForeignKey("limits.limit_id"), primary_key=True, index=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("status", sa.String(64), nullable=False),
    *_audit(),
)

budgets = sa.Table(
    "budgets", metadata,
    sa.Column("budget_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(100)),
    # The status the budget was given (UpdateBudget may set INACTIVE); what is reported is this AND
    # the schedule window holding now (store/budgets.py `effective_status`).
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("approximate_dollar_limit", sa.Float(), nullable=False),
    sa.Column("usage_tracking_resource", Json, nullable=False),
    # The tracked queue, from usage_tracking_resource: budgets are looked up by queue.
    sa.Column("queue_id", sa.String(64), index=True),
    sa.Column("schedule", Json, nullable=False),
    # The schedule's window [starts_at, ends_at), from schedule.fixed: the status is filtered on it.
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("actions", Json, nullable=False),
    # Set while a budget action stops the queue; cleared when the block lifts (orchestration/budgets.py).
    sa.Column("queue_stopped_at", UtcDateTime()),
    # Usage: the tracked queue's session time inside the window, at its fleets' rates, counted by the
    # sweeper up to `usage_counted_through` (NULL: nothing counted yet, from starts_at).
    sa.Column("usage_dollars", sa.Float(), nullable=False, default=0.0, server_default="0"),
    sa.Column("usage_counted_through", UtcDateTime()),
    # The last Budget Threshold Reached percentage (re-based when the limit changes): each threshold once.
    sa.Column("reported_percent", sa.Float(), nullable=False, default=0.0, server_default="0"),
    *_audit(),
)

# One row per (resource, principal): farm, queue, fleet and job memberships alike.
memberships = sa.Table(
    "memberships", metadata,
    sa.Column("resource_id", sa.String(64), primary_key=True),
    sa.Column("principal_id", sa.String(64), primary_key=True, index=True),
    sa.Column("resource_type", sa.String(8), nullable=False),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False, index=True),
    sa.Column("queue_id", sa.String(64)),
    sa.Column("fleet_id", sa.String(64)),
    sa.Column("job_id", sa.String(64)),
    sa.Column("principal_type", sa.String(8), nullable=False),
    sa.Column("identity_store_id", sa.String(64), nullable=False),
    sa.Column("membership_level", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

tags = sa.Table(
    "tags", metadata,
    sa.Column("resource_arn", sa.String(2048), primary_key=True),
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
    # The settings Farmstead reads from tags by key across resources: the sweeper's stuck-task limits
    # every pass (store/stuck_tasks.queue_tags), without reading every job's tags.
    sa.Index("ix_tags_key", "key"),
)

# --- account-level resources ---------------------------------------------------------------------

monitors = sa.Table(
    "monitors", metadata,
    sa.Column("monitor_id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("subdomain", sa.String(100), nullable=False, unique=True),
    sa.Column("role_arn", sa.String(2048), nullable=False),
    sa.Column("identity_center_instance_arn", sa.String(2048), nullable=False),
    sa.Column("identity_center_region", sa.String(64)),
    sa.Column("identity_center_application_arn", sa.String(2048), nullable=False),
    sa.Column("settings", Json, nullable=False),
    *_audit(),
)

license_endpoints = sa.Table(
    "license_endpoints", metadata,
    sa.Column("license_endpoint_id", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_message", sa.String(1024), nullable=False),
    sa.Column("vpc_id", sa.String(32), nullable=False),
    sa.Column("dns_name", sa.String(1024)),
    sa.Column("subnet_ids", Json, nullable=False),
    sa.Column("security_group_ids", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

metered_products = sa.Table(
    "metered_products", metadata,
    sa.Column("license_endpoint_id", sa.String(64),
              sa.ForeignKey("license_endpoints.license_endpoint_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.String(64), primary_key=True),
)

# --- jobs, steps, tasks --------------------------------------------------------------------------
# Jobs and steps carry their task counts per status as columns, kept up to date in the same
# transaction as every task change, so GetJob reads one row whatever the job's size.

#: Every task run status in the model's order, as plain strings: they key the counts maps answers carry.
TASK_RUN_STATUSES: tuple[str, ...] = tuple(status.value for status in rollup.ALL_STATUSES)


def count_column_name(status: str) -> str:
    return f"count_{status.lower()}"


def _status_counts() -> list[sa.Column]:
    return [sa.Column(count_column_name(s), sa.Integer(), nullable=False, default=0) for s in TASK_RUN_STATUSES]


jobs = sa.Table(
    "jobs", metadata,
    sa.Column("job_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False),
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.queue_id"), nullable=False),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("priority", sa.Integer(), nullable=False),
    sa.Column("lifecycle_status", sa.String(32), nullable=False),
    sa.Column("lifecycle_status_message", sa.Text(), nullable=False),
    sa.Column("task_run_status", sa.String(32), nullable=False),
    sa.Column("target_task_run_status", sa.String(32)),
    sa.Column("storage_profile_id", sa.String(64)),
    sa.Column("max_failed_tasks_count", sa.Integer(), nullable=False),
    sa.Column("max_retries_per_task", sa.Integer(), nullable=False),
    sa.Column("max_worker_count", sa.Integer()),
    sa.Column("source_job_id", sa.String(64)),
    sa.Column("template", sa.Text(), nullable=False),
    sa.Column("template_type", sa.String(8), nullable=False),
    sa.Column("parameters", Json, nullable=False),
    sa.Column("parameter_definitions", Json, nullable=False),
    # The queue environments as they were at submission: the job keeps running with these.
    sa.Column("queue_environments", Json, nullable=False),
    sa.Column("attachments", Json),
    sa.Column("task_count", sa.Integer(), nullable=False),
    sa.Column("task_failure_retry_count", sa.Integer(), nullable=False, default=0),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("ended_at", UtcDateTime()),
    #: A queued bulk change will take READY tasks away (task_fan_outs): dispatch hands none out meanwhile.
    sa.Column("dispatch_held", sa.Boolean(), nullable=False, default=False, server_default=sa.false()),
    #: Waiting on other jobs (job_dependencies, docs/self-managing.md): dispatch skips it until released.
    sa.Column("waiting_for_jobs", sa.Boolean(), nullable=False, default=False, server_default=sa.false()),
    #: Some job waits on its tasks frame by frame (task_dependencies): a task report that ends one of
    #: its tasks looks for waiters; reports of every other job's tasks never do.
    sa.Column("has_frame_dependents", sa.Boolean(), nullable=False, default=False, server_default=sa.false()),
    *_status_counts(),
    *_audit(),
    sa.Index("ix_jobs_queue_created", "queue_id", "created_at", "job_id"),
    sa.Index("ix_jobs_lifecycle", "lifecycle_status"),
    # A metrics scrape sums the counters per queue and status from this index alone (store/farm_metrics.py):
    # SQLite would otherwise read every job row, templates and all. Not on PostgreSQL: there an indexed
    # counter makes every counter update a non-HOT one, and its seq scan of the job rows is cheap.
    sa.Index("ix_jobs_queue_counts", "farm_id", "queue_id", "task_run_status",
             *(count_column_name(s) for s in TASK_RUN_STATUSES)).ddl_if(dialect="sqlite"),
    # SearchJobs counts a queue's matching jobs (up to 10,000) on every job list page: with the columns
    # its usual filters test (status, archived; the farm) in the index, the count never reads the rows.
    sa.Index("ix_jobs_queue_status", "queue_id", "task_run_status", "lifecycle_status", "farm_id"),
)

steps = sa.Table(
    "steps", metadata,
    sa.Column("step_id", sa.String(64), primary_key=True),
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id", ondelete="CASCADE"), nullable=False),
    sa.Column("step_index", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("lifecycle_status", sa.String(32), nullable=False),
    sa.Column("lifecycle_status_message", sa.Text()),
    sa.Column("task_run_status", sa.String(32), nullable=False),
    sa.Column("target_task_run_status", sa.String(32)),
    sa.Column("template", Json, nullable=False),
    sa.Column("host_requirements", Json),
    sa.Column("parameter_space", Json),
    sa.Column("task_count", sa.Integer(), nullable=False),
    sa.Column("task_failure_retry_count", sa.Integer(), nullable=False, default=0),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("ended_at", UtcDateTime()),
    *_status_counts(),
    #: Its succeeded task runs and their summed seconds (each report adds its run): the mean is the
    #: run time a READY task of it is expected to take when a fleet's size is recommended.
    sa.Column("timed_run_count", sa.Integer(), nullable=False, default=0, server_default="0"),
    sa.Column("timed_run_seconds", sa.Float(), nullable=False, default=0.0, server_default="0"),
    *_audit(),
    sa.UniqueConstraint("job_id", "step_index"),
)

step_dependencies = sa.Table(
    "step_dependencies", metadata,
    sa.Column("step_id", sa.String(64), sa.ForeignKey("steps.step_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("upstream_step_id", sa.String(64), sa.ForeignKey("steps.step_id", ondelete="CASCADE"),
              primary_key=True, index=True),
    sa.Column("job_id", sa.String(64), nullable=False, index=True),
)

tasks = sa.Table(
    "tasks", metadata,
    sa.Column("task_id", sa.String(80), primary_key=True),
    sa.Column("step_id", sa.String(64), sa.ForeignKey("steps.step_id", ondelete="CASCADE"), nullable=False),
    sa.Column("job_id", sa.String(64), nullable=False),
    sa.Column("task_index", sa.Integer(), nullable=False),
    sa.Column("run_status", sa.String(32), nullable=False),
    sa.Column("target_run_status", sa.String(32)),
    sa.Column("failure_retry_count", sa.Integer(), nullable=False, default=0),
    sa.Column("parameters", Json),
    sa.Column("latest_session_action_id", sa.String(80)),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("ended_at", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime()),
    sa.Column("updated_by", sa.String(256)),
    #: The worker whose run of this task failed last (docs/self-managing.md, "fail a task once"):
    #: dispatch hands the task to another worker first. Cleared by a requeue.
    sa.Column("last_failed_worker_id", sa.String(64)),
    #: When it last became READY; NULL: READY since its job was created (not written per task at
    #: creation). The start of the READY -> RUNNING wait farmstead.metrics reports.
    sa.Column("ready_at", UtcDateTime()),
    # Paging a step's tasks in order; per-status moves of UpdateJob/UpdateStep fan-out; and dispatch's
    # "first READY task of this step" without a sort.
    sa.Index("ix_tasks_step_index", "step_id", "task_index", unique=True),
    sa.Index("ix_tasks_step_status", "step_id", "run_status", "task_index"),
    sa.Index("ix_tasks_job_status", "job_id", "run_status"),
)

# A bulk task change too large for one request (UpdateJob/UpdateStep targets, the failure limit,
# dependency releases over a big step): applied by background/fan_outs.py in bounded batches, in
# order per job: (job_id, root, sub), root per request, sub for its steps and what follows from them.
task_fan_outs = sa.Table(
    "task_fan_outs", metadata,
    sa.Column("fan_out_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id", ondelete="CASCADE"), nullable=False),
    sa.Column("root", sa.Integer(), nullable=False),
    sa.Column("sub", sa.Integer(), nullable=False),
    # move | archive | compatibility
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("step_id", sa.String(64)),
    #: The task_states.Event of a move, by name.
    sa.Column("event", sa.String(40)),
    #: The user's target (tasks' targetRunStatus), for a move that carries one.
    sa.Column("target", sa.String(32)),
    sa.Column("requested_by", sa.String(256)),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    #: Tasks below this task_index have been moved.
    sa.Column("next_index", sa.Integer(), nullable=False, default=0),
    #: It takes READY tasks away: the job is held from dispatch until it is done.
    sa.Column("holds_dispatch", sa.Boolean(), nullable=False),
    sa.UniqueConstraint("job_id", "root", "sub"),
)


# --- workers, sessions, session actions ----------------------------------------------------------

workers = sa.Table(
    "workers", metadata,
    sa.Column("worker_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id"), nullable=False),
    sa.Column("fleet_id", sa.String(64), sa.ForeignKey("fleets.fleet_id"), nullable=False),
    # CREATED, STARTED, STOPPING, STOPPED, NOT_RESPONDING, NOT_COMPATIBLE; RUNNING/IDLE are derived on read.
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("host_properties", Json),
    sa.Column("capabilities", Json),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    #: Set by UpdateWorker STARTED when the fleet has a host configuration script: the worker runs it
    #: before its first heartbeat and may be silent until then (the script's timeout), not lost.
    sa.Column("configuring_until", UtcDateTime()),
    #: The principal whose bootstrap credentials created it (the agent's "worker for these credentials").
    sa.Column("bootstrap_principal_id", sa.String(64)),
    #: An operator's hold (domain/worker_holds.WorkerHold: DRAIN, DRAIN_AND_STOP, DISABLE); NULL: enabled.
    sa.Column("hold", sa.String(16)),
    #: Why the hold was put on when the service did (the fleet's failure rule); NULL for an operator's.
    sa.Column("hold_reason", sa.Text()),
    *_audit(),
    # The liveness sweep (started workers by how long they have been silent) and a metrics scrape's
    # oldest heartbeat, from the index. SQLite only: every heartbeat writes last_seen_at, and on
    # PostgreSQL an indexed last_seen_at makes each of them a non-HOT update (a new entry in every index
    # of the table, and dead row versions the primary-key lookups wade through until a vacuum); its seq
    # scan of the workers per sweeper pass or scrape costs less than that did per heartbeat.
    sa.Index("ix_workers_status_seen", "status", "last_seen_at").ddl_if(dialect="sqlite"),
    # A fleet's workers, and dispatch's count of those STARTED, from the index alone.
    sa.Index("ix_workers_fleet_status", "fleet_id", "status"),
    # Inserts fill a page to 70 %: the rest is room for a heartbeat's new row version beside the old
    # one (a HOT update).
    postgresql_with={"fillfactor": 70},
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("farm_id", sa.String(64), nullable=False),
    sa.Column("queue_id", sa.String(64), nullable=False),
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("fleet_id", sa.String(64), nullable=False),
    sa.Column("worker_id", sa.String(64), sa.ForeignKey("workers.worker_id", ondelete="CASCADE"), nullable=False),
    #: The step whose tasks this session runs (its step environments are entered).
    sa.Column("step_id", sa.String(64)),
    sa.Column("lifecycle_status", sa.String(32), nullable=False),
    sa.Column("target_lifecycle_status", sa.String(16)),
    sa.Column("host_properties", Json),
    sa.Column("next_action_index", sa.Integer(), nullable=False, default=0),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime()),
    sa.Column("updated_by", sa.String(256)),
    # A worker's open sessions, on every UpdateWorkerSchedule.
    sa.Index("ix_sessions_worker_open", "worker_id", "ended_at"),
    # Statistics aggregation over a farm's sessions in a time window.
    sa.Index("ix_sessions_farm_started", "farm_id", "started_at"),
    # A budgeted queue's sessions open or ended since the sweeper last counted (store/budgets.py).
    sa.Index("ix_sessions_queue_ended", "queue_id", "ended_at"),
    # The open sessions per fleet a metrics scrape counts, from a small index of open sessions alone.
    sa.Index("ix_sessions_open", "fleet_id", sqlite_where=sa.text("ended_at IS NULL"),
             postgresql_where=sa.text("ended_at IS NULL")),
)

#: Workers per fleet and stored status, moved with every status change of a worker row (store/workers.py),
#: so a metrics scrape reads a handful of rows instead of counting the workers (store/farm_metrics.py).
fleet_worker_counts = sa.Table(
    "fleet_worker_counts", metadata,
    sa.Column("fleet_id", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("worker_count", sa.Integer(), nullable=False),
)

session_actions = sa.Table(
    "session_actions", metadata,
    sa.Column("session_action_id", sa.String(80), primary_key=True),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.session_id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("job_id", sa.String(64), nullable=False, index=True),
    sa.Column("action_index", sa.Integer(), nullable=False),
    # envEnter | envExit | taskRun | syncInputJobAttachments (the definition union's member names)
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("environment_id", sa.String(1024)),
    sa.Column("step_id", sa.String(64)),
    sa.Column("task_id", sa.String(80), index=True),
    sa.Column("parameters", Json),
    sa.Column("status", sa.String(32), nullable=False),
    #: Set while the worker is asked to cancel it; the target the cancel serves (a user target or READY).
    sa.Column("cancel_target", sa.String(32)),
    #: When the server queued it: nothing a worker reports of it happened earlier (domain/reported_times.py).
    sa.Column("assigned_at", UtcDateTime()),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("ended_at", UtcDateTime()),
    sa.Column("worker_updated_at", UtcDateTime()),
    sa.Column("progress_percent", sa.Float()),
    sa.Column("progress_message", sa.Text()),
    sa.Column("process_exit_code", sa.Integer()),
    sa.Column("manifests", Json),
    sa.Column("acquired_limits", Json),
    sa.UniqueConstraint("session_id", "action_index"),
    # The heartbeat reads a session's unfinished actions and asks whether it has an envExit or a
    # failure: both by index, whatever the number of finished actions behind them.
    sa.Index("ix_session_actions_session_status", "session_id", "status"),
    sa.Index("ix_session_actions_session_kind", "session_id", "kind"),
)

# --- CloudWatch Logs subset (farmstead/logs): groups, streams, events ----------------------------
# Surrogate integer keys: names are up to 512 characters and every event row carries its stream's
# key. On SQLite the key must be spelled INTEGER to become the rowid (and autoincrement).
_LogKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Names sort byte-wise ("ASCII-sorted", as DescribeLogGroups documents); SQLite's default already is.
_LogName = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")

log_groups = sa.Table(
    "log_groups", metadata,
    sa.Column("group_key", _LogKey, primary_key=True, autoincrement=True),
    sa.Column("name", _LogName, nullable=False, unique=True),
    sa.Column("creation_time", sa.BigInteger(), nullable=False),  # epoch milliseconds, as the API speaks
    sa.Column("log_group_class", sa.String(32), nullable=False),
    sa.Column("deletion_protection", sa.Boolean(), nullable=False, default=False),
    sa.Column("retention_in_days", sa.Integer()),  # None: events never expire (the default)
    sa.Column("tags", Json),
)

log_streams = sa.Table(
    "log_streams", metadata,
    sa.Column("stream_key", _LogKey, primary_key=True, autoincrement=True),
    sa.Column("group_key", _LogKey, sa.ForeignKey("log_groups.group_key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", _LogName, nullable=False),
    sa.Column("creation_time", sa.BigInteger(), nullable=False),
    sa.Column("first_event_timestamp", sa.BigInteger()),
    sa.Column("last_event_timestamp", sa.BigInteger()),
    sa.Column("last_ingestion_time", sa.BigInteger()),
    sa.Column("stored_bytes", sa.BigInteger(), nullable=False, default=0),
    sa.Column("upload_sequence", sa.BigInteger(), nullable=False, default=0),  # for nextSequenceToken
    # DescribeLogStreams by name (and prefix) within a group.
    sa.UniqueConstraint("group_key", "name"),
)

log_events = sa.Table(
    "log_events", metadata,
    sa.Column("event_key", _LogKey, primary_key=True, autoincrement=True),  # ingestion order breaks ties
    sa.Column("stream_key", _LogKey, sa.ForeignKey("log_streams.stream_key", ondelete="CASCADE"), nullable=False),
    sa.Column("group_key", _LogKey, sa.ForeignKey("log_groups.group_key", ondelete="CASCADE"), nullable=False),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("ingestion_time", sa.BigInteger(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    # GetLogEvents pages one stream by (timestamp, event_key); FilterLogEvents a whole group.
    sa.Index("ix_log_events_stream_time", "stream_key", "timestamp", "event_key"),
    sa.Index("ix_log_events_group_time", "group_key", "timestamp", "event_key"),
)

# --- sessions statistics aggregations ------------------------------------------------------------
# StartSessionsStatisticsAggregation computes its answer at once; Get reads it back for an hour.

session_statistics_aggregations = sa.Table(
    "session_statistics_aggregations", metadata,
    sa.Column("aggregation_id", sa.String(32), primary_key=True),
    sa.Column("farm_id", sa.String(64), sa.ForeignKey("farms.farm_id", ondelete="CASCADE"), nullable=False,
              index=True),
    #: The queues or fleets aggregated over: Get asks for OWNER on each, as Start did.
    sa.Column("resource_type", sa.String(8), nullable=False),  # queue | fleet
    sa.Column("resource_ids", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_message", sa.Text()),
    #: The Statistics items in answer order, timestamps as ISO strings.
    sa.Column("statistics", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("created_by", sa.String(256), nullable=False),
)


# --- self-management: bad workers (docs/self-managing.md) -----------------------------------------

# A worker's failed runs on a job since its blocklist was last cleared, and whether they put it on
# the job's blocklist (blocked_at). The failed runs themselves are the session actions (FAILED taskRuns
# of the worker's sessions on the job): nothing is written twice.
job_worker_failures = sa.Table(
    "job_worker_failures", metadata,
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("worker_id", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failed_at", UtcDateTime(), nullable=False),
    sa.Column("blocked_at", UtcDateTime()),
    # The fleet page's "which jobs blocked this worker".
    sa.Index("ix_job_worker_failures_worker", "worker_id"),
)

# A job waiting on other jobs (CreateJob's farmstead:after tag): one row per upstream job.
job_dependencies = sa.Table(
    "job_dependencies", metadata,
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("upstream_job_id", sa.String(64), primary_key=True),
    sa.Column("condition", sa.String(16), nullable=False),
    #: The waiting job's queue (a job never moves): the queue page's graph reads the queue's rows
    #: by it rather than looking for rows under each of the queue's jobs.
    sa.Column("queue_id", sa.String(64), nullable=False),
    # The jobs waiting on one that just ended: looked up whenever a job's status ends.
    sa.Index("ix_job_dependencies_upstream", "upstream_job_id"),
    sa.Index("ix_job_dependencies_queue", "queue_id"),
)

# A task waiting frame by frame (farmstead:after frame:JOB) on the upstream task with the same
# parameters; the row goes once the wait is over (released or canceled).
task_dependencies = sa.Table(
    "task_dependencies", metadata,
    sa.Column("task_id", sa.String(64), sa.ForeignKey("tasks.task_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("job_id", sa.String(64), nullable=False),
    sa.Column("upstream_task_id", sa.String(64), nullable=False),
    sa.Column("upstream_job_id", sa.String(64), nullable=False),
    # The waiters of a task that just ended (in the transaction that ends it), and of a job that ended.
    sa.Index("ix_task_dependencies_upstream_task", "upstream_task_id"),
    sa.Index("ix_task_dependencies_upstream_job", "upstream_job_id"),
)


# --- the status columns' vocabularies ---------------------------------------------------------------
# Each column that stores a status holds one StrEnum's members (or NULL); a CHECK constraint built
# from the enum refuses anything else, so a bad write fails at the database instead of surfacing
# later as a status no client knows. Targets are task run statuses: which ones an operation accepts
# is the protocol edge's and the state machine's business, the column only refuses a non-status.
# Built from the members: a member a botocore upgrade adds shows up here, and
# tests/store/test_status_checks.py then fails until a migration recreates that constraint.

STATUS_COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
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


def status_check_name(table: str, column: str) -> str:
    """The constraint's full name (the metadata's "ck" naming convention, spelled out for migrations)."""
    return f"ck_{table}_{column}"


def status_check_text(column: str, vocabulary: type[StrEnum]) -> str:
    """`<column> IN ('A', 'B', ...)`, the members in the enum's (the model's) order."""
    members = ", ".join(f"'{member.value}'" for member in vocabulary)
    return f"{column} IN ({members})"


for (_table, _column), _vocabulary in STATUS_COLUMNS.items():
    metadata.tables[_table].append_constraint(
        sa.CheckConstraint(status_check_text(_column, _vocabulary), name=_column))


def made_on(dialect: str):
    """An Alembic `include_object`: what `ddl_if` limits to another dialect (ix_jobs_queue_counts on
    PostgreSQL) is not part of this dialect's schema, so autogenerate neither adds nor misses it."""
    def include(item, _name, kind, _reflected, _compare_to) -> bool:
        condition = getattr(item, "_ddl_if", None) if kind == "index" else None
        return condition is None or condition.dialect in (None, dialect)
    return include
