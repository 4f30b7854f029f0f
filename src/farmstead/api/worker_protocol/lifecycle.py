"""CreateWorker and UpdateWorker: a worker agent registering, then starting and stopping.

Owns: the worker row a fleet's agent creates (CREATED), and UpdateWorker's status handshake
(docs/compatibility.md) as domain/worker_states.py rules it (which status a worker may move to from
which, which moves give back what it held), its fleet's host configuration script on start, and the
log group and stream the agent's own log goes to.
Must not: hold the status rules, move tasks or sessions itself (orchestration/worker_sessions.py
does) or write SQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_fleet
from farmstead.api.tags import tag_new_resource
from farmstead.api.workers import WORKER_ACCESS, require_worker, worker_log
from farmstead.domain import worker_holds, worker_states
from farmstead.domain.statuses import FleetStatus, UpdatedWorkerStatus, WorkerStatus
from farmstead.ids import new_id
from farmstead.orchestration import events
from farmstead.orchestration.worker_sessions import release_worker_sessions
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict
from farmstead.store import fleets, logs, workers


@operation("CreateWorker", write=True, access=WORKER_ACCESS)
def create_worker(ctx: Context, params: shapes.CreateWorkerRequest) -> shapes.CreateWorkerResponse:
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    if fleet.status != FleetStatus.ACTIVE:
        raise conflict("STATUS_CONFLICT", "fleet", fleet.fleet_id, f"Fleet {fleet.fleet_id} is {fleet.status}.",
                       {"status": fleet.status})
    worker_id = new_id("worker")
    workers.insert(ctx.conn, worker_id=worker_id, farm_id=fleet.farm_id, fleet_id=fleet.fleet_id,
                   status=WorkerStatus.CREATED,
                   host_properties=params.get("hostProperties"), capabilities=None, last_seen_at=ctx.now,
                   bootstrap_principal_id=ctx.caller.principal_id, created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.worker(fleet.farm_id, fleet.fleet_id, worker_id), params.get("tags"))
    events.fleet_workers_changed(ctx.conn, fleet, ctx.now, ctx.settings.scaling_rule)  # docs/events.md
    return {"workerId": worker_id}


@operation("UpdateWorker", write=True, access=WORKER_ACCESS)
def update_worker(ctx: Context, params: shapes.UpdateWorkerRequest) -> shapes.UpdateWorkerResponse:
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
        if not worker_states.may_become(row.status, status):
            raise conflict("STATUS_CONFLICT", "worker", row.worker_id,
                           f"Worker {row.worker_id} is {row.status}; it can't become {status}.",
                           {"status": row.status})
        changes["status"] = status
        if status == WorkerStatus.STARTED and row.hold is not None:
            changes["hold"] = worker_holds.after_start(row.hold)  # a drain-and-stop ends with the restart
        if worker_states.releases_sessions(row.status, status) and row.open_sessions:
            # A (re)started or stopped worker holds nothing: whatever it had goes back to READY. The
            # row marked seen counted its open sessions (under its lock): with none, nothing to read.
            release_worker_sessions(ctx.changes, row.worker_id)
    host_configuration = _host_configuration(ctx, row) if status == UpdatedWorkerStatus.STARTED else None
    if host_configuration is not None:
        # The worker runs the script before its first heartbeat: silent until the script's timeout,
        # it is not lost; past it, it is NOT_RESPONDING (the model's rule for a script that overruns).
        changes["configuring_until"] = ctx.now + timedelta(seconds=host_configuration["scriptTimeoutSeconds"])
    workers.update(ctx.conn, row.worker_id, **changes)
    if status != UpdatedWorkerStatus.STARTED:
        return {}
    log = worker_log(row)
    # The agent only ever calls PutLogEvents: the service makes the group and stream for it.
    logs.ensure_stream(ctx.conn, log["options"]["logGroupName"], log["options"]["logStreamName"],
                       int(ctx.now.timestamp() * 1000))
    if host_configuration is None:
        return {"log": log}
    return {"log": log, "hostConfiguration": host_configuration}


def _host_configuration(ctx: Context, row) -> shapes.HostConfiguration | None:
    """The fleet's host configuration script as it is now: every start of a worker answers it (the
    worker remembers whether it already ran it successfully, as the official agent does)."""
    fleet = fleets.get(ctx.conn, row.farm_id, row.fleet_id)
    configured = fleet.host_configuration if fleet is not None else None
    if not configured or not configured.get("scriptBody"):
        return None
    return {"scriptBody": configured["scriptBody"], "scriptTimeoutSeconds": configured["scriptTimeoutSeconds"]}
