"""Workers: rows in, rows out, and the liveness queries.

Every change of a row's status, fleet or existence moves the fleet's worker counts (store/worker_counts.py)
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain import worker_states
from farmstead.domain.statuses import WorkerStatus
from farmstead.store import notifications, worker_counts
from farmstead.store.paging import keyset_page
from farmstead.store.pipelines import Answer, Pipelined, run_together
from farmstead.store.schema import sessions, workers
from farmstead.store.send_later import SEND_LATER
from farmstead.store.statements import update_by_key


def insert(conn: Connection, **values: Any) -> None:
    """A new worker (a new id: nothing to collide with), sent with the next statement (store/send_later.py)."""
    conn.execute(workers.insert().values(**values), execution_options=SEND_LATER)
    worker_counts.move(conn, worker_counts.transition(None, (values["fleet_id"], values["status"])))


#: What a status change moves the counts from, read under the row's lock on PostgreSQL: a concurrent
#: change of the same worker commits first and is seen, so no count is moved from a stale status.
_PLACE = (sa.select(workers.c.fleet_id, workers.c.status).where(workers.c.worker_id == sa.bindparam("b_worker_id"))
          .with_for_update())


def _place(conn: Connection, worker_id: str) -> tuple[str, str] | None:
    row = conn.execute(_PLACE, {"b_worker_id": worker_id}).first()
    return None if row is None else (row.fleet_id, row.status)


def _by_key_in() -> sa.ColumnElement[bool]:
    """The worker by its key, in the farm and fleet it was asked for. The farm and fleet are compared
    with IS NOT DISTINCT FROM (the columns are NOT NULL: the same as =), which PostgreSQL cannot
    make an index condition: without statistics (a new database, a burst of new workers, autovacuum
    off) its planner otherwise rates ix_workers_fleet_status on `fleet_id =` as good as the key, and
    chose it: every heartbeat then read every worker of its fleet (O(workers) per call)."""
    return sa.and_(workers.c.worker_id == sa.bindparam("b_worker_id"),
                   workers.c.fleet_id.is_not_distinct_from(sa.bindparam("b_fleet_id")),
                   workers.c.farm_id.is_not_distinct_from(sa.bindparam("b_farm_id")))


_GET = sa.select(workers).where(_by_key_in())


def get(conn: Connection, farm_id: str, fleet_id: str, worker_id: str) -> Row | None:
    return conn.execute(_GET, {"b_worker_id": worker_id, "b_fleet_id": fleet_id, "b_farm_id": farm_id}).first()


# By the bound worker id, not correlated to the updated row: SQLite renders RETURNING's columns
# unqualified, and `worker_id = worker_id` inside the subquery would count every worker's sessions.
_OPEN_SESSION_COUNT = (sa.select(sa.func.count()).select_from(sessions)
                       .where(sessions.c.worker_id == sa.bindparam("b_worker_id"), sessions.c.ended_at.is_(None))
                       .scalar_subquery())
_MARK_SEEN = (workers.update()
              .where(_by_key_in())
              # A call from the worker ends its host configuration: from now on the usual timeout holds.
              .values(last_seen_at=sa.bindparam("b_now", type_=workers.c.last_seen_at.type), configuring_until=None))
_TOUCH = _MARK_SEEN.returning(*workers.c, _OPEN_SESSION_COUNT.label("open_sessions"))
_SEEN = sa.select(*workers.c, _OPEN_SESSION_COUNT.label("open_sessions")).where(
    workers.c.worker_id == sa.bindparam("b_worker_id"))
_MARK_SEEN_PIPELINED = Pipelined(_MARK_SEEN, "marked")
_SEEN_PIPELINED = Pipelined(_SEEN, "worker")


def touch(conn: Connection, farm_id: str, fleet_id: str, worker_id: str, now: datetime) -> Row | None:
    """Marks the worker seen at `now` and returns its row as written, plus `open_sessions` (how many of
    its sessions have not ended), in one statement: the heartbeat's first. None: no such worker in
    that farm and fleet (nothing written). On PostgreSQL the row stays locked to the end of the
    transaction, so it is not read before another writer (the liveness sweep) is done with it.
    On SQLite one statement (BEGIN IMMEDIATE: no other writer is under way). On PostgreSQL two: a
    statement that waited for the row's lock still counts sessions in the snapshot it started with,
    and would miss the session a concurrent heartbeat of the same worker (an agent's retry on another
    replica) opened and committed meanwhile; a statement started after the lock sees it. Both go
    in one round trip (with the transaction's BEGIN: store/pipelines.py), the second still started
    after the first has the lock."""
    return touch_with(conn, farm_id, fleet_id, worker_id, now, ())[0]


def touch_with(conn: Connection, farm_id: str, fleet_id: str, worker_id: str, now: datetime,
               along: Sequence[tuple[Pipelined, dict[str, Any]]]) -> tuple[Row | None, list[Answer] | None]:
    """`touch`, and on PostgreSQL the statements `along` run right after it in the same round trip:
    their answers, read after the row was marked seen and locked. None instead on SQLite, where
    sending them together saves nothing: the caller runs what it turns out to need itself."""
    params = {"b_worker_id": worker_id, "b_fleet_id": fleet_id, "b_farm_id": farm_id, "b_now": now}
    if conn.dialect.name != "postgresql":
        return conn.execute(_TOUCH, params).first(), None
    marked, seen, *answers = run_together(conn, [(_MARK_SEEN_PIPELINED, params),
                                                 (_SEEN_PIPELINED, {"b_worker_id": worker_id}), *along])
    return (seen.first() if marked.rowcount == 1 else None), answers


def get_by_id(conn: Connection, worker_id: str) -> Row | None:
    return conn.execute(sa.select(workers).where(workers.c.worker_id == worker_id)).first()


def update(conn: Connection, worker_id: str, **values: Any) -> None:
    """Any change of the row (status, hold) answers the worker's held schedule call afresh."""
    old = _place(conn, worker_id) if "status" in values or "fleet_id" in values else None
    update_by_key(conn, workers, "worker_id", worker_id, values, later=True)
    if old is not None:
        new = (values.get("fleet_id", old[0]), values.get("status", old[1]))
        worker_counts.move(conn, worker_counts.transition(old, new))
    notifications.note_worker(conn, worker_id)


def delete(conn: Connection, worker_id: str) -> None:
    old = _place(conn, worker_id)
    conn.execute(workers.delete().where(workers.c.worker_id == worker_id))
    worker_counts.move(conn, worker_counts.transition(old, None))
    notifications.note_worker(conn, worker_id)


def page(conn: Connection, fleet_id: str, after: Any, limit: int) -> list[Row]:
    query = sa.select(workers).where(workers.c.fleet_id == fleet_id)
    return list(conn.execute(keyset_page(query, workers.c.created_at, workers.c.worker_id, after, limit)))


def busy_worker_ids(conn: Connection, worker_ids: list[str]) -> set[str]:
    """Which of these workers hold an open session (RUNNING rather than IDLE)."""
    if not worker_ids:
        return set()
    query = sa.select(sessions.c.worker_id).where(sessions.c.worker_id.in_(worker_ids),
                                                  sessions.c.ended_at.is_(None)).distinct()
    return set(conn.execute(query).scalars())


def _not_configuring(now: datetime):
    return sa.or_(workers.c.configuring_until.is_(None), workers.c.configuring_until < now)


def silent_since(conn: Connection, cutoff: datetime, now: datetime, limit: int = 100) -> list[Row]:
    """Online workers whose last call is older than the cutoff, and not running a host configuration
    script whose timeout is still ahead of `now`."""
    query = sa.select(workers).where(workers.c.status.in_(worker_states.ONLINE), workers.c.last_seen_at < cutoff,
                                     _not_configuring(now)).limit(limit)
    return list(conn.execute(query))


def mark_not_responding(conn: Connection, worker_id: str, cutoff: datetime, now: datetime, by: str) -> bool:
    """NOT_RESPONDING, if the worker is still online and still silent since before `cutoff`; whether it was.

    Guarded, not a plain update of a row read earlier: on PostgreSQL a heartbeat on another replica
    may hold the row right now; this UPDATE waits for it, then sees its new last_seen_at and leaves
    the worker (and the session that heartbeat may have just opened) alone."""
    old = _place(conn, worker_id)
    done = conn.execute(workers.update()
                        .where(workers.c.worker_id == worker_id, workers.c.status.in_(worker_states.ONLINE),
                               workers.c.last_seen_at < cutoff, _not_configuring(now))
                        .values(status=WorkerStatus.NOT_RESPONDING, updated_at=now, updated_by=by))
    if done.rowcount != 1 or old is None:
        return False
    worker_counts.move(conn, worker_counts.transition(old, (old[0], WorkerStatus.NOT_RESPONDING)))
    return True


def ids_in_fleet(conn: Connection, fleet_id: str) -> list[str]:
    return list(conn.execute(sa.select(workers.c.worker_id).where(workers.c.fleet_id == fleet_id)
                             .order_by(workers.c.worker_id)).scalars())
