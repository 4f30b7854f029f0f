"""Queue environments: rows in, rows out, in the order a session enters them.

Owns: the queue_environments table and its one ordering — priority ascending (0 is entered first),
then creation order — used by ListQueueEnvironments and by whatever hands environments to workers.
Must not: parse templates or decide errors (api/queue_environments.py does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import queue_environments as envs

_ORDER = (envs.c.priority, envs.c.created_at, envs.c.queue_environment_id)


def position_of(row: Row) -> list[Any]:
    """Where a page ended, as JSON-able values for a pagination token (see `page`)."""
    return [row.priority, row.created_at.isoformat(), row.queue_environment_id]


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(envs.insert().values(**values))


def get(conn: Connection, farm_id: str, queue_id: str, queue_environment_id: str) -> Row | None:
    return conn.execute(sa.select(envs).where(
        envs.c.queue_environment_id == queue_environment_id, envs.c.queue_id == queue_id,
        envs.c.farm_id == farm_id)).first()


def update(conn: Connection, queue_environment_id: str, **values: Any) -> None:
    conn.execute(envs.update().where(envs.c.queue_environment_id == queue_environment_id).values(**values))


def delete(conn: Connection, queue_environment_id: str) -> None:
    conn.execute(envs.delete().where(envs.c.queue_environment_id == queue_environment_id))


def delete_all_for_queue(conn: Connection, queue_id: str) -> None:
    conn.execute(envs.delete().where(envs.c.queue_id == queue_id))


def named(conn: Connection, queue_id: str, name: str) -> str | None:
    """The id of the queue's environment with this name, if there is one."""
    return conn.execute(sa.select(envs.c.queue_environment_id).where(
        envs.c.queue_id == queue_id, envs.c.name == name)).scalar_one_or_none()


def page(conn: Connection, queue_id: str, after: list[Any] | None, limit: int) -> list[Row]:
    """limit + 1 rows in entering order, continuing after the position a previous page ended at."""
    query = sa.select(envs).where(envs.c.queue_id == queue_id)
    if after is not None:
        priority, at, last = int(after[0]), datetime.fromisoformat(after[1]), after[2]
        query = query.where(sa.or_(
            envs.c.priority > priority,
            sa.and_(envs.c.priority == priority, envs.c.created_at > at),
            sa.and_(envs.c.priority == priority, envs.c.created_at == at, envs.c.queue_environment_id > last)))
    return list(conn.execute(query.order_by(*_ORDER).limit(limit + 1)))


def in_entering_order(conn: Connection, queue_id: str) -> list[Row]:
    """Every environment of the queue, highest priority (0) first: the order a session enters them."""
    return list(conn.execute(sa.select(envs).where(envs.c.queue_id == queue_id).order_by(*_ORDER)))
