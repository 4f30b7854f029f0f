"""Fleets: rows in, rows out.

Owns: the fleets table, and the few reads about a fleet's surroundings its handlers need (its
workers' count, the fleets naming a storage profile, who holds memberships on it).
Must not: decide anything (the api layer judges; this module only reads and writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store import worker_counts as kept_worker_counts
from farmstead.store.driver_reads import DriverSelect
from farmstead.store.paging import keyset_page
from farmstead.store.schema import fleets, memberships, workers


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(fleets.insert().values(**values))


#: Built once: every fleet-scoped request and worker call reads it (see farms._BY_ID).
_BY_ID = DriverSelect(sa.select(fleets).where(fleets.c.fleet_id == sa.bindparam("b_fleet_id"),
                                              fleets.c.farm_id == sa.bindparam("b_farm_id")), "FleetRow")


def get(conn: Connection, farm_id: str, fleet_id: str) -> Row | None:
    return _BY_ID.first(conn, {"b_fleet_id": fleet_id, "b_farm_id": farm_id})


def every(conn: Connection) -> list[Row]:
    """Every fleet of every farm (a handful: the sweeper looks at the auto-scaling ones' sizes)."""
    return list(conn.execute(sa.select(fleets)))


def mark_seen(conn: Connection, fleet_id: str, before: tuple[int | None, int | None],
              after: tuple[int | None, int | None]) -> bool:
    """Keep `after` as the (worker count, recommended size) the fleet was last looked at with, only if
    it still has `before` (two looks at once: one of them moves it); True when this one did."""
    seen_count, seen_target = fleets.c.seen_worker_count, fleets.c.seen_target
    query = (fleets.update()
             .where(fleets.c.fleet_id == fleet_id, seen_count.is_not_distinct_from(before[0]),
                    seen_target.is_not_distinct_from(before[1]))
             .values(seen_worker_count=after[0], seen_target=after[1]))
    return conn.execute(query).rowcount == 1


def update(conn: Connection, fleet_id: str, **values: Any) -> None:
    conn.execute(fleets.update().where(fleets.c.fleet_id == fleet_id).values(**values))


def delete(conn: Connection, fleet_id: str) -> None:
    conn.execute(fleets.delete().where(fleets.c.fleet_id == fleet_id))
    kept_worker_counts.forget_fleet(conn, fleet_id)  # all zero: a fleet is deleted only once it has no workers


def page(conn: Connection, farm_id: str, after: Any, limit: int, *, display_name: str | None = None,
         status: str | None = None, only: set[str] | None = None) -> list[Row]:
    query = sa.select(fleets).where(fleets.c.farm_id == farm_id)
    if display_name is not None:
        query = query.where(fleets.c.display_name == display_name)
    if status is not None:
        query = query.where(fleets.c.status == status)
    if only is not None:
        query = query.where(fleets.c.fleet_id.in_(only))
    return list(conn.execute(keyset_page(query, fleets.c.created_at, fleets.c.fleet_id, after, limit)))


def worker_counts(conn: Connection, fleet_ids: Iterable[str]) -> dict[str, int]:
    """How many workers each fleet has (one grouped count)."""
    ids = list(fleet_ids)
    counted: dict[str, int] = {}
    if ids:
        query = (sa.select(workers.c.fleet_id, sa.func.count()).where(workers.c.fleet_id.in_(ids))
                 .group_by(workers.c.fleet_id))
        counted = {fleet_id: n for fleet_id, n in conn.execute(query)}
    return {fleet_id: counted.get(fleet_id, 0) for fleet_id in ids}


def using_storage_profile(conn: Connection, farm_id: str, storage_profile_id: str) -> list[str]:
    """Ids of the farm's fleets whose configuration names this storage profile (for DeleteStorageProfile)."""
    rows = conn.execute(sa.select(fleets.c.fleet_id, fleets.c.configuration).where(fleets.c.farm_id == farm_id))
    # The reference sits inside the JSON configuration; a farm has few fleets, so read them all
    # rather than write JSON path SQL twice (SQLite and PostgreSQL spell it differently).
    return [r.fleet_id for r in rows
            if (r.configuration.get("customerManaged") or {}).get("storageProfileId") == storage_profile_id]


def ids_with_membership(conn: Connection, farm_id: str, principal_id: str) -> set[str]:
    """Fleets of the farm on which the principal holds a fleet membership of its own."""
    rows = conn.execute(sa.select(memberships.c.fleet_id).where(
        memberships.c.farm_id == farm_id, memberships.c.principal_id == principal_id,
        memberships.c.resource_type == "FLEET"))
    return {r.fleet_id for r in rows if r.fleet_id}


def set_cost_per_worker_hour(conn: Connection, fleet_id: str, dollars: float | None) -> bool:
    """An admin's rate for the fleet (None: back to the server's default); whether the fleet exists."""
    return conn.execute(fleets.update().where(fleets.c.fleet_id == fleet_id)
                        .values(cost_per_worker_hour=dollars)).rowcount == 1


def costs(conn: Connection, farm_id: str | None = None) -> list[Row]:
    """farm_id, fleet_id, display_name, cost_per_worker_hour (None: the default) of every fleet (of the farm)."""
    query = sa.select(fleets.c.farm_id, fleets.c.fleet_id, fleets.c.display_name, fleets.c.cost_per_worker_hour)
    if farm_id is not None:
        query = query.where(fleets.c.farm_id == farm_id)
    return list(conn.execute(query.order_by(fleets.c.farm_id, fleets.c.created_at, fleets.c.fleet_id)))


def cost_per_worker_hour(conn: Connection, fleet_id: str) -> float | None:
    """The fleet's own worker-hour rate (None: none set, or no such fleet)."""
    return conn.execute(sa.select(fleets.c.cost_per_worker_hour).where(fleets.c.fleet_id == fleet_id)).scalar()
