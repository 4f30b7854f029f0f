"""Small pieces every resource family's handlers share: audit fields and parent lookups (404s)."""

from __future__ import annotations

from typing import Any

from farmstead.api.context import Context
from farmstead.protocol.errors import not_found
from farmstead.store import farms


def audit_fields(row) -> dict[str, Any]:
    return {"createdAt": row.created_at, "createdBy": row.created_by,
            "updatedAt": row.updated_at, "updatedBy": row.updated_by}


def require_farm(ctx: Context, farm_id: str):
    row = farms.get(ctx.conn, farm_id)
    if row is None:
        raise not_found("farm", farm_id)
    return row
