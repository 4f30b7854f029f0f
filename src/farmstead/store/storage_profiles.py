"""Storage profiles: rows in, rows out.

Owns: the storage_profiles table. Must not: validate locations or decide errors (api/storage_profiles.py does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import storage_profiles as profiles


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(profiles.insert().values(**values))


def get(conn: Connection, farm_id: str, storage_profile_id: str) -> Row | None:
    return conn.execute(sa.select(profiles).where(
        profiles.c.storage_profile_id == storage_profile_id, profiles.c.farm_id == farm_id)).first()


def update(conn: Connection, storage_profile_id: str, **values: Any) -> None:
    conn.execute(profiles.update().where(profiles.c.storage_profile_id == storage_profile_id).values(**values))


def delete(conn: Connection, storage_profile_id: str) -> None:
    conn.execute(profiles.delete().where(profiles.c.storage_profile_id == storage_profile_id))


def existing_ids(conn: Connection, farm_id: str, storage_profile_ids: Iterable[str]) -> set[str]:
    """Which of these ids are storage profiles of the farm."""
    ids = list(storage_profile_ids)
    if not ids:
        return set()
    return set(conn.execute(sa.select(profiles.c.storage_profile_id).where(
        profiles.c.farm_id == farm_id, profiles.c.storage_profile_id.in_(ids))).scalars())


def page(conn: Connection, farm_id: str, after: Any, limit: int, only: Iterable[str] | None = None) -> list[Row]:
    query = sa.select(profiles).where(profiles.c.farm_id == farm_id)
    if only is not None:
        query = query.where(profiles.c.storage_profile_id.in_(list(only)))
    return list(conn.execute(keyset_page(query, profiles.c.created_at, profiles.c.storage_profile_id, after, limit)))


def delete_all_for_farm(conn: Connection, farm_id: str) -> None:
    conn.execute(profiles.delete().where(profiles.c.farm_id == farm_id))
