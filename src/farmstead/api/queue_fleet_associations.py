"""Queue-fleet associations: Create/Get/Update/Delete/ListQueueFleetAssociations.

Owns: the association's status machine (ACTIVE -> STOP_* -> STOPPED -> ACTIVE ...), the rule that
only a STOPPED association may be deleted, and the customer-managed fleet / jobRunAsUser rule
when associating. Must not: write SQL, or cancel work itself (the scheduling issue hooks the
STOP_SCHEDULING_AND_CANCEL_TASKS fan-out into the same place the stop is decided).
"""

from __future__ import annotations

from typing import Any

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_farm, require_fleet, require_queue
from farmstead.domain.fleet_run_as import run_as_problem
from farmstead.protocol.errors import conflict, not_found, validation_error
from farmstead.store import fleets, queues
from farmstead.store import queue_fleet_associations as qfas
from farmstead.store.paging import position_of

RESOURCE_TYPE = "queue-fleet-association"


def association_id(queue_id: str, fleet_id: str) -> str:
    """How errors name an association: the two ids as they appear in its URL."""
    return f"{queue_id}/{fleet_id}"


def _output(row) -> dict[str, Any]:
    return {"queueId": row.queue_id, "fleetId": row.fleet_id, "status": row.status, **audit_fields(row)}


def _require_association(ctx: Context, farm_id: str, queue_id: str, fleet_id: str):
    """The association; a missing one is reported as its missing queue or fleet when that is the cause."""
    require_farm(ctx, farm_id)
    row = qfas.get(ctx.conn, farm_id, queue_id, fleet_id)
    if row is not None:
        return row
    if queues.get(ctx.conn, farm_id, queue_id) is None:
        raise not_found("queue", queue_id)
    if fleets.get(ctx.conn, farm_id, fleet_id) is None:
        raise not_found("fleet", fleet_id)
    raise not_found(RESOURCE_TYPE, association_id(queue_id, fleet_id))


@operation("CreateQueueFleetAssociation", write=True, access="ADMIN")
def create_queue_fleet_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, fleet_id = params["farmId"], params["queueId"], params["fleetId"]
    queue = require_queue(ctx, farm_id, queue_id)
    fleet = require_fleet(ctx, farm_id, fleet_id)
    if qfas.get(ctx.conn, farm_id, queue_id, fleet_id) is not None:
        raise conflict("RESOURCE_ALREADY_EXISTS", RESOURCE_TYPE, association_id(queue_id, fleet_id),
                       f"Queue {queue_id} is already associated with fleet {fleet_id}.")
    cmf = fleet.configuration.get("customerManaged")
    if cmf is not None:
        problem = run_as_problem((queue.attributes or {}).get("jobRunAsUser"), cmf["workerCapabilities"]["osFamily"])
        if problem:
            raise validation_error(problem, [{"name": "queueId", "message": problem}])
    qfas.insert(ctx.conn, farm_id=farm_id, queue_id=queue_id, fleet_id=fleet_id, status="ACTIVE",
                created_at=ctx.now, created_by=ctx.who)
    return {}


@operation("GetQueueFleetAssociation")
def get_queue_fleet_association(ctx: Context, params: dict) -> dict:
    return _output(_require_association(ctx, params["farmId"], params["queueId"], params["fleetId"]))


@operation("UpdateQueueFleetAssociation", write=True, access="ADMIN")
def update_queue_fleet_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, fleet_id, wanted = params["farmId"], params["queueId"], params["fleetId"], params["status"]
    row = _require_association(ctx, farm_id, queue_id, fleet_id)
    status = wanted
    if wanted != "ACTIVE":
        if row.status == "STOPPED":
            status = "STOPPED"  # already stopped: nothing left to complete or cancel
        elif not qfas.fleet_holds_sessions_for_queue(ctx.conn, queue_id, fleet_id):
            status = "STOPPED"  # nothing in flight: the stop is complete at once
    qfas.update(ctx.conn, queue_id, fleet_id, status=status, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteQueueFleetAssociation", write=True, access="ADMIN")
def delete_queue_fleet_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, fleet_id = params["farmId"], params["queueId"], params["fleetId"]
    row = _require_association(ctx, farm_id, queue_id, fleet_id)
    if row.status != "STOPPED":
        raise conflict("STATUS_CONFLICT", RESOURCE_TYPE, association_id(queue_id, fleet_id),
                       f"The association is {row.status}; set it to STOP_SCHEDULING_AND_COMPLETE_TASKS or "
                       "STOP_SCHEDULING_AND_CANCEL_TASKS and wait for STOPPED before deleting it.",
                       context={"status": row.status})
    qfas.delete(ctx.conn, queue_id, fleet_id)
    return {}


@operation("ListQueueFleetAssociations")
def list_queue_fleet_associations(ctx: Context, params: dict) -> dict:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = qfas.page(ctx.conn, farm_id, after, limit, queue_id=params.get("queueId"), fleet_id=params.get("fleetId"))
    return ctx.page("queueFleetAssociations", rows, limit, _output,
                    lambda r: position_of(r.created_at, qfas.pair_key(r.queue_id, r.fleet_id)))
