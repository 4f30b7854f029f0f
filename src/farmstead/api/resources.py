"""Small pieces every resource family's handlers share: audit fields and parent lookups (404s)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.protocol.errors import not_found
from farmstead.store import farms, fleets, queues


class AuditFields(TypedDict):
    """Who made a resource and when, and who changed it last: the members every resource answers with."""

    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


def changed_columns(params: Mapping[str, Any], columns: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """{column: value} for each (member, column) the request sets: what an Update* writes."""
    return {column: params[member] for member, column in columns if member in params}


def audit_fields(row: Row) -> AuditFields:
    return {"createdAt": row.created_at, "createdBy": row.created_by,
            "updatedAt": row.updated_at, "updatedBy": row.updated_by}


def require_farm(ctx: Context, farm_id: str) -> Row:
    row = farms.get(ctx.conn, farm_id)
    if row is None:
        raise not_found("farm", farm_id)
    return row


def require_queue(ctx: Context, farm_id: str, queue_id: str) -> Row:
    """The queue; an unknown farm is reported as the farm, not the queue. One query on the hit path:
    a queue row in that farm means the farm exists (a foreign key), so only a miss looks at the farm."""
    row = queues.get(ctx.conn, farm_id, queue_id)
    if row is None:
        require_farm(ctx, farm_id)
        raise not_found("queue", queue_id)
    return row


def require_fleet(ctx: Context, farm_id: str, fleet_id: str) -> Row:
    """The fleet; as require_queue, the farm is looked at only on a miss."""
    row = fleets.get(ctx.conn, farm_id, fleet_id)
    if row is None:
        require_farm(ctx, farm_id)
        raise not_found("fleet", fleet_id)
    return row
