"""Farms: rows in, rows out."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.driver_reads import DriverSelect
from farmstead.store.paging import keyset_page
from farmstead.store.schema import farms, fleets, queues


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(farms.insert().values(**values))


#: Built once: GetFarm and every farm-scoped request's existence check read it (a fresh select is
#: rebuilt and cache-keyed per call, ~90 us: docs/benchmarks.md "request_path"), on the driver.
_BY_ID = DriverSelect(sa.select(farms).where(farms.c.farm_id == sa.bindparam("b_farm_id")), "FarmRow")


def get(conn: Connection, farm_id: str) -> Row | None:
    return _BY_ID.first(conn, {"b_farm_id": farm_id})


def exists(conn: Connection, farm_id: str) -> bool:
    return conn.execute(sa.select(farms.c.farm_id).where(farms.c.farm_id == farm_id)).first() is not None


def update(conn: Connection, farm_id: str, **values: Any) -> None:
    conn.execute(farms.update().where(farms.c.farm_id == farm_id).values(**values))


def delete(conn: Connection, farm_id: str) -> None:
    conn.execute(farms.delete().where(farms.c.farm_id == farm_id))


def holds_queues_or_fleets(conn: Connection, farm_id: str) -> bool:
    has_queue = sa.select(queues.c.queue_id).where(queues.c.farm_id == farm_id).limit(1)
    has_fleet = sa.select(fleets.c.fleet_id).where(fleets.c.farm_id == farm_id).limit(1)
    return conn.execute(has_queue).first() is not None or conn.execute(has_fleet).first() is not None


def page(conn: Connection, after: Any, limit: int, only: set[str] | None = None) -> list[Row]:
    query = sa.select(farms)
    if only is not None:
        query = query.where(farms.c.farm_id.in_(only))
    return list(conn.execute(keyset_page(query, farms.c.created_at, farms.c.farm_id, after, limit)))
