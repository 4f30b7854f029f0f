"""Tags by resource ARN, and whether the resource an ARN names exists.

Owns: the `tags` table, and a read-only existence check on the tables of the taggable resources
(which it finds by name in the schema, so resources whose tables arrive later become taggable
without a change here). Must not: parse ARNs or decide access.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import metadata, tags

# ARN resource type -> (table, id column).
_TABLES = {
    "farm": ("farms", "farm_id"), "queue": ("queues", "queue_id"), "fleet": ("fleets", "fleet_id"),
    "job": ("jobs", "job_id"), "worker": ("workers", "worker_id"), "budget": ("budgets", "budget_id"),
    "volume": ("volumes", "volume_id"), "monitor": ("monitors", "monitor_id"),
    "license-endpoint": ("license_endpoints", "license_endpoint_id"),
}


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


def resource_exists(conn: Connection, path: Sequence[tuple[str, str]]) -> bool:
    """Whether the resource at the end of `path` ([("farm", F), ("queue", Q)], ...) exists under its parents."""
    kind, resource_id = path[-1]
    entry = _TABLES.get(kind)
    table = metadata.tables.get(entry[0]) if entry else None
    if entry is None or table is None:  # a resource type whose table does not exist yet has no resources
        return False
    id_column = entry[1]
    query = sa.select(table.c[id_column]).where(table.c[id_column] == resource_id)
    for parent_kind, parent_id in path[:-1]:
        parent_column = _TABLES[parent_kind][1]
        if parent_column in table.c:
            query = query.where(table.c[parent_column] == parent_id)
    return conn.execute(query.limit(1)).first() is not None


def delete_all_under(conn: Connection, arn_prefix: str) -> None:
    """Tags of every resource whose ARN starts with the prefix (a deleted queue's jobs)."""
    conn.execute(tags.delete().where(tags.c.resource_arn.startswith(arn_prefix, autoescape=True)))
