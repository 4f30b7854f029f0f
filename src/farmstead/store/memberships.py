"""Memberships of principals in farms, queues, fleets and jobs (one table for all four).

Owns: the rows of the `memberships` table and the queries on them (levels for authorization, members
of one resource, memberships of one principal). Must not: decide who may grant what (api/members.py
and domain/memberships.py do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import memberships


def levels_on(conn: Connection, principal_id: str | Sequence[str], resource_ids: Iterable[str | None],
              farm_id: str | None = None) -> list[str]:
    """Every membership level the principal (or any of these principals: a user and their groups) holds
    on any of these resources (a farm and what is inside it; None stands for no resource, as for a job's
    queue when the call names none).

    With `farm_id`, only memberships inside that farm count: a queue membership is no key to a
    request that names the queue under some other farm.
    """
    ids = [r for r in resource_ids if r]
    if not ids:
        return []
    principal_ids = [principal_id] if isinstance(principal_id, str) else list(principal_id)
    query = sa.select(memberships.c.membership_level).where(
        memberships.c.principal_id.in_(principal_ids), memberships.c.resource_id.in_(ids))
    if farm_id is not None:
        query = query.where(memberships.c.farm_id == farm_id)
    return [r.membership_level for r in conn.execute(query)]


def farm_ids_of(conn: Connection, principal_id: str | Sequence[str]) -> set[str]:
    """Farms in which the principal (or any of these: a user and their groups) holds any membership (a
    farm's, or one of its queues', fleets' or jobs')."""
    principal_ids = [principal_id] if isinstance(principal_id, str) else list(principal_id)
    rows = conn.execute(sa.select(memberships.c.farm_id)
                        .where(memberships.c.principal_id.in_(principal_ids)).distinct())
    return {r.farm_id for r in rows}


def delete_all_for_farm(conn: Connection, farm_id: str) -> None:
    conn.execute(memberships.delete().where(memberships.c.farm_id == farm_id))


def delete_all_for_resource(conn: Connection, resource_id: str) -> None:
    """Forget every membership on one queue, fleet or job (its delete operation calls this)."""
    conn.execute(memberships.delete().where(memberships.c.resource_id == resource_id))


def get(conn: Connection, resource_id: str, principal_id: str) -> Row | None:
    return conn.execute(sa.select(memberships).where(
        memberships.c.resource_id == resource_id, memberships.c.principal_id == principal_id)).first()


def put(conn: Connection, *, resource_id: str, principal_id: str, resource_type: str, farm_id: str,
        queue_id: str | None, fleet_id: str | None, job_id: str | None, principal_type: str,
        identity_store_id: str, membership_level: str, created_at) -> None:
    """Insert the membership, or change the level of the one already there (keeping its place in lists)."""
    changes = dict(principal_type=principal_type, identity_store_id=identity_store_id,
                   membership_level=membership_level)
    updated = conn.execute(memberships.update().where(
        memberships.c.resource_id == resource_id, memberships.c.principal_id == principal_id).values(**changes))
    if updated.rowcount == 0:
        conn.execute(memberships.insert().values(
            resource_id=resource_id, principal_id=principal_id, resource_type=resource_type, farm_id=farm_id,
            queue_id=queue_id, fleet_id=fleet_id, job_id=job_id, created_at=created_at, **changes))


def delete(conn: Connection, resource_id: str, principal_id: str) -> bool:
    return conn.execute(memberships.delete().where(
        memberships.c.resource_id == resource_id, memberships.c.principal_id == principal_id)).rowcount > 0


def page_of_resource(conn: Connection, resource_id: str, after: Any, limit: int) -> list[Row]:
    """The members of one farm, queue, fleet or job, oldest membership first."""
    query = sa.select(memberships).where(memberships.c.resource_id == resource_id)
    return list(conn.execute(keyset_page(query, memberships.c.created_at, memberships.c.principal_id, after, limit)))


def page_of_principal(conn: Connection, principal_id: str, resource_types: Sequence[str] | None,
                      after: Any, limit: int) -> list[Row]:
    """One principal's memberships, optionally only on some resource types (FARM, QUEUE, FLEET, JOB)."""
    query = sa.select(memberships).where(memberships.c.principal_id == principal_id)
    if resource_types:
        query = query.where(memberships.c.resource_type.in_(list(resource_types)))
    return list(conn.execute(keyset_page(query, memberships.c.created_at, memberships.c.resource_id, after, limit)))
