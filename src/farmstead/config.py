"""Settings: everything a server process is configured with, loaded once at start."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmstead.domain.fleet_scaling import ScalingRule

#: botocore's default read timeout is 60 s (the official worker agent keeps it): a held call must
#: be answered well before a client gives up on it.
MAX_SCHEDULE_HOLD_SECONDS = 45.0


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
    #: How long an idle worker's UpdateWorkerSchedule may be held open waiting for work (docs/protocol.md,
    #: "Held schedule calls"); 0 turns holding off. Kept well below botocore's 60 s read timeout, and
    #: `schedule_hold` keeps it inside the worker timeout too.
    schedule_hold_seconds: float = 20.0
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
    #: Prometheus metrics (GET /metrics and the counting behind it) and the event outbox (written with
    #: each status change, delivered to webhooks): both on; off only to measure what they cost dispatch
    #: (bench observability_cost, docs/benchmarks.md).
    metrics: bool = True
    events: bool = True
    #: Directory (LDAP / Active Directory) sign-in to the web monitor (docs/access.md). None: local users only.
    #: ldap:// (with `ldap_start_tls`) or ldaps://; the server certificate is checked against `ldap_ca_file`
    #: (default: the system's CAs).
    ldap_url: str | None = None
    ldap_start_tls: bool = False
    ldap_ca_file: str | None = None
    #: Either a DN template the user binds as directly ("uid={username},ou=people,dc=example,dc=com";
    #: AD: "{username}@example.com"), or search-then-bind: the service account below finds the user's
    #: entry under `ldap_user_base` with `ldap_user_filter`. The filter also decides who may sign in (put
    #: the "not disabled" condition there); with a template it is checked against the bound entry.
    ldap_user_dn_template: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = field(default=None, repr=False)
    ldap_user_base: str | None = None
    ldap_user_filter: str = "(uid={username})"
    #: Groups: the user entry's memberOf, or (with `ldap_group_base`) a search for `ldap_group_filter`,
    #: where {dn} is the user's DN and {username} their name. Members of `ldap_admin_group` (a DN) are
    #: administrators.
    ldap_group_base: str | None = None
    ldap_group_filter: str = "(member={dn})"
    ldap_admin_group: str | None = None
    #: A directory user's session is re-checked against the directory at most this long after the last check.
    ldap_recheck_seconds: float = 60.0
    ldap_timeout_seconds: float = 5.0
    #: OpenID Connect sign-in to the web monitor (web/oidc.py, docs/access.md). None: not offered. The issuer's
    #: discovery document names its endpoints and keys; the monitor is a confidential client (authorization
    #: code with PKCE) redirecting back to `oidc_redirect_uri` (default: this server's /signin/oidc/callback
    #: as the browser reached it). `farmstead login` uses `oidc_cli_client_id`, a public client allowed the
    #: device flow (None: `farmstead login` offers only a user name and password).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_cli_client_id: str | None = None
    oidc_redirect_uri: str | None = None
    oidc_scopes: str = "openid profile email groups"
    #: The ID token claim that names the user (their principal's name), and the one listing their groups
    #: (each value binds like a directory group's DN: `farmstead groups create NAME --directory-dn VALUE`).
    #: Members of `oidc_admin_group` are administrators.
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = "groups"
    oidc_admin_group: str | None = None
    #: A monitor session signed in through the provider lasts this long; then the provider is asked again.
    oidc_session_seconds: float = 3600.0
    oidc_timeout_seconds: float = 5.0
    #: What `farmstead login` hands out: temporary keys of the signed-in user, valid this long (docs/access.md).
    login_credential_seconds: int = 3600
    #: The audit log keeps entries this many days; the sweeper removes older ones (docs/audit.md).
    audit_retention_days: int = 365
    #: Events (docs/events.md): a failed delivery is tried again after `event_retry_seconds`, then
    #: twice as long each time up to `event_retry_max_seconds`; outbox rows every subscription has had
    #: are removed once older than `event_retention_hours`.
    event_retry_seconds: float = 1.0
    event_retry_max_seconds: float = 300.0
    event_retention_hours: float = 72.0
    #: Budgets (docs/fleets.md, "Budgets"): what one worker-hour costs, in dollars, on a fleet an admin
    #: gave no rate of its own (`farmstead fleets cost`). 0: budgets count nothing.
    worker_hour_cost: float = 0.0
    #: Auto-scaling fleets (docs/fleets.md, "Scaling"): one more worker is recommended per
    #: `scaling_tasks_per_worker` whole READY tasks, a task expected to run under `scaling_task_seconds`
    #: counting as its share of a whole one; a worker idle (no session) for `scaling_idle_seconds` may
    #: be scaled in.
    scaling_tasks_per_worker: int = 1
    scaling_idle_seconds: float = 300.0
    scaling_task_seconds: float = 300.0
    #: The SMTP server e-mail subscriptions are sent through (None: e-mail deliveries fail, and say
    #: why), with STARTTLS (its certificate checked against `smtp_ca_file`, default the system's CAs)
    #: and a login when set; `smtp_from` is the sender address.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ca_file: str | None = None
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "farmstead@localhost"

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
            schedule_hold_seconds=float(env.get("FARMSTEAD_SCHEDULE_HOLD_SECONDS", "20")),
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
            metrics=env.get("FARMSTEAD_METRICS", "1") != "0",
            events=env.get("FARMSTEAD_EVENTS", "1") != "0",
            ldap_url=env.get("FARMSTEAD_LDAP_URL") or None,
            ldap_start_tls=env.get("FARMSTEAD_LDAP_START_TLS", "0") not in ("", "0", "false"),
            ldap_ca_file=env.get("FARMSTEAD_LDAP_CA_FILE") or None,
            ldap_user_dn_template=env.get("FARMSTEAD_LDAP_USER_DN_TEMPLATE") or None,
            ldap_bind_dn=env.get("FARMSTEAD_LDAP_BIND_DN") or None,
            ldap_bind_password=env.get("FARMSTEAD_LDAP_BIND_PASSWORD") or None,
            ldap_user_base=env.get("FARMSTEAD_LDAP_USER_BASE") or None,
            ldap_user_filter=env.get("FARMSTEAD_LDAP_USER_FILTER") or "(uid={username})",
            ldap_group_base=env.get("FARMSTEAD_LDAP_GROUP_BASE") or None,
            ldap_group_filter=env.get("FARMSTEAD_LDAP_GROUP_FILTER") or "(member={dn})",
            ldap_admin_group=env.get("FARMSTEAD_LDAP_ADMIN_GROUP") or None,
            ldap_recheck_seconds=float(env.get("FARMSTEAD_LDAP_RECHECK_SECONDS", "60")),
            ldap_timeout_seconds=float(env.get("FARMSTEAD_LDAP_TIMEOUT_SECONDS", "5")),
            oidc_issuer=env.get("FARMSTEAD_OIDC_ISSUER") or None,
            oidc_client_id=env.get("FARMSTEAD_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("FARMSTEAD_OIDC_CLIENT_SECRET") or None,
            oidc_cli_client_id=env.get("FARMSTEAD_OIDC_CLI_CLIENT_ID") or None,
            oidc_redirect_uri=env.get("FARMSTEAD_OIDC_REDIRECT_URI") or None,
            oidc_scopes=env.get("FARMSTEAD_OIDC_SCOPES") or "openid profile email groups",
            oidc_username_claim=env.get("FARMSTEAD_OIDC_USERNAME_CLAIM") or "preferred_username",
            oidc_groups_claim=env.get("FARMSTEAD_OIDC_GROUPS_CLAIM") or "groups",
            oidc_admin_group=env.get("FARMSTEAD_OIDC_ADMIN_GROUP") or None,
            oidc_session_seconds=float(env.get("FARMSTEAD_OIDC_SESSION_SECONDS", "3600")),
            oidc_timeout_seconds=float(env.get("FARMSTEAD_OIDC_TIMEOUT_SECONDS", "5")),
            login_credential_seconds=int(env.get("FARMSTEAD_LOGIN_CREDENTIAL_SECONDS", "3600")),
            audit_retention_days=int(env.get("FARMSTEAD_AUDIT_RETENTION_DAYS", "365")),
            event_retry_seconds=float(env.get("FARMSTEAD_EVENT_RETRY_SECONDS", "1")),
            event_retry_max_seconds=float(env.get("FARMSTEAD_EVENT_RETRY_MAX_SECONDS", "300")),
            event_retention_hours=float(env.get("FARMSTEAD_EVENT_RETENTION_HOURS", "72")),
            worker_hour_cost=float(env.get("FARMSTEAD_WORKER_HOUR_COST", "0")),
            scaling_tasks_per_worker=int(env.get("FARMSTEAD_SCALING_TASKS_PER_WORKER", "1")),
            scaling_idle_seconds=float(env.get("FARMSTEAD_SCALING_IDLE_SECONDS", "300")),
            scaling_task_seconds=float(env.get("FARMSTEAD_SCALING_TASK_SECONDS", "300")),
            smtp_host=env.get("FARMSTEAD_SMTP_HOST") or None,
            smtp_port=int(env.get("FARMSTEAD_SMTP_PORT", "25")),
            smtp_starttls=env.get("FARMSTEAD_SMTP_STARTTLS", "0") not in ("", "0", "false"),
            smtp_ca_file=env.get("FARMSTEAD_SMTP_CA_FILE") or None,
            smtp_username=env.get("FARMSTEAD_SMTP_USERNAME") or None,
            smtp_password=env.get("FARMSTEAD_SMTP_PASSWORD") or None,
            smtp_from=env.get("FARMSTEAD_SMTP_FROM") or "farmstead@localhost",
        )
        return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def scaling_rule(self) -> ScalingRule:
        return ScalingRule(tasks_per_worker=self.scaling_tasks_per_worker, idle_seconds=self.scaling_idle_seconds,
                           task_seconds=self.scaling_task_seconds)

    @property
    def schedule_hold(self) -> float:
        """The hold actually used: a held worker is seen at the start and the end of its call, then
        sleeps its interval, so hold + interval must stay well inside the worker timeout."""
        return max(0.0, min(self.schedule_hold_seconds, MAX_SCHEDULE_HOLD_SECONDS,
                            (self.worker_timeout_seconds - self.update_interval_seconds) / 2))

    @property
    def job_attachments_configured(self) -> bool:
        """Whether queue roles hand out credentials of the S3 store (see attachments/storage_credentials.py)."""
        return bool(self.s3_endpoint_url or self.s3_role_arn)


def address_list(value: str) -> tuple[str, ...]:
    """A comma-separated list of addresses or CIDR blocks ("" allows none)."""
    return tuple(part.strip() for part in value.split(",") if part.strip())
