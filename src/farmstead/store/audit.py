"""The audit log's rows (docs/audit.md): appended, read back filtered, and removed only by retention.
Nothing here updates a row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import audit_events
from farmstead.store.send_later import SEND_LATER


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    principal_id: str
    principal_name: str
    access_key_id: str | None
    source: str
    address: str
    operation: str
    resource_ids: list[str]
    params: dict[str, Any]
    outcome: str


@dataclass(frozen=True)
class AuditFilter:
    principal: str | None = None  # a principal id or name
    resource_id: str | None = None
    operation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def append(conn: Connection, event: AuditEvent) -> None:
    # Inline (no RETURNING of the new event id, which nobody reads), so it is sent with the call's
    # next statement or its COMMIT (store/send_later.py).
    conn.execute(audit_events.insert().inline().values(
        at=event.at, principal_id=event.principal_id, principal_name=event.principal_name[:64],
        access_key_id=event.access_key_id, source=event.source, address=event.address[:64],
        operation=event.operation[:64], resource_ids=" ".join(event.resource_ids), params=event.params,
        outcome=event.outcome[:64]), execution_options=SEND_LATER)


def events(conn: Connection, where: AuditFilter, limit: int) -> Iterator[AuditEvent]:
    """Matching events, oldest first, at most `limit`."""
    c = audit_events.c
    query = sa.select(audit_events).order_by(c.at, c.event_id).limit(limit)
    if where.principal:
        query = query.where(sa.or_(c.principal_id == where.principal, c.principal_name == where.principal))
    if where.resource_id:
        # Ids are [a-z0-9-] words: a space-delimited match finds the id and never a longer one.
        padded = sa.literal(" ") + c.resource_ids + sa.literal(" ")
        query = query.where(padded.contains(f" {where.resource_id} ", autoescape=True))
    if where.operation:
        query = query.where(c.operation == where.operation)
    if where.since:
        query = query.where(c.at >= where.since)
    if where.until:
        query = query.where(c.at < where.until)
    for row in conn.execute(query):
        yield AuditEvent(row.at, row.principal_id, row.principal_name, row.access_key_id, row.source, row.address,
                         row.operation, row.resource_ids.split(), row.params, row.outcome)


def forget_older_than(conn: Connection, cutoff: datetime) -> int:
    """Retention: the only way a row leaves the table."""
    return conn.execute(audit_events.delete().where(audit_events.c.at < cutoff)).rowcount
