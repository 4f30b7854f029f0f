"""Limits and queue-limit associations: rows in, rows out.

Owns: the limits and queue_limit_associations tables, and the question whether a queue's sessions
still hold units of a limit (what a stopping association waits for).
Must not: decide status transitions or validity (api/limits.py does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import QueueLimitAssociationStatus
from farmstead.store.paging import keyset_page
from farmstead.store.schema import limits
from farmstead.store.schema import queue_limit_associations as qla

# Keyset paging wants one unique key after created_at; the pair, joined, is one.
_PAIR_KEY = qla.c.queue_id.concat(":").concat(qla.c.limit_id)


def pair_key(queue_id: str, limit_id: str) -> str:
    """The paging key of one association (matches `_PAIR_KEY`)."""
    return f"{queue_id}:{limit_id}"


# --- limits ----------------------------------------------------------------------------------------

def insert(conn: Connection, **values: Any) -> None:
    conn.execute(limits.insert().values(**values))


def get(conn: Connection, farm_id: str, limit_id: str) -> Row | None:
    return conn.execute(sa.select(limits).where(limits.c.limit_id == limit_id, limits.c.farm_id == farm_id)).first()


def update(conn: Connection, limit_id: str, **values: Any) -> None:
    conn.execute(limits.update().where(limits.c.limit_id == limit_id).values(**values))


def delete(conn: Connection, limit_id: str) -> None:
    conn.execute(limits.delete().where(limits.c.limit_id == limit_id))


def page(conn: Connection, farm_id: str, after: Any, limit: int) -> list[Row]:
    query = sa.select(limits).where(limits.c.farm_id == farm_id)
    return list(conn.execute(keyset_page(query, limits.c.created_at, limits.c.limit_id, after, limit)))


def delete_all_for_farm(conn: Connection, farm_id: str) -> None:
    """Every limit of the farm and its associations (for DeleteFarm: they would block the farm row)."""
    conn.execute(qla.delete().where(qla.c.farm_id == farm_id))
    conn.execute(limits.delete().where(limits.c.farm_id == farm_id))


# --- queue-limit associations ----------------------------------------------------------------------

def insert_association(conn: Connection, **values: Any) -> None:
    conn.execute(qla.insert().values(**values))


def get_association(conn: Connection, farm_id: str, queue_id: str, limit_id: str) -> Row | None:
    return conn.execute(sa.select(qla).where(
        qla.c.farm_id == farm_id, qla.c.queue_id == queue_id, qla.c.limit_id == limit_id)).first()


def update_association(conn: Connection, queue_id: str, limit_id: str, **values: Any) -> None:
    conn.execute(qla.update().where(qla.c.queue_id == queue_id, qla.c.limit_id == limit_id).values(**values))


def delete_association(conn: Connection, queue_id: str, limit_id: str) -> None:
    conn.execute(qla.delete().where(qla.c.queue_id == queue_id, qla.c.limit_id == limit_id))


def page_associations(conn: Connection, farm_id: str, after: Any, limit: int, *, queue_id: str | None = None,
                      limit_id: str | None = None) -> list[Row]:
    query = sa.select(qla).where(qla.c.farm_id == farm_id)
    if queue_id is not None:
        query = query.where(qla.c.queue_id == queue_id)
    if limit_id is not None:
        query = query.where(qla.c.limit_id == limit_id)
    return list(conn.execute(keyset_page(query, qla.c.created_at, _PAIR_KEY, after, limit)))


def has_associations(conn: Connection, limit_id: str) -> bool:
    return conn.execute(sa.select(qla.c.queue_id).where(qla.c.limit_id == limit_id).limit(1)).first() is not None


def associated_limit_with_amount(conn: Connection, queue_id: str, amount_requirement_name: str) -> str | None:
    """The id of a limit associated with the queue under this amountRequirementName, if any."""
    return conn.execute(sa.select(limits.c.limit_id).join(qla, qla.c.limit_id == limits.c.limit_id).where(
        qla.c.queue_id == queue_id, limits.c.amount_requirement_name == amount_requirement_name,
    ).limit(1)).scalar_one_or_none()


def queue_holds_limit(conn: Connection, queue_id: str, limit_id: str) -> bool:
    """Do sessions of the queue's jobs still hold units of the limit?

    Nothing runs yet, so no: a stopping association is STOPPED at once. The scheduling issue fills
    this in from the acquired limits of running session actions.
    """
    return False


def amount_names_for_queue(conn: Connection, queue_id: str) -> list[str]:
    """The amount names of the limits associated with the queue: steps ask for these, fleets don't offer them."""
    query = sa.select(limits.c.amount_requirement_name).join(qla, qla.c.limit_id == limits.c.limit_id).where(
        qla.c.queue_id == queue_id)
    return list(conn.execute(query).scalars())


def amount_names_for_queues(conn: Connection, queue_ids: Iterable[str]) -> dict[str, list[str]]:
    """`amount_names_for_queue` for many queues in one read: queue_id -> its limits' amount names."""
    ids = sorted(set(queue_ids))
    if not ids:
        return {}
    query = sa.select(qla.c.queue_id, limits.c.amount_requirement_name).join(
        limits, limits.c.limit_id == qla.c.limit_id).where(qla.c.queue_id.in_(ids))
    names: dict[str, list[str]] = {}
    for queue_id, name in conn.execute(query):
        names.setdefault(queue_id, []).append(name)
    return names


def active_for_queue(conn: Connection, queue_id: str) -> list[Row]:
    """Limits whose queue association is ACTIVE: only those are acquired for new work."""
    query = sa.select(limits.c.limit_id, limits.c.amount_requirement_name, limits.c.max_count).join(
        qla, qla.c.limit_id == limits.c.limit_id).where(
        qla.c.queue_id == queue_id, qla.c.status == QueueLimitAssociationStatus.ACTIVE)
    return list(conn.execute(query))


def acquire(conn: Connection, limit_id: str, count: int) -> bool:
    """Take `count` of the limit unless that would exceed maxCount (-1: no maximum); atomic on both stores."""
    query = limits.update().where(
        limits.c.limit_id == limit_id,
        sa.or_(limits.c.max_count == -1, limits.c.current_count + count <= limits.c.max_count),
    ).values(current_count=limits.c.current_count + count)
    return conn.execute(query).rowcount == 1


def release(conn: Connection, limit_id: str, count: int) -> None:
    conn.execute(limits.update().where(limits.c.limit_id == limit_id)
                 .values(current_count=sa.func.max(limits.c.current_count - count, 0)
                         if conn.dialect.name == "sqlite" else sa.func.greatest(limits.c.current_count - count, 0)))
