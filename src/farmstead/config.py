"""Settings: everything a server process is configured with, loaded once at start."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8245
    #: ARNs and AssumeRole answers name this region and account; no cloud account is involved.
    region: str = "us-west-2"
    account_id: str = "000000000000"
    #: A per-job ceiling on materialized tasks (ServiceQuotaExceededException beyond it).
    max_tasks_per_job: int = 1_000_000
    #: A bulk task change (UpdateJob/UpdateStep targets, the failure limit, a dependency release)
    #: over more tasks than this is applied after the request answers, in batches of
    #: `fan_out_batch_tasks` tasks, with `fan_out_pause_seconds` between them (docs/jobs.md).
    fan_out_inline_tasks: int = 5_000
    fan_out_batch_tasks: int = 5_000
    fan_out_pause_seconds: float = 0.0
    #: A worker silent this long becomes NOT_RESPONDING and its work goes back to READY.
    worker_timeout_seconds: int = 60
    #: How often workers are told to call UpdateWorkerSchedule (idle workers pick up work this fast).
    update_interval_seconds: int = 2
    #: PostgreSQL connections each server process keeps open, and how many more it may open at peaks.
    #: Size them so replicas x (pool + overflow) stays under the server's max_connections (docs/operations.md).
    db_pool_size: int = 10
    db_max_overflow: int = 10
    admin_access_key_id: str | None = field(default=None, repr=False)
    admin_secret_access_key: str | None = field(default=None, repr=False)
    #: Job attachments (docs/attachments.md): the S3-compatible store queues' buckets live in, and
    #: the key Farmstead asks that store's STS for queue-role credentials with. None: not configured.
    s3_endpoint_url: str | None = None
    s3_sts_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_role_arn: str | None = None
    s3_access_key_id: str | None = field(default=None, repr=False)
    s3_secret_access_key: str | None = field(default=None, repr=False)
    #: Admission control (docs/operations.md): API requests in flight at once (0 turns it off), user
    #: requests in flight per access key, and how long a user request may wait in line.
    #: The bad-worker rules of dispatch (docs/self-managing.md): "fail a task once", blocklists. Off
    #: only to measure what they cost (bench self_managing_cost).
    bad_worker_rules: bool = True
    max_in_flight: int = 128
    max_in_flight_per_caller: int = 32
    max_queue_seconds: float = 1.0
    #: GET /metrics (docs/monitoring.md): the addresses (CIDR blocks) that may scrape without a key,
    #: and the bearer key that lets any address scrape (None: no key, the address list alone).
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    metrics_token: str | None = field(default=None, repr=False)
    #: The audit log keeps entries this many days; the sweeper removes older ones (docs/audit.md).
    audit_retention_days: int = 365

    @classmethod
    def from_env(cls, data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
        data_dir = Path(data_dir).resolve()
        url = database_url or os.environ.get("FARMSTEAD_DATABASE_URL") or f"sqlite:///{data_dir / 'farmstead.db'}"
        env = os.environ
        settings = cls(
            data_dir=data_dir,
            database_url=url,
            region=env.get("FARMSTEAD_REGION", "us-west-2"),
            account_id=env.get("FARMSTEAD_ACCOUNT_ID", "000000000000"),
            max_tasks_per_job=int(env.get("FARMSTEAD_MAX_TASKS_PER_JOB", "1000000")),
            fan_out_inline_tasks=int(env.get("FARMSTEAD_FAN_OUT_INLINE_TASKS", "5000")),
            fan_out_batch_tasks=int(env.get("FARMSTEAD_FAN_OUT_BATCH_TASKS", "5000")),
            fan_out_pause_seconds=float(env.get("FARMSTEAD_FAN_OUT_PAUSE_SECONDS", "0")),
            worker_timeout_seconds=int(env.get("FARMSTEAD_WORKER_TIMEOUT_SECONDS", "60")),
            update_interval_seconds=int(env.get("FARMSTEAD_UPDATE_INTERVAL_SECONDS", "2")),
            db_pool_size=int(env.get("FARMSTEAD_DB_POOL_SIZE", "10")),
            db_max_overflow=int(env.get("FARMSTEAD_DB_MAX_OVERFLOW", "10")),
            admin_access_key_id=env.get("FARMSTEAD_ADMIN_ACCESS_KEY_ID") or None,
            admin_secret_access_key=env.get("FARMSTEAD_ADMIN_SECRET_ACCESS_KEY") or None,
            s3_endpoint_url=env.get("FARMSTEAD_S3_ENDPOINT_URL") or None,
            s3_sts_endpoint_url=env.get("FARMSTEAD_S3_STS_ENDPOINT_URL") or None,
            s3_region=env.get("FARMSTEAD_S3_REGION") or None,
            s3_role_arn=env.get("FARMSTEAD_S3_ROLE_ARN") or None,
            s3_access_key_id=env.get("FARMSTEAD_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("FARMSTEAD_S3_SECRET_ACCESS_KEY") or None,
            bad_worker_rules=env.get("FARMSTEAD_BAD_WORKER_RULES", "1") != "0",
            max_in_flight=int(env.get("FARMSTEAD_MAX_IN_FLIGHT", "128")),
            max_in_flight_per_caller=int(env.get("FARMSTEAD_MAX_IN_FLIGHT_PER_CALLER", "32")),
            max_queue_seconds=float(env.get("FARMSTEAD_MAX_QUEUE_SECONDS", "1.0")),
            metrics_allow=address_list(env.get("FARMSTEAD_METRICS_ALLOW", "127.0.0.1/32,::1/128")),
            metrics_token=env.get("FARMSTEAD_METRICS_TOKEN") or None,
            audit_retention_days=int(env.get("FARMSTEAD_AUDIT_RETENTION_DAYS", "365")),
        )
        return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def job_attachments_configured(self) -> bool:
        """Whether queue roles hand out credentials of the S3 store (see attachments/storage_credentials.py)."""
        return bool(self.s3_endpoint_url or self.s3_role_arn)


def address_list(value: str) -> tuple[str, ...]:
    """A comma-separated list of addresses or CIDR blocks ("" allows none)."""
    return tuple(part.strip() for part in value.split(",") if part.strip())
