"""Workers per fleet and stored status: the counts a metrics scrape reports, kept instead of counted.

Owns: the fleet_worker_counts rows, moved in the transaction that changes a worker's status (only
store/workers.py calls `move`), so a scrape reads a few rows whatever the number of workers.
Status changes are rare next to heartbeats (start, stop, lost, deleted), so the row lock a change
takes on PostgreSQL is short and uncontended; the rows of one change are locked in status order, so
two changes never wait on each other in a circle.
Must not: be moved by anything but a committed change of a worker row's status, fleet or existence.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from farmstead.store.schema import fleet_worker_counts as counts
from farmstead.store.send_later import SEND_LATER

_UPSERTS: dict[str, Any] = {}


def _upsert(dialect_name: str) -> Any:
    statement = _UPSERTS.get(dialect_name)
    if statement is None:
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        statement = dialect.insert(counts).values(fleet_id=sa.bindparam("b_fleet_id"), status=sa.bindparam("b_status"),
                                                  worker_count=sa.bindparam("b_delta"))
        statement = statement.on_conflict_do_update(
            index_elements=[counts.c.fleet_id, counts.c.status],
            set_={"worker_count": counts.c.worker_count + statement.excluded.worker_count})
        _UPSERTS[dialect_name] = statement
    return statement


def move(conn: Connection, changes: dict[tuple[str, str], int]) -> None:
    """Add each delta to its (fleet id, status) count; zero deltas are skipped. Nothing in the change's
    transaction reads the counts back: sent with its next statement (store/send_later.py)."""
    statement = _upsert(conn.dialect.name)
    for (fleet_id, status), delta in sorted(changes.items()):
        if delta:
            conn.execute(statement, {"b_fleet_id": fleet_id, "b_status": str(status), "b_delta": delta},
                         execution_options=SEND_LATER)


def transition(old: tuple[str, str] | None, new: tuple[str, str] | None) -> dict[tuple[str, str], int]:
    """The deltas of a worker going from (fleet, status) `old` to `new` (None: not there)."""
    changes: dict[tuple[str, str], int] = {}
    if old is not None:
        changes[old] = changes.get(old, 0) - 1
    if new is not None:
        changes[new] = changes.get(new, 0) + 1
    return changes


def forget_fleet(conn: Connection, fleet_id: str) -> None:
    """A deleted fleet's counts (zeros by then) go with it."""
    conn.execute(counts.delete().where(counts.c.fleet_id == fleet_id))


_READ = sa.select(counts.c.fleet_id, counts.c.status, counts.c.worker_count)


def read(conn: Connection) -> list[tuple[str, str, int]]:
    """(fleet id, status, workers) of every count kept, zeros included."""
    return [(row.fleet_id, row.status, row.worker_count) for row in conn.execute(_READ)]
