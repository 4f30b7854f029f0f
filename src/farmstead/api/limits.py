"""Limits and queue-limit associations: Create/Get/Update/Delete/ListLimits and
Create/Get/Update/Delete/ListQueueLimitAssociations.

Owns: maxCount rules (-1 unlimited, never 0), amountRequirementName rules, the one-limit-per-amount-
name-per-queue rule, and the association's status machine (only a STOPPED association may be
deleted; a limit only once it has none). Must not: write SQL, or count usage (currentCount is kept
by dispatch in the scheduling issue).
"""

from __future__ import annotations

import re
from typing import Any

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_farm, require_queue
from farmstead.domain.capabilities import RESERVED_AMOUNT_PREFIX
from farmstead.ids import new_id
from farmstead.protocol.errors import conflict, not_found, validation_error
from farmstead.store import limits, queues
from farmstead.store.paging import position_of

ASSOCIATION_TYPE = "queue-limit-association"
# What a step can name in hostRequirements.amounts (OpenJD AmountCapabilityName, as the model's
# FleetAmountCapability name pattern spells it): a limit under any other name could never be used.
_AMOUNT_NAME = re.compile(r"([a-zA-Z][a-zA-Z0-9]{0,63}:)?amount(\.[a-zA-Z][a-zA-Z0-9]{0,63})+")


def _refuse(field: str, message: str, reason: str = "FIELD_VALIDATION_FAILED"):
    return validation_error(message, [{"name": field, "message": message}], reason=reason)


def _check_max_count(max_count: int) -> None:
    if max_count == 0:
        raise _refuse("maxCount", "maxCount must not be 0; use -1 for no maximum.")


def _check_amount_name(name: str) -> None:
    if not _AMOUNT_NAME.fullmatch(name):
        raise _refuse("amountRequirementName",
                      f"{name!r} is no amount capability name a job template can require (e.g. amount.nuke).")
    if name.startswith(RESERVED_AMOUNT_PREFIX):
        raise _refuse("amountRequirementName",
                      f"Names starting with {RESERVED_AMOUNT_PREFIX} are reserved for worker capabilities.")


def _limit_output(row) -> dict[str, Any]:
    return {
        "farmId": row.farm_id,
        "limitId": row.limit_id,
        "currentCount": row.current_count,
        "displayName": row.display_name,
        "amountRequirementName": row.amount_requirement_name,
        "maxCount": row.max_count,
        "description": row.description,
        **audit_fields(row),
    }


def _require_limit(ctx: Context, farm_id: str, limit_id: str):
    require_farm(ctx, farm_id)
    row = limits.get(ctx.conn, farm_id, limit_id)
    if row is None:
        raise not_found("limit", limit_id)
    return row


@operation("CreateLimit", write=True, access="ADMIN")
def create_limit(ctx: Context, params: dict) -> dict:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    _check_amount_name(params["amountRequirementName"])
    _check_max_count(params["maxCount"])
    limit_id = new_id("limit")
    limits.insert(ctx.conn, limit_id=limit_id, farm_id=farm_id, display_name=params["displayName"],
                  description=params.get("description"), amount_requirement_name=params["amountRequirementName"],
                  max_count=params["maxCount"], current_count=0, created_at=ctx.now, created_by=ctx.who)
    return {"limitId": limit_id}


@operation("GetLimit")
def get_limit(ctx: Context, params: dict) -> dict:
    return _limit_output(_require_limit(ctx, params["farmId"], params["limitId"]))


