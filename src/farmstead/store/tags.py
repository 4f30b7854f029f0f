"""Tags by resource ARN."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import tags


def put(conn: Connection, arn: str, values: dict[str, str]) -> None:
    if not values:
        return
    conn.execute(tags.delete().where(tags.c.resource_arn == arn, tags.c.key.in_(list(values))))
    conn.execute(tags.insert(), [{"resource_arn": arn, "key": k, "value": v} for k, v in values.items()])


def remove(conn: Connection, arn: str, keys: list[str]) -> None:
    conn.execute(tags.delete().where(tags.c.resource_arn == arn, tags.c.key.in_(keys)))


def of(conn: Connection, arn: str) -> dict[str, str]:
    rows = conn.execute(sa.select(tags.c.key, tags.c.value).where(tags.c.resource_arn == arn).order_by(tags.c.key))
    return {r.key: r.value for r in rows}


def delete_all(conn: Connection, arn: str) -> None:
    conn.execute(tags.delete().where(tags.c.resource_arn == arn))
