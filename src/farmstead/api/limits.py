"""Limits and queue-limit associations: Create/Get/Update/Delete/ListLimits and
Create/Get/Update/Delete/ListQueueLimitAssociations.

Owns: maxCount rules (-1 unlimited, never 0), amountRequirementName rules, the one-limit-per-amount-
name-per-queue rule, deleting a limit only once it has no associations, and what makes a queue-limit
association one kind of association (names, STOP_LIMIT_USAGE_* statuses, store functions; the status
machine it shares with queue-fleet associations, delete only when STOPPED included, is
api/associations.py). Must not: write SQL, or count usage (currentCount is kept by dispatch in the
scheduling issue).
"""

from __future__ import annotations

import re
from typing import cast

from sqlalchemy.engine import Row

from farmstead.api import associations
from farmstead.api.associations import AssociationKind
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm
from farmstead.domain.capabilities import RESERVED_AMOUNT_PREFIX
from farmstead.domain.statuses import QueueLimitAssociationStatus as Status
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import limits
from farmstead.store.paging import position_of

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


def _limit_summary(row: Row) -> shapes.LimitSummary:
    return {
        "farmId": row.farm_id,
        "limitId": row.limit_id,
        "currentCount": row.current_count,
        "displayName": row.display_name,
        "amountRequirementName": row.amount_requirement_name,
        "maxCount": row.max_count,
        **audit_fields(row),
    }


def _limit_output(row: Row) -> shapes.GetLimitResponse:
    return {**_limit_summary(row), "description": row.description}


def _require_limit(ctx: Context, farm_id: str, limit_id: str):
    require_farm(ctx, farm_id)
    row = limits.get(ctx.conn, farm_id, limit_id)
    if row is None:
        raise not_found("limit", limit_id)
    return row


@operation("CreateLimit", write=True, access="ADMIN")
def create_limit(ctx: Context, params: shapes.CreateLimitRequest) -> shapes.CreateLimitResponse:
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
def get_limit(ctx: Context, params: shapes.GetLimitRequest) -> shapes.GetLimitResponse:
    return _limit_output(_require_limit(ctx, params["farmId"], params["limitId"]))


@operation("UpdateLimit", write=True, access="ADMIN")
def update_limit(ctx: Context, params: shapes.UpdateLimitRequest) -> shapes.UpdateLimitResponse:
    row = _require_limit(ctx, params["farmId"], params["limitId"])
    if "maxCount" in params:
        # Lowering it below currentCount is allowed: running work finishes, nothing new starts
        # until usage drops below the new maximum (model text on UpdateLimit.maxCount).
        _check_max_count(params["maxCount"])
    changes = changed_columns(params, (("displayName", "display_name"), ("description", "description"),
                                       ("maxCount", "max_count")))
    limits.update(ctx.conn, row.limit_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteLimit", write=True, access="ADMIN")
def delete_limit(ctx: Context, params: shapes.DeleteLimitRequest) -> shapes.DeleteLimitResponse:
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
def list_limits(ctx: Context, params: shapes.ListLimitsRequest) -> shapes.ListLimitsResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = limits.page(ctx.conn, farm_id, after, limit)
    items, more = ctx.paged(rows, limit, _limit_summary, lambda r: position_of(r.created_at, r.limit_id))
    return {"limits": items, **more}


# --- queue-limit associations ----------------------------------------------------------------------

QUEUE_LIMIT = AssociationKind(
    resource_type="queue-limit-association", other_type="limit", other_member="limitId", other_column="limit_id",
    list_key="queueLimitAssociations",
    already_associated="Limit {other_id} is already associated with queue {queue_id}.",
    stop_statuses=(Status.STOP_LIMIT_USAGE_AND_COMPLETE_TASKS, Status.STOP_LIMIT_USAGE_AND_CANCEL_TASKS),
    get_other=limits.get, get=limits.get_association, insert=limits.insert_association,
    update=limits.update_association, delete=limits.delete_association, page=limits.page_associations,
    pair_key=limits.pair_key, still_held=limits.queue_holds_limit)


def _check_one_limit_per_amount(ctx: Context, queue, limit) -> None:
    other = limits.associated_limit_with_amount(ctx.conn, queue.queue_id, limit.amount_requirement_name)
    if other is not None:
        raise _refuse("limitId", f"Queue {queue.queue_id} is already associated with limit {other}, which has the "
                                 f"same amountRequirementName {limit.amount_requirement_name}.")


@operation("CreateQueueLimitAssociation", write=True, access="ADMIN")
def create_queue_limit_association(
        ctx: Context, params: shapes.CreateQueueLimitAssociationRequest,
) -> shapes.CreateQueueLimitAssociationResponse:
    associations.create(ctx, QUEUE_LIMIT, params, _check_one_limit_per_amount)
    return {}


# The association's answers name the other end by the kind's member (limitId), built by the
# shared code in api/associations.py from the row: mypy can't follow the member's name there.
@operation("GetQueueLimitAssociation")
def get_queue_limit_association(
        ctx: Context, params: shapes.GetQueueLimitAssociationRequest,
) -> shapes.GetQueueLimitAssociationResponse:
    return cast(shapes.GetQueueLimitAssociationResponse, associations.get(ctx, QUEUE_LIMIT, params))


@operation("UpdateQueueLimitAssociation", write=True, access="ADMIN")
def update_queue_limit_association(
        ctx: Context, params: shapes.UpdateQueueLimitAssociationRequest,
) -> shapes.UpdateQueueLimitAssociationResponse:
    associations.update(ctx, QUEUE_LIMIT, params)
    return {}


@operation("DeleteQueueLimitAssociation", write=True, access="ADMIN")
def delete_queue_limit_association(
        ctx: Context, params: shapes.DeleteQueueLimitAssociationRequest,
) -> shapes.DeleteQueueLimitAssociationResponse:
    associations.delete(ctx, QUEUE_LIMIT, params)
    return {}


@operation("ListQueueLimitAssociations")
def list_queue_limit_associations(
        ctx: Context, params: shapes.ListQueueLimitAssociationsRequest,
) -> shapes.ListQueueLimitAssociationsResponse:
    return cast(shapes.ListQueueLimitAssociationsResponse, associations.list_page(ctx, QUEUE_LIMIT, params))