@operation("UpdateLimit", write=True, access="ADMIN")
def update_limit(ctx: Context, params: dict) -> dict:
    row = _require_limit(ctx, params["farmId"], params["limitId"])
    if "maxCount" in params:
        # Lowering it below currentCount is allowed: running work finishes, nothing new starts
        # until usage drops below the new maximum (model text on UpdateLimit.maxCount).
        _check_max_count(params["maxCount"])
    changes = {column: params[member] for member, column in (
        ("displayName", "display_name"), ("description", "description"), ("maxCount", "max_count"))
        if member in params}
    limits.update(ctx.conn, row.limit_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteLimit", write=True, access="ADMIN")
def delete_limit(ctx: Context, params: dict) -> dict:
    # The model gives DeleteLimit neither ResourceNotFoundException nor ConflictException: deleting
    # a limit that is not there succeeds (nothing to do), and one still in use is refused as invalid.
    row = limits.get(ctx.conn, params["farmId"], params["limitId"])
    if row is None:
        return {}
    if limits.has_associations(ctx.conn, row.limit_id):
        raise _refuse("limitId", "The limit is still associated with queues; delete its queue-limit associations "
                                 "first.", reason="OTHER")
    limits.delete(ctx.conn, row.limit_id)
    return {}


@operation("ListLimits")
def list_limits(ctx: Context, params: dict) -> dict:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = limits.page(ctx.conn, farm_id, after, limit)
    return ctx.page("limits", rows, limit, _limit_output, lambda r: position_of(r.created_at, r.limit_id))


# --- queue-limit associations ----------------------------------------------------------------------

def association_id(queue_id: str, limit_id: str) -> str:
    """How errors name an association: the two ids as they appear in its URL."""
    return f"{queue_id}/{limit_id}"


def _association_output(row) -> dict[str, Any]:
    return {"queueId": row.queue_id, "limitId": row.limit_id, "status": row.status, **audit_fields(row)}


def _require_association(ctx: Context, farm_id: str, queue_id: str, limit_id: str):
    """The association; a missing one is reported as its missing queue or limit when that is the cause."""
    require_farm(ctx, farm_id)
    row = limits.get_association(ctx.conn, farm_id, queue_id, limit_id)
    if row is not None:
        return row
    if queues.get(ctx.conn, farm_id, queue_id) is None:
        raise not_found("queue", queue_id)
    if limits.get(ctx.conn, farm_id, limit_id) is None:
        raise not_found("limit", limit_id)
    raise not_found(ASSOCIATION_TYPE, association_id(queue_id, limit_id))


@operation("CreateQueueLimitAssociation", write=True, access="ADMIN")
def create_queue_limit_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, limit_id = params["farmId"], params["queueId"], params["limitId"]
    require_queue(ctx, farm_id, queue_id)
    limit = _require_limit(ctx, farm_id, limit_id)
    if limits.get_association(ctx.conn, farm_id, queue_id, limit_id) is not None:
        raise conflict("RESOURCE_ALREADY_EXISTS", ASSOCIATION_TYPE, association_id(queue_id, limit_id),
                       f"Limit {limit_id} is already associated with queue {queue_id}.")
    other = limits.associated_limit_with_amount(ctx.conn, queue_id, limit.amount_requirement_name)
    if other is not None:
        raise _refuse("limitId", f"Queue {queue_id} is already associated with limit {other}, which has the same "
                                 f"amountRequirementName {limit.amount_requirement_name}.")
    limits.insert_association(ctx.conn, farm_id=farm_id, queue_id=queue_id, limit_id=limit_id, status="ACTIVE",
                              created_at=ctx.now, created_by=ctx.who)
    return {}


@operation("GetQueueLimitAssociation")
def get_queue_limit_association(ctx: Context, params: dict) -> dict:
    return _association_output(_require_association(ctx, params["farmId"], params["queueId"], params["limitId"]))


@operation("UpdateQueueLimitAssociation", write=True, access="ADMIN")
def update_queue_limit_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, limit_id, wanted = params["farmId"], params["queueId"], params["limitId"], params["status"]
    row = _require_association(ctx, farm_id, queue_id, limit_id)
    status = wanted
    if wanted != "ACTIVE":
        if row.status == "STOPPED":
            status = "STOPPED"  # already stopped: nothing left to complete or cancel
        elif not limits.queue_holds_limit(ctx.conn, queue_id, limit_id):
            status = "STOPPED"  # no units held: the stop is complete at once
    limits.update_association(ctx.conn, queue_id, limit_id, status=status, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteQueueLimitAssociation", write=True, access="ADMIN")
def delete_queue_limit_association(ctx: Context, params: dict) -> dict:
    farm_id, queue_id, limit_id = params["farmId"], params["queueId"], params["limitId"]
    row = _require_association(ctx, farm_id, queue_id, limit_id)
    if row.status != "STOPPED":
        raise conflict("STATUS_CONFLICT", ASSOCIATION_TYPE, association_id(queue_id, limit_id),
                       f"The association is {row.status}; set it to STOP_LIMIT_USAGE_AND_COMPLETE_TASKS or "
                       "STOP_LIMIT_USAGE_AND_CANCEL_TASKS and wait for STOPPED before deleting it.",
                       context={"status": row.status})
    limits.delete_association(ctx.conn, queue_id, limit_id)
    return {}


@operation("ListQueueLimitAssociations")
def list_queue_limit_associations(ctx: Context, params: dict) -> dict:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = limits.page_associations(ctx.conn, farm_id, after, limit, queue_id=params.get("queueId"),
                                    limit_id=params.get("limitId"))
    return ctx.page("queueLimitAssociations", rows, limit, _association_output,
                    lambda r: position_of(r.created_at, limits.pair_key(r.queue_id, r.limit_id)))
