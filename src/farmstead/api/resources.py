"""Small pieces every resource family's handlers share: audit fields and parent lookups (404s)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.protocol.errors import not_found
from farmstead.store import farms, fleets, queues


def audit_fields(row) -> dict[str, Any]:
    return {"createdAt": row.created_at, "createdBy": row.created_by,
            "updatedAt": row.updated_at, "updatedBy": row.updated_by}


def require_farm(ctx: Context, farm_id: str) -> Row:
    row = farms.get(ctx.conn, farm_id)
    if row is None:
        raise not_found("farm", farm_id)
    return row


def require_queue(ctx: Context, farm_id: str, queue_id: str) -> Row:
    """The queue, after the farm: an unknown farm is reported as the farm, not the queue."""
    require_farm(ctx, farm_id)
    row = queues.get(ctx.conn, farm_id, queue_id)
    if row is None:
        raise not_found("queue", queue_id)
    return row


def require_fleet(ctx: Context, farm_id: str, fleet_id: str) -> Row:
    require_farm(ctx, farm_id)
    row = fleets.get(ctx.conn, farm_id, fleet_id)
    if row is None:
        raise not_found("fleet", fleet_id)
    return row
