"""Workers: CreateWorker, GetWorker, ListWorkers, BatchGetWorker, UpdateWorker, DeleteWorker.

Worker status is stored as CREATED/STARTED/STOPPING/STOPPED/NOT_RESPONDING/NOT_COMPATIBLE; a
STARTED worker reads RUNNING while it holds a session and IDLE otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_fleet
from farmstead.api.tags import tag_new_resource
from farmstead.ids import new_id
from farmstead.protocol.errors import ServiceError, conflict, not_found
from farmstead.store import fleets, logs, workers
from farmstead.store.paging import position_of

#: Who may act as a worker: the administrator, or a principal with this level on the fleet (or farm).
WORKER_ACCESS = "CONTRIBUTOR"
#: How often the agent uploads its log buffer, in seconds (a string map value in the model).
LOG_UPLOAD_INTERVAL = "15"


def require_worker(ctx: Context, farm_id: str, fleet_id: str, worker_id: str):
    # One read on the heartbeat's path: a worker row names its farm and fleet, which exist while it does.
    row = workers.get(ctx.conn, farm_id, fleet_id, worker_id)
    if row is None:
        require_fleet(ctx, farm_id, fleet_id)  # an unknown farm or fleet is reported as that
        raise not_found("worker", worker_id)
    return row


def worker_log(row) -> dict[str, Any]:
    """Where the agent uploads its own log: the awslogs driver the official agent insists on."""
    return {"logDriver": "awslogs",
            "options": {"logGroupName": f"/aws/deadline/{row.farm_id}/{row.fleet_id}", "logStreamName": row.worker_id},
            "parameters": {"interval": LOG_UPLOAD_INTERVAL}}


def shown_status(row, busy: set[str]) -> str:
    if row.status == "STARTED":
        return "RUNNING" if row.worker_id in busy else "IDLE"
    return row.status


def worker_output(row, busy: set[str]) -> dict[str, Any]:
    return {"farmId": row.farm_id, "fleetId": row.fleet_id, "workerId": row.worker_id,
            "hostProperties": row.host_properties, "status": shown_status(row, busy), "log": worker_log(row),
            **audit_fields(row)}


@operation("CreateWorker", write=True, access=WORKER_ACCESS)
def create_worker(ctx: Context, params: dict) -> dict:
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    if fleet.status != "ACTIVE":
        raise conflict("STATUS_CONFLICT", "fleet", fleet.fleet_id, f"Fleet {fleet.fleet_id} is {fleet.status}.",
                       {"status": fleet.status})
    worker_id = new_id("worker")
    workers.insert(ctx.conn, worker_id=worker_id, farm_id=fleet.farm_id, fleet_id=fleet.fleet_id, status="CREATED",
                   host_properties=params.get("hostProperties"), capabilities=None, last_seen_at=ctx.now,
                   bootstrap_principal_id=ctx.caller.principal_id, created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.worker(fleet.farm_id, fleet.fleet_id, worker_id), params.get("tags"))
    return {"workerId": worker_id}


@operation("GetWorker")
def get_worker(ctx: Context, params: dict) -> dict:
    row = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    return worker_output(row, workers.busy_worker_ids(ctx.conn, [row.worker_id]))


@operation("ListWorkers")
def list_workers(ctx: Context, params: dict) -> dict:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    after, limit = ctx.page_request()
    rows = workers.page(ctx.conn, params["fleetId"], after, limit)
    busy = workers.busy_worker_ids(ctx.conn, [r.worker_id for r in rows])
    return ctx.page("workers", rows, limit, lambda r: worker_output(r, busy),
                    lambda r: position_of(r.created_at, r.worker_id))


@operation("BatchGetWorker", access="AUTHENTICATED")
def batch_get_worker(ctx: Context, params: dict) -> dict:
    found, errors = [], []
    for ident in params["identifiers"]:
        key = {k: ident[k] for k in ("farmId", "fleetId", "workerId")}
        try:
            authorize(ctx.conn, ctx.caller, "BatchGetWorker", "VIEWER", key)
            row = require_worker(ctx, *key.values())
        except ServiceError as err:
            # The model lists no AccessDenied for these items: a worker you may not see is one you can't find.
            code = "ResourceNotFoundException" if err.code == "AccessDeniedException" else err.code
            errors.append({**key, "code": code, "message": err.message})
            continue
        found.append(worker_output(row, workers.busy_worker_ids(ctx.conn, [row.worker_id])))
    return {"workers": found, "errors": errors}


# The agent's STARTED handshake (docs/compatibility.md): STARTED is accepted from CREATED, STARTED,
# STOPPED and NOT_RESPONDING; a STOPPING worker must first say STOPPED.
_ALLOWED_FROM = {
    "STARTED": {"CREATED", "STARTED", "STOPPED", "NOT_RESPONDING"},
    "STOPPING": {"CREATED", "STARTED", "STOPPING"},
    "STOPPED": {"CREATED", "STARTED", "STOPPING", "STOPPED", "NOT_RESPONDING", "NOT_COMPATIBLE"},
}


@operation("UpdateWorker", write=True, access=WORKER_ACCESS)
def update_worker(ctx: Context, params: dict) -> dict:
    from farmstead.api.worker_schedule import release_worker_sessions

    # Marked seen, and on PostgreSQL locked, before anything is read or released: a heartbeat of the
    # same worker on another replica (an agent retrying) waits, then sees what this call did.
    row = workers.touch(ctx.conn, params["farmId"], params["fleetId"], params["workerId"], ctx.now)
    if row is None:
        require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])  # raises: not found
        raise AssertionError("require_worker found a worker UpdateWorker could not mark seen")
    changes: dict[str, Any] = {"updated_at": ctx.now, "updated_by": ctx.who}
    if "capabilities" in params:
        changes["capabilities"] = params["capabilities"]
    if "hostProperties" in params:
        changes["host_properties"] = params["hostProperties"]
    status = params.get("status")
    if status is not None:
        if row.status not in _ALLOWED_FROM[status]:
            raise conflict("STATUS_CONFLICT", "worker", row.worker_id,
                           f"Worker {row.worker_id} is {row.status}; it can't become {status}.",
                           {"status": row.status})
        changes["status"] = status
        if status in ("STARTED", "STOPPED") and row.status != status:
            # A (re)started or stopped worker holds nothing: whatever it had goes back to READY.
            release_worker_sessions(ctx.conn, row.worker_id, ctx.now)
    host_configuration = _host_configuration(ctx, row) if status == "STARTED" else None
    if host_configuration is not None:
        # The worker runs the script before its first heartbeat: silent until the script's timeout,
        # it is not lost; past it, it is NOT_RESPONDING (the model's rule for a script that overruns).
        changes["configuring_until"] = ctx.now + timedelta(seconds=host_configuration["scriptTimeoutSeconds"])
    workers.update(ctx.conn, row.worker_id, **changes)
    if status != "STARTED":
        return {}
    log = worker_log(row)
    # The agent only ever calls PutLogEvents: the service makes the group and stream for it.
    logs.ensure_stream(ctx.conn, log["options"]["logGroupName"], log["options"]["logStreamName"],
                       int(ctx.now.timestamp() * 1000))
    if host_configuration is None:
        return {"log": log}
    return {"log": log, "hostConfiguration": host_configuration}


def _host_configuration(ctx: Context, row) -> dict[str, Any] | None:
    """The fleet's host configuration script as it is now: every start of a worker answers it (the
    worker remembers whether it already ran it successfully, as the official agent does)."""
    fleet = fleets.get(ctx.conn, row.farm_id, row.fleet_id)
    configured = fleet.host_configuration if fleet is not None else None
    if not configured or not configured.get("scriptBody"):
        return None
    return {"scriptBody": configured["scriptBody"], "scriptTimeoutSeconds": configured["scriptTimeoutSeconds"]}


@operation("DeleteWorker", write=True, access="MANAGER")
def delete_worker(ctx: Context, params: dict) -> dict:
    row = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    if row.status not in ("STOPPED", "NOT_RESPONDING", "CREATED"):
        raise conflict("STATUS_CONFLICT", "worker", row.worker_id,
                       f"Only a STOPPED or NOT_RESPONDING worker can be deleted; this one is {row.status}.",
                       {"status": row.status})
    from farmstead.api.worker_schedule import release_worker_sessions

    release_worker_sessions(ctx.conn, row.worker_id, ctx.now)
    workers.delete(ctx.conn, row.worker_id)
    return {}
