"""Housekeeping queries shared by the background duties: a once-per-farm lock and expiry."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from farmstead.store import audit, idempotency, identity

IDEMPOTENCY_KEEP = timedelta(hours=24)
#: Expired temporary keys stay a while, so a late caller hears "expired" rather than "unknown key".
EXPIRED_KEY_KEEP = timedelta(hours=1)


def try_lock(conn: Connection, name: str) -> bool:
    """Hold a named lock for this transaction; False when another replica holds it (PostgreSQL).
    SQLite has one writer at a time already, so the write transaction is the lock."""
    if conn.dialect.name != "postgresql":
        return True
    key = zlib.crc32(name.encode())
    return bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({key})").scalar())


def forget_expired(conn: Connection, now: datetime, audit_keep: timedelta) -> None:
    identity.delete_expired_keys(conn, now - EXPIRED_KEY_KEEP)
    idempotency.forget_older_than(conn, now - IDEMPOTENCY_KEEP)
    audit.forget_older_than(conn, now - audit_keep)  # the audit log's retention (docs/audit.md)
