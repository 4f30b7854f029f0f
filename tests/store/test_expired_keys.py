"""Expired temporary keys deleted in passing by every credential mint (api/roles.py), on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from farmstead.store import identity

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _keys(store, expiries: list[datetime]) -> None:
    with store.write() as conn:
        identity.create_principal(conn, "principal-1", "agent", False, NOW)
        for number, expires_at in enumerate(expiries):
            identity.add_key(conn, f"ASIA{number:016d}", "secret", "principal-1", NOW, session_token="token",
                             expires_at=expires_at, scope={})


def test_a_mint_deletes_at_most_its_limit_of_expired_keys_and_no_live_one(store):
    _keys(store, [NOW - timedelta(minutes=minutes) for minutes in range(1, 6)]
          + [NOW + timedelta(minutes=minutes) for minutes in range(1, 4)])
    with store.write() as conn:
        identity.delete_some_expired_keys(conn, NOW, 3)
    with store.read() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(identity.access_keys)
                            .where(identity.access_keys.c.expires_at < NOW)).scalar()
        live = conn.execute(sa.select(sa.func.count()).select_from(identity.access_keys)
                            .where(identity.access_keys.c.expires_at > NOW)).scalar()
    assert (left, live) == (2, 3)


def test_deleting_expired_keys_in_passing_reads_the_expiry_index_not_every_key(store):
    """Each AssumeFleetRoleForWorker deletes up to 50 expired keys: found by a scan of every key,
    that was O(workers) per call (0.9 ms of PostgreSQL's time at 3,000 workers, growing)."""
    _keys(store, [NOW + timedelta(minutes=minutes) for minutes in range(20)])
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        sent.append((statement, parameters))

    postgresql = store.dialect == "postgresql"
    with store.engine.connect() as conn, conn.begin() as transaction:
        if postgresql:  # a table this small is scanned whatever its indexes: ask for an index if one serves
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        sa.event.listen(conn, "before_cursor_execute", capture)
        identity.delete_some_expired_keys(conn, NOW, 50)
        sa.event.remove(conn, "before_cursor_execute", capture)
        ((statement, parameters),) = sent
        explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters))
        transaction.rollback()
    assert "ix_access_keys_expires_at" in plan, plan
