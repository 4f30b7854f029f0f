"""Queue associations (queue-fleet, queue-limit): the lifecycle both kinds share.

Owns: create as ACTIVE (after the queue, the other end and a duplicate are checked), get (a missing
association is reported as its missing queue or other end when that is the cause), update (a stop
is STOPPED at once unless the other end still holds work of the queue), delete only when STOPPED,
and list with the queue / other-end filters. An `AssociationKind` names what differs between the
kinds: resource names, status names and the store functions.
Must not: write SQL (the kind brings its store functions), register operations, or hold a kind's
own rules (api/queue_fleet_associations.py and api/limits.py pass those in as `check`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from farmstead.api.context import Context
from farmstead.api.resources import audit_fields, require_farm, require_queue
from farmstead.domain.statuses import QueueFleetAssociationStatus
from farmstead.protocol.errors import conflict, not_found
from farmstead.store import queues
from farmstead.store.paging import position_of


@dataclass(frozen=True)
class AssociationKind:
    resource_type: str  # how errors name the association: "queue-fleet-association"
    other_type: str  # how errors name the other end: "fleet"
    other_member: str  # the other end's id in inputs and outputs: "fleetId"
    other_column: str  # ... in rows, and as the store's `page` filter keyword: "fleet_id"
    list_key: str  # the List output's member: "queueFleetAssociations"
    already_associated: str  # the Create conflict's message; formatted with queue_id and other_id
    stop_statuses: tuple[str, str]  # the two STOP_* statuses, in the model's order (named by Delete's conflict)
    get_other: Callable[..., Any]  # (conn, farm_id, other_id) -> Row | None
    get: Callable[..., Any]  # (conn, farm_id, queue_id, other_id) -> Row | None
    insert: Callable[..., None]  # (conn, **values)
    update: Callable[..., None]  # (conn, queue_id, other_id, **values)
    delete: Callable[..., None]  # (conn, queue_id, other_id)
    page: Callable[..., list]  # (conn, farm_id, after, limit, *, queue_id=..., <other_column>=...)
    pair_key: Callable[[str, str], str]  # the paging key of one association
    still_held: Callable[..., bool]  # (conn, queue_id, other_id): must a stop wait for running work?


def association_id(queue_id: str, other_id: str) -> str:
    """How errors name an association: the two ids as they appear in its URL."""
    return f"{queue_id}/{other_id}"


def _ids(kind: AssociationKind, params: Mapping[str, Any]) -> tuple[str, str, str]:
    return params["farmId"], params["queueId"], params[kind.other_member]


def _output(kind: AssociationKind, row) -> dict[str, Any]:
    return {"queueId": row.queue_id, kind.other_member: getattr(row, kind.other_column), "status": row.status,
            **audit_fields(row)}


def _require_other(ctx: Context, kind: AssociationKind, farm_id: str, other_id: str):
    require_farm(ctx, farm_id)
    row = kind.get_other(ctx.conn, farm_id, other_id)
    if row is None:
        raise not_found(kind.other_type, other_id)
    return row


def _require(ctx: Context, kind: AssociationKind, farm_id: str, queue_id: str, other_id: str):
    """The association; a missing one is reported as its missing queue or other end when that is the cause."""
    require_farm(ctx, farm_id)
    row = kind.get(ctx.conn, farm_id, queue_id, other_id)
    if row is not None:
        return row
    if queues.get(ctx.conn, farm_id, queue_id) is None:
        raise not_found("queue", queue_id)
    if kind.get_other(ctx.conn, farm_id, other_id) is None:
        raise not_found(kind.other_type, other_id)
    raise not_found(kind.resource_type, association_id(queue_id, other_id))


def create(ctx: Context, kind: AssociationKind, params: Mapping[str, Any],
           check: Callable[[Context, Any, Any], None]) -> None:
    """Associate as ACTIVE; `check(ctx, queue_row, other_row)` raises when the kind's own rules refuse."""
    farm_id, queue_id, other_id = _ids(kind, params)
    queue = require_queue(ctx, farm_id, queue_id)
    other = _require_other(ctx, kind, farm_id, other_id)
    if kind.get(ctx.conn, farm_id, queue_id, other_id) is not None:
        raise conflict("RESOURCE_ALREADY_EXISTS", kind.resource_type, association_id(queue_id, other_id),
                       kind.already_associated.format(queue_id=queue_id, other_id=other_id))
    check(ctx, queue, other)
    kind.insert(ctx.conn, farm_id=farm_id, queue_id=queue_id, **{kind.other_column: other_id},
                status=QueueFleetAssociationStatus.ACTIVE,
                created_at=ctx.now, created_by=ctx.who)


def get(ctx: Context, kind: AssociationKind, params: Mapping[str, Any]) -> dict[str, Any]:
    return _output(kind, _require(ctx, kind, *_ids(kind, params)))


def update(ctx: Context, kind: AssociationKind, params: Mapping[str, Any]) -> None:
    farm_id, queue_id, other_id = _ids(kind, params)
    wanted = params["status"]
    row = _require(ctx, kind, farm_id, queue_id, other_id)
    status = wanted
    # Both kinds spell ACTIVE and STOPPED alike (QueueLimitAssociationStatus too): the queue-fleet enum names them.
    if wanted != QueueFleetAssociationStatus.ACTIVE:
        if row.status == QueueFleetAssociationStatus.STOPPED:
            status = QueueFleetAssociationStatus.STOPPED  # already stopped: nothing left to complete or cancel
        elif not kind.still_held(ctx.conn, queue_id, other_id):
            status = QueueFleetAssociationStatus.STOPPED  # nothing in flight: the stop is complete at once
    kind.update(ctx.conn, queue_id, other_id, status=status, updated_at=ctx.now, updated_by=ctx.who)


def delete(ctx: Context, kind: AssociationKind, params: Mapping[str, Any]) -> None:
    farm_id, queue_id, other_id = _ids(kind, params)
    row = _require(ctx, kind, farm_id, queue_id, other_id)
    if row.status != QueueFleetAssociationStatus.STOPPED:
        complete, cancel = kind.stop_statuses
        raise conflict("STATUS_CONFLICT", kind.resource_type, association_id(queue_id, other_id),
                       f"The association is {row.status}; set it to {complete} or {cancel} and wait for STOPPED "
                       "before deleting it.",
                       context={"status": row.status})
    kind.delete(ctx.conn, queue_id, other_id)


def list_page(ctx: Context, kind: AssociationKind, params: Mapping[str, Any]) -> dict[str, Any]:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = kind.page(ctx.conn, farm_id, after, limit, queue_id=params.get("queueId"),
                     **{kind.other_column: params.get(kind.other_member)})
    return ctx.page(kind.list_key, rows, limit, lambda row: _output(kind, row),
                    lambda r: position_of(r.created_at, kind.pair_key(r.queue_id, getattr(r, kind.other_column))))
