"""Queue-fleet associations: rows in, rows out.

Owns: the queue_fleet_associations table, and the question whether a fleet's workers still hold
sessions of a queue (what a stopping association waits for).
Must not: decide status transitions (api/queue_fleet_associations.py does).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import FleetStatus, QueueFleetAssociationStatus
from farmstead.store.paging import keyset_page
from farmstead.store.schema import fleets
from farmstead.store.schema import queue_fleet_associations as qfa

# Keyset paging wants one unique key after created_at; the pair, joined, is one.
_PAIR_KEY = qfa.c.queue_id.concat(":").concat(qfa.c.fleet_id)


def pair_key(queue_id: str, fleet_id: str) -> str:
    """The paging key of one association (matches `_PAIR_KEY`)."""
    return f"{queue_id}:{fleet_id}"


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(qfa.insert().values(**values))


def get(conn: Connection, farm_id: str, queue_id: str, fleet_id: str) -> Row | None:
    return conn.execute(sa.select(qfa).where(
        qfa.c.farm_id == farm_id, qfa.c.queue_id == queue_id, qfa.c.fleet_id == fleet_id)).first()


def update(conn: Connection, queue_id: str, fleet_id: str, **values: Any) -> None:
    conn.execute(qfa.update().where(qfa.c.queue_id == queue_id, qfa.c.fleet_id == fleet_id).values(**values))


def delete(conn: Connection, queue_id: str, fleet_id: str) -> None:
    conn.execute(qfa.delete().where(qfa.c.queue_id == queue_id, qfa.c.fleet_id == fleet_id))


def page(conn: Connection, farm_id: str, after: Any, limit: int, *, queue_id: str | None = None,
         fleet_id: str | None = None) -> list[Row]:
    query = sa.select(qfa).where(qfa.c.farm_id == farm_id)
    if queue_id is not None:
        query = query.where(qfa.c.queue_id == queue_id)
    if fleet_id is not None:
        query = query.where(qfa.c.fleet_id == fleet_id)
    return list(conn.execute(keyset_page(query, qfa.c.created_at, _PAIR_KEY, after, limit)))


def queue_ids_of_fleet(conn: Connection, fleet_id: str) -> list[str]:
    return list(conn.execute(sa.select(qfa.c.queue_id).where(qfa.c.fleet_id == fleet_id)).scalars())


def fleet_ids_of_queue(conn: Connection, queue_id: str) -> list[str]:
    return list(conn.execute(sa.select(qfa.c.fleet_id).where(qfa.c.queue_id == queue_id)).scalars())


def fleet_holds_sessions_for_queue(conn: Connection, queue_id: str, fleet_id: str) -> bool:
    """Do the fleet's workers still hold un-ended sessions of the queue's jobs?

    Nothing runs yet, so no: a stopping association is STOPPED at once. The scheduling issue fills
    this in from its sessions table, and then completes STOP_* -> STOPPED when the last one ends.
    """
    return False


def active_fleet_capabilities(conn: Connection, queue_id: str) -> list[dict]:
    """The declared worker capabilities of every fleet associated ACTIVE with the queue (job compatibility)."""
    query = (sa.select(fleets.c.configuration)
             .join(qfa, qfa.c.fleet_id == fleets.c.fleet_id)
             .where(qfa.c.queue_id == queue_id, qfa.c.status == QueueFleetAssociationStatus.ACTIVE,
                    fleets.c.status == FleetStatus.ACTIVE))
    return [(configuration.get("customerManaged") or {}).get("workerCapabilities") or {}
            for configuration in conn.execute(query).scalars()]
