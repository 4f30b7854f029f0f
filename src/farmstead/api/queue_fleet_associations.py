"""Queue-fleet associations: Create/Get/Update/Delete/ListQueueFleetAssociations.

Owns: what makes a queue-fleet association one kind of association (its names, its STOP_SCHEDULING_*
statuses, its store functions; the lifecycle they share with queue-limit associations, ACTIVE ->
STOP_* -> STOPPED -> ACTIVE ... and delete only when STOPPED, is api/associations.py), and the
customer-managed fleet / jobRunAsUser rule when associating. Must not: write SQL, or cancel work
itself (the scheduling issue hooks the STOP_SCHEDULING_AND_CANCEL_TASKS fan-out into the same place
the stop is decided).
"""

from __future__ import annotations

from typing import cast

from farmstead.api import associations
from farmstead.api.associations import AssociationKind
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.domain.fleet_run_as import run_as_problem
from farmstead.domain.statuses import QueueFleetAssociationStatus as Status
from farmstead.protocol import shapes
from farmstead.protocol.errors import validation_error
from farmstead.store import fleets
from farmstead.store import queue_fleet_associations as qfas

QUEUE_FLEET = AssociationKind(
    resource_type="queue-fleet-association", other_type="fleet", other_member="fleetId", other_column="fleet_id",
    list_key="queueFleetAssociations",
    already_associated="Queue {queue_id} is already associated with fleet {other_id}.",
    stop_statuses=(Status.STOP_SCHEDULING_AND_COMPLETE_TASKS, Status.STOP_SCHEDULING_AND_CANCEL_TASKS),
    get_other=fleets.get, get=qfas.get, insert=qfas.insert, update=qfas.update, delete=qfas.delete, page=qfas.page,
    pair_key=qfas.pair_key, still_held=qfas.fleet_holds_sessions_for_queue)


def _check_run_as(ctx: Context, queue, fleet) -> None:
    cmf = fleet.configuration.get("customerManaged")
    if cmf is not None:
        problem = run_as_problem((queue.attributes or {}).get("jobRunAsUser"), cmf["workerCapabilities"]["osFamily"])
        if problem:
            raise validation_error(problem, [{"name": "queueId", "message": problem}])


@operation("CreateQueueFleetAssociation", write=True, access="ADMIN")
def create_queue_fleet_association(
        ctx: Context, params: shapes.CreateQueueFleetAssociationRequest,
) -> shapes.CreateQueueFleetAssociationResponse:
    associations.create(ctx, QUEUE_FLEET, params, _check_run_as)
    return {}


# The association's answers name the other end by the kind's member (fleetId), built by the
# shared code in api/associations.py from the row: mypy can't follow the member's name there.
@operation("GetQueueFleetAssociation")
def get_queue_fleet_association(
        ctx: Context, params: shapes.GetQueueFleetAssociationRequest,
) -> shapes.GetQueueFleetAssociationResponse:
    return cast(shapes.GetQueueFleetAssociationResponse, associations.get(ctx, QUEUE_FLEET, params))


@operation("UpdateQueueFleetAssociation", write=True, access="ADMIN")
def update_queue_fleet_association(
        ctx: Context, params: shapes.UpdateQueueFleetAssociationRequest,
) -> shapes.UpdateQueueFleetAssociationResponse:
    associations.update(ctx, QUEUE_FLEET, params)
    return {}


@operation("DeleteQueueFleetAssociation", write=True, access="ADMIN")
def delete_queue_fleet_association(
        ctx: Context, params: shapes.DeleteQueueFleetAssociationRequest,
) -> shapes.DeleteQueueFleetAssociationResponse:
    associations.delete(ctx, QUEUE_FLEET, params)
    return {}


@operation("ListQueueFleetAssociations")
def list_queue_fleet_associations(
        ctx: Context, params: shapes.ListQueueFleetAssociationsRequest,
) -> shapes.ListQueueFleetAssociationsResponse:
    return cast(shapes.ListQueueFleetAssociationsResponse, associations.list_page(ctx, QUEUE_FLEET, params))
