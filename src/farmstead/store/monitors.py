"""Monitors: rows in, rows out (the `monitors` table; settings are a JSON map in the row)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import monitors


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(monitors.insert().values(**values))


def get(conn: Connection, monitor_id: str) -> Row | None:
    return conn.execute(sa.select(monitors).where(monitors.c.monitor_id == monitor_id)).first()


def id_with_subdomain(conn: Connection, subdomain: str) -> str | None:
    row = conn.execute(sa.select(monitors.c.monitor_id).where(monitors.c.subdomain == subdomain)).first()
    return row.monitor_id if row else None


def update(conn: Connection, monitor_id: str, **values: Any) -> None:
    conn.execute(monitors.update().where(monitors.c.monitor_id == monitor_id).values(**values))


def delete(conn: Connection, monitor_id: str) -> None:
    conn.execute(monitors.delete().where(monitors.c.monitor_id == monitor_id))


def page(conn: Connection, after: Any, limit: int) -> list[Row]:
    return list(conn.execute(keyset_page(sa.select(monitors), monitors.c.created_at, monitors.c.monitor_id,
                                         after, limit)))
