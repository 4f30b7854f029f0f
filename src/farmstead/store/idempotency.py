"""clientToken -> the first answer, per (operation, caller): a retried create returns what the first did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import idempotency_records

#: PostgreSQL: requests with the same (operation, caller, clientToken) on several replicas at once
#: queue behind a transaction-scoped advisory lock, so the second finds the first's answer instead of
#: running the handler again and failing on the unique key. (SQLite has one writer at a time.)
_SAME_TOKEN_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def find(conn: Connection, operation: str, principal_id: str, token: str) -> tuple[str, Any] | None:
    """The first answer to this clientToken, as (request hash, response); None when it is new.
    On PostgreSQL this also holds the token's lock until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(_SAME_TOKEN_LOCK, {"key": f"idempotency\x1f{operation}\x1f{principal_id}\x1f{token}"})
    row = conn.execute(sa.select(idempotency_records.c.request_hash, idempotency_records.c.response).where(
        idempotency_records.c.operation == operation,
        idempotency_records.c.principal_id == principal_id,
        idempotency_records.c.client_token == token)).first()
    return (row.request_hash, row.response) if row else None


def save(conn: Connection, operation: str, principal_id: str, token: str, request_hash: str,
         response: Any, now: datetime) -> None:
    conn.execute(idempotency_records.insert().values(
        operation=operation, principal_id=principal_id, client_token=token, request_hash=request_hash,
        response=response, created_at=now))


def forget_older_than(conn: Connection, cutoff: datetime) -> int:
    return conn.execute(idempotency_records.delete().where(idempotency_records.c.created_at < cutoff)).rowcount
