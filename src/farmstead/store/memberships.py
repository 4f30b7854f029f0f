"""Memberships of principals in farms, queues, fleets and jobs (one table for all four)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import memberships


def levels_on(conn: Connection, principal_id: str, resource_ids: Iterable[str]) -> list[str]:
    """Every membership level the principal holds on any of these resources (a farm and what is inside it)."""
    ids = [r for r in resource_ids if r]
    if not ids:
        return []
    rows = conn.execute(sa.select(memberships.c.membership_level).where(
        memberships.c.principal_id == principal_id, memberships.c.resource_id.in_(ids)))
    return [r.membership_level for r in rows]


def farm_ids_of(conn: Connection, principal_id: str) -> set[str]:
    """Farms in which the principal holds any membership (a farm's, or one of its queues', fleets' or jobs')."""
    rows = conn.execute(sa.select(memberships.c.farm_id).where(memberships.c.principal_id == principal_id).distinct())
    return {r.farm_id for r in rows}


def delete_all_for_farm(conn: Connection, farm_id: str) -> None:
    conn.execute(memberships.delete().where(memberships.c.farm_id == farm_id))
