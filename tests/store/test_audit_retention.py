"""The audit log's retention (docs/audit.md): the sweeper removes entries older than the setting's days,
and only those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.background.sweeper import Sweeper
from farmstead.clock import FakeClock
from farmstead.store import audit


def _entry(at: datetime, operation: str) -> audit.AuditEvent:
    return audit.AuditEvent(at=at, principal_id="p-1", principal_name="ana", access_key_id=None, source="cli",
                            address="local", operation=operation, resource_ids=["farm-1"], params={},
                            outcome="success")


def test_the_sweeper_removes_audit_entries_past_their_retention_and_keeps_the_rest(store):
    now = datetime(2026, 12, 7, tzinfo=UTC)
    with store.write() as conn:
        audit.append(conn, _entry(now - timedelta(days=31), "old"))
        audit.append(conn, _entry(now - timedelta(days=29), "recent"))
    Sweeper(store, FakeClock(now), 60, audit_retention_days=30).sweep()
    with store.read() as conn:
        kept = [e.operation for e in audit.events(conn, audit.AuditFilter(resource_id="farm-1"), 10)]
    assert kept == ["recent"]
