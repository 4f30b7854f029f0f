"""Workers as users see them: GetWorker, ListWorkers, BatchGetWorker, DeleteWorker; and what every
worker operation shares (who may act as a worker, finding one, its log configuration).

Worker status is stored as CREATED/STARTED/STOPPING/STOPPED/NOT_RESPONDING/NOT_COMPATIBLE; a
STARTED worker reads RUNNING while it holds a session and IDLE otherwise. The worker's own calls
(CreateWorker, UpdateWorker, ...) are in api/worker_protocol/.
"""

from __future__ import annotations

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_fleet
from farmstead.domain import log_names, worker_states
from farmstead.orchestration import events
from farmstead.orchestration.worker_sessions import release_worker_sessions
from farmstead.protocol import shapes
from farmstead.protocol.errors import ServiceError, conflict, not_found
from farmstead.store import workers
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


def worker_log(row) -> shapes.LogConfiguration:
    """Where the agent uploads its own log: the awslogs driver the official agent insists on."""
    return {"logDriver": "awslogs",
            "options": {"logGroupName": log_names.worker_log_group(row.farm_id, row.fleet_id),
                        "logStreamName": row.worker_id},
            "parameters": {"interval": LOG_UPLOAD_INTERVAL}}


def shown_status(row, busy: set[str]) -> str:
    return worker_states.shown_status(row.status, holds_session=row.worker_id in busy)


def worker_output(row, busy: set[str]) -> shapes.GetWorkerResponse:
    return {"farmId": row.farm_id, "fleetId": row.fleet_id, "workerId": row.worker_id,
            "hostProperties": row.host_properties, "status": shown_status(row, busy), "log": worker_log(row),
            **audit_fields(row)}


@operation("GetWorker")
def get_worker(ctx: Context, params: shapes.GetWorkerRequest) -> shapes.GetWorkerResponse:
    row = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    return worker_output(row, workers.busy_worker_ids(ctx.conn, [row.worker_id]))


@operation("ListWorkers")
def list_workers(ctx: Context, params: shapes.ListWorkersRequest) -> shapes.ListWorkersResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    after, limit = ctx.page_request()
    rows = workers.page(ctx.conn, params["fleetId"], after, limit)
    busy = workers.busy_worker_ids(ctx.conn, [r.worker_id for r in rows])
    items, more = ctx.paged(rows, limit, lambda r: worker_output(r, busy),
                            lambda r: position_of(r.created_at, r.worker_id))
    return {"workers": items, **more}


@operation("BatchGetWorker", access="AUTHENTICATED")
def batch_get_worker(ctx: Context, params: shapes.BatchGetWorkerRequest) -> shapes.BatchGetWorkerResponse:
    found: list[shapes.BatchGetWorkerItem] = []
    errors: list[shapes.BatchGetWorkerError] = []
    for ident in params["identifiers"]:
        key = {k: ident[k] for k in ("farmId", "fleetId", "workerId")}
        try:
            authorize(ctx.conn, ctx.caller, "BatchGetWorker", "VIEWER", key)
            row = require_worker(ctx, *key.values())
        except ServiceError as err:
            # The model lists no AccessDenied for these items: a worker you may not see is one you can't find.
            code = "ResourceNotFoundException" if err.code == "AccessDeniedException" else err.code
            errors.append({"farmId": key["farmId"], "fleetId": key["fleetId"], "workerId": key["workerId"],
                           "code": code, "message": err.message})
            continue
        found.append(worker_output(row, workers.busy_worker_ids(ctx.conn, [row.worker_id])))
    return {"workers": found, "errors": errors}


@operation("DeleteWorker", write=True, access="MANAGER")
def delete_worker(ctx: Context, params: shapes.DeleteWorkerRequest) -> shapes.DeleteWorkerResponse:
    row = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    if not worker_states.is_deletable(row.status):
        raise conflict("STATUS_CONFLICT", "worker", row.worker_id,
                       f"Only a STOPPED or NOT_RESPONDING worker can be deleted; this one is {row.status}.",
                       {"status": row.status})
    release_worker_sessions(ctx.changes, row.worker_id)
    workers.delete(ctx.conn, row.worker_id)
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    events.fleet_workers_changed(ctx.conn, fleet, ctx.now, ctx.settings.scaling_rule)  # docs/events.md
    return {}
