"""The monitor's only way to read or change farm data: the API's own executor, as the signed-in user.

Every call goes through the same steps as a signed HTTP request after its signature is checked:
the model validates the input, then `Executor.execute` authorizes the caller against the membership
rules and runs the handler in one transaction. So a VIEWER is refused UpdateJob here exactly as over
HTTP, and a failure is the API's ServiceError, which the pages show as a readable message.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import Any, NamedTuple

from farmstead.api import audit_trail
from farmstead.api.authorization import authorize
from farmstead.api.context import Caller
from farmstead.api.executor import Executor
from farmstead.domain import events as event_types
from farmstead.domain import host_stats
from farmstead.domain.worker_holds import WorkerHold
from farmstead.ids import new_id
from farmstead.logs.executor import LogsExecutor
from farmstead.orchestration import worker_holds
from farmstead.orchestration.running_longest import running_longest
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.protocol import parsing
from farmstead.protocol.errors import ServiceError, access_denied, validation_error
from farmstead.protocol.model import operations
from farmstead.protocol.validation import validate
from farmstead.store import audit, blocklists, fleets, workers
from farmstead.store import events as outbox
from farmstead.store import host_stats as host_stat_lines
from farmstead.store import job_dependencies as job_dependency_rows

_request_ids = itertools.count(1)


class Subscribed(NamedTuple):
    subscription_id: str
    #: A webhook's signing secret, shown once; None for a mailbox.
    secret_shown: str | None


class Api:
    def __init__(self, executor: Executor, logs: LogsExecutor) -> None:
        self._executor = executor
        self._logs = logs

    def call(self, caller: Caller, operation: str, **params: Any) -> dict[str, Any]:
        """Run `operation` (a `deadline` operation name) with `params` as `caller`; its output dict."""
        info = operations()[operation]
        params = {k: v for k, v in params.items() if v is not None}
        shape = info.model.input_shape
        if shape is not None:
            errors = validate(shape, params)
            if errors:
                raise validation_error("; ".join(f"{e.name}: {e.message}" for e in errors[:5]),
                                       [{"name": e.name, "message": e.message} for e in errors])
            params = parsing.coerce_timestamps(shape, params)
        output = self._executor.execute(info, caller, params, f"web-{next(_request_ids)}") or {}
        return _without_none(output)

    def logs(self, caller: Caller, operation: str, **params: Any) -> dict[str, Any]:
        """Run a CloudWatch-Logs-compatible operation (session logs) as `caller`."""
        params = {k: v for k, v in params.items() if v is not None}
        return self._logs.execute(operation, caller, params, f"web-{next(_request_ids)}")

    def all_pages(self, caller: Caller, operation: str, key: str, limit: int = 1000, **params: Any) -> list[dict]:
        """Follow nextToken until `limit` items: for short lists (a farm's queues, a job's steps)."""
        items: list[dict] = []
        token = None
        while len(items) < limit:
            page = self.call(caller, operation, nextToken=token, **params)
            items.extend(page.get(key, []))
            token = page.get("nextToken")
            if not token:
                break
        return items[:limit]

    def attachment_store(self) -> dict[str, str | None]:
        """Where the server's S3 store is (the queues' job attachments): the endpoint and region the
        monitor's S3 calls go to, signed with the user's own keys from AssumeQueueRoleForRead."""
        settings = self._executor.settings
        return {"endpoint_url": settings.s3_endpoint_url, "region": settings.s3_region or settings.region}

    def job_arn(self, farm_id: str, queue_id: str, job_id: str) -> str:
        """A job's ARN, as ListTagsForResource takes it (this server's region and account)."""
        return self._executor.arns.job(farm_id, queue_id, job_id)

    def worker_details(self, caller: Caller, farm_id: str, fleet_id: str, limit: int = 500) -> dict[str, dict]:
        """What the API model has no member for but the monitor shows: each worker's declared capabilities,
        last heartbeat and host statistics (the latest host-metrics line of its worker log), by worker id.
        Read only after ListWorkers let `caller` see this fleet (VIEWER)."""
        self.call(caller, "ListWorkers", farmId=farm_id, fleetId=fleet_id, maxResults=1)
        with self._executor.store.read() as conn:
            rows = workers.page(conn, fleet_id, None, limit)
            blocked = blocklists.of_fleet(conn, fleet_id)
            lines = host_stat_lines.latest_lines(conn, farm_id, fleet_id, [r.worker_id for r in rows])
        stats = {worker_id: host_stats.parse(message, at) for worker_id, (at, message) in lines.items()}
        return {r.worker_id: {"capabilities": r.capabilities or {}, "lastSeenAt": r.last_seen_at, "hold": r.hold,
                              "holdReason": r.hold_reason, "hostStats": stats.get(r.worker_id),
                              "blockedOn": [dict(b._mapping) for b in blocked.get(r.worker_id, [])]}
                for r in rows}

    def worker_hour_cost(self, caller: Caller, farm_id: str, fleet_id: str) -> tuple[float, bool]:
        """What a worker-hour of the fleet costs (budgets charge it: docs/fleets.md, "Budgets") and
        whether that is the fleet's own rate (else the server's default). Read only after GetFleet let
        `caller` see the fleet."""
        self.call(caller, "GetFleet", farmId=farm_id, fleetId=fleet_id)
        with self._executor.store.read() as conn:
            own = fleets.cost_per_worker_hour(conn, fleet_id)
        return (self._executor.settings.worker_hour_cost, False) if own is None else (own, True)

    def hold_workers(self, caller: Caller, farm_id: str, fleet_id: str, worker_ids: list[str] | None,
                     hold: WorkerHold | None) -> int:
        """Drain, disable or enable workers of a fleet (all of them when `worker_ids` is None), as a
        MANAGER of the fleet may (docs/self-managing.md); how many."""
        self.call(caller, "GetFleet", farmId=farm_id, fleetId=fleet_id)  # the fleet exists, is visible
        entry = audit_trail.begin(f"workers {hold.value.lower() if hold else 'enable'}", caller,
                                  {"farmId": farm_id, "fleetId": fleet_id, "workerIds": worker_ids})
        with audit_trail.write(self._executor.store, entry) as audited:
            conn = audited.conn
            authorize(conn, caller, "UpdateWorker", "MANAGER", {"farmId": farm_id, "fleetId": fleet_id})
            in_fleet = workers.ids_in_fleet(conn, fleet_id)
            chosen = in_fleet if worker_ids is None else [w for w in worker_ids if w in in_fleet]
            if worker_ids is not None and len(chosen) != len(worker_ids):
                raise validation_error("Not a worker of this fleet.", [{"name": "workerId",
                                                                        "message": "Not a worker of this fleet"}])
            changes = TaskChanges(conn, self._executor.clock.now())
            count = worker_holds.hold(changes, chosen, hold, caller.arn)
            changes.flush()
        return count

    def job_links(self, caller: Caller, farm_id: str, queue_id: str, job_id: str) -> dict[str, list[dict]]:
        """The jobs this one waits on and those waiting on it (docs/self-managing.md, "Job dependencies"),
        each only if `caller` may see it (GetJob): {"upstream": [...], "downstream": [...]}."""
        self.call(caller, "GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id)
        with self._executor.store.read() as conn:
            upstream = [{"job_id": r.upstream_job_id, "queue_id": r.queue_id, "name": r.name,
                         "status": r.task_run_status, "condition": r.condition}
                        for r in job_dependency_rows.upstream_of(conn, job_id)]
            downstream = [{"job_id": r.job_id, "queue_id": r.queue_id, "name": r.name, "status": r.task_run_status,
                           "condition": r.condition} for r in job_dependency_rows.downstream_of(conn, job_id)]

        def visible(item: dict) -> bool:
            try:
                self.call(caller, "GetJob", farmId=farm_id, queueId=item["queue_id"], jobId=item["job_id"])
                return True
            except ServiceError:
                return False
        return {"upstream": [i for i in upstream if i["queue_id"] and visible(i)],
                "downstream": [i for i in downstream if visible(i)]}

    def running_longest(self, caller: Caller, farm_id: str, queue_id: str, job_id: str) -> list[dict[str, Any]]:
        """The job's running tasks, longest first, flagged far beyond their step's median
        (docs/self-managing.md). Read only after GetJob let `caller` see the job."""
        self.call(caller, "GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id)
        with self._executor.store.read() as conn:
            return running_longest(conn, self._executor.clock.now(), job_id=job_id, limit=50)

    def queue_dependency_graph(self, caller: Caller, farm_id: str, queue_id: str) -> list[dict[str, Any]]:
        """The waits among the queue's jobs, one entry per waiting job with its upstream jobs (those
        of other queues by id only): the queue page's small graph. After GetQueue let `caller` see it."""
        self.call(caller, "GetQueue", farmId=farm_id, queueId=queue_id)
        with self._executor.store.read() as conn:
            rows = job_dependency_rows.edges_in_queue(conn, queue_id)
        graph: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = graph.setdefault(row.job_id, {"job_id": row.job_id, "name": row.name, "status": row.task_run_status,
                                                  "waiting": row.waiting_for_jobs, "condition": row.condition,
                                                  "upstream": []})
            same_queue = row.upstream_queue_id == queue_id
            entry["upstream"].append({"job_id": row.upstream_job_id,
                                      "status": row.upstream_status if same_queue else None,
                                      "name": row.upstream_name if same_queue else None})
        return list(graph.values())

    def job_blocklist(self, caller: Caller, farm_id: str, queue_id: str, job_id: str) -> list[dict[str, Any]]:
        """The job's blocklisted workers, each with its latest failed runs there (docs/self-managing.md):
        beyond the API model. Read only after GetJob let `caller` see the job (VIEWER)."""
        self.call(caller, "GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id)
        with self._executor.store.read() as conn:
            return [{**row._mapping, "failed_runs": [dict(run._mapping) for run in
                                                     blocklists.failed_runs(conn, job_id, row.worker_id, limit=10)]}
                    for row in blocklists.of_job(conn, job_id)]

    def clear_blocklisted(self, caller: Caller, farm_id: str, queue_id: str, job_id: str, worker_id: str) -> bool:
        """Takes a worker off a job's blocklist, as a MANAGER of the job may (UpdateJob's access);
        whether it was on it."""
        self.call(caller, "GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id)  # the job exists, is visible
        ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
        entry = audit_trail.begin("blocklist clear", caller, {**ids, "workerId": worker_id})
        with audit_trail.write(self._executor.store, entry) as audited:
            authorize(audited.conn, caller, "UpdateJob", "MANAGER", ids)
            return blocklists.clear_worker(audited.conn, job_id, worker_id)


    # --- event subscriptions (docs/events.md): beyond the API model -----------------------------------

    def subscriptions(self, caller: Caller, deliveries: int) -> tuple[list[outbox.Subscription], list]:
        """The subscriptions `caller` may see (an administrator: all; anyone else: the ones they made)
        and their latest `deliveries` attempts, newest first."""
        with self._executor.store.read() as conn:
            subs = outbox.subscriptions(conn, None if caller.is_admin else caller.name)
            attempts = outbox.attempts(conn, None if caller.is_admin else [s.subscription_id for s in subs],
                                       deliveries)
        return subs, attempts

    def subscribe(self, caller: Caller, *, farm_id: str, queue_id: str | None, job_id: str | None,
                  detail_types: list[str], url: str | None, email: str | None) -> Subscribed:
        """A new subscription, audited. Webhooks are an administrator's (they send farm data to any
        address); anyone may mail themselves the end of a job they can see, or a queue's or farm's
        events where they are MANAGER or above. ValueError: what was given does not make one."""
        if url is not None and not caller.is_admin:
            raise access_denied("Only an administrator may send events to a webhook; subscribe an e-mail address.")
        if job_id and not queue_id:
            raise ValueError("A job's subscription needs its queue id too.")
        destination, types = event_types.destination(url, email, detail_types)
        # The resources exist and `caller` may see them (refused as over the API otherwise).
        if job_id:
            self.call(caller, "GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id)
        elif queue_id:
            self.call(caller, "GetQueue", farmId=farm_id, queueId=queue_id)
        else:
            self.call(caller, "GetFarm", farmId=farm_id)
        subscription_id = new_id("subscription")
        secret = secrets.token_hex(32)
        ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
        entry = audit_trail.begin("events subscribe", caller, {"subscriptionId": subscription_id, **ids,
                                                              "detailTypes": types, "url": destination})
        with audit_trail.write(self._executor.store, entry) as audited:
            if not job_id:  # a queue's or farm's events: its managers'
                authorize(audited.conn, caller, "UpdateQueue" if queue_id else "UpdateFarm", "MANAGER",
                          {k: v for k, v in ids.items() if v})
            outbox.subscribe(audited.conn, subscription_id, farm_id, queue_id, job_id, types, destination, secret,
                             datetime.now(UTC), created_by=caller.name)
        return Subscribed(subscription_id, None if email else secret)

    def unsubscribe(self, caller: Caller, subscription_id: str) -> None:
        """Removes a subscription: an administrator's any, anyone else's their own."""
        entry = audit_trail.begin("events remove", caller, {"subscriptionId": subscription_id})
        with audit_trail.write(self._executor.store, entry) as audited:
            sub = outbox.get(audited.conn, subscription_id)
            if sub is None or not (caller.is_admin or sub.created_by == caller.name):
                raise access_denied(f"No subscription {subscription_id} of yours.")
            outbox.remove(audited.conn, subscription_id)

    def audit_events(self, caller: Caller, where: audit.AuditFilter, limit: int) -> list[audit.AuditEvent]:
        """The audit log (docs/audit.md), newest last: administrators only, as `farmstead audit`."""
        if not caller.is_admin:
            raise access_denied("Only an administrator may read the audit log.")
        with self._executor.store.read() as conn:
            return list(audit.events(conn, where, limit))


def _without_none(value: Any) -> Any:
    """The output as it would arrive over HTTP: members that are None are absent (templates test `is defined`)."""
    # Only containers are walked into: a job list page's answer has ~30 members a row, few of them nested.
    if isinstance(value, dict):
        return {k: _without_none(v) if isinstance(v, _CONTAINERS) else v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) if isinstance(v, _CONTAINERS) else v for v in value]
    return value


_CONTAINERS = (dict, list)  # a tuple: isinstance checks it faster than the union `dict | list`
