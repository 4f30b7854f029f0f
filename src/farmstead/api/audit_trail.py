"""The audit log's hook in the executor (docs/audit.md): which calls are audited, and the entry each writes.

A successful call's entry is written in the call's own transaction, so a committed change is never
without its entry and an entry never describes a change that rolled back. A refused or failed call's
transaction rolled back; its entry is written after, in a short transaction of its own.

Not audited: reads (handlers that do not write), and the worker agent's own traffic - its heartbeats
(UpdateWorkerSchedule, UpdateWorker), its job reads (BatchGetJobEntity) and its credentials
(AssumeFleetRoleForWorker, AssumeQueueRoleForWorker) - which arrive every few seconds per worker and
would flood the table while telling an admin nothing. CreateWorker, DeleteWorker and operators'
holds are audited.

The changes made outside the executor - the admin commands that change the store directly (`farmstead
users create`, `keys create` ...) and the monitor's worker holds and blocklist clears - write their
entries through `write`. No API principal runs an admin command: its entry names the operating-system
user (principal id `local:<user>`) and the address "local".
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from farmstead.domain.audit_entries import resource_ids, safe_params
from farmstead.protocol import origins
from farmstead.store import audit
from farmstead.store.engine import Store

if TYPE_CHECKING:  # the admin commands import this module; the executor's types stay out of their start-up
    from farmstead.api.context import Caller

NOT_AUDITED = frozenset({"UpdateWorkerSchedule", "UpdateWorker", "BatchGetJobEntity",
                         "AssumeFleetRoleForWorker", "AssumeQueueRoleForWorker"})


def is_audited(operation: str, writes: bool) -> bool:
    return writes and operation not in NOT_AUDITED


@dataclass
class Entry:
    """One audited call's entry while it runs: written with its outcome, in the call's transaction
    (success) or after it rolled back (refused, failed). A command adds what it learns (a new key's
    id) to `params` before it ends."""

    operation: str
    principal_id: str
    principal_name: str
    access_key_id: str | None
    params: dict[str, Any]
    origin: origins.Origin = field(default_factory=origins.current.get)

    def write(self, conn: Connection, now: datetime, outcome: str, output: dict[str, Any] | None = None) -> None:
        audit.append(conn, audit.AuditEvent(
            at=now, principal_id=self.principal_id, principal_name=self.principal_name,
            access_key_id=self.access_key_id, source=self.origin.source, address=self.origin.address,
            operation=self.operation, resource_ids=resource_ids(self.params, output),
            params=safe_params(self.params), outcome=outcome))


def begin(operation: str, caller: Caller, params: dict[str, Any]) -> Entry:
    return Entry(operation, caller.principal_id, caller.name, caller.access_key_id, params)


def local(operation: str, **params: Any) -> Entry:
    """An admin command's entry: the operating-system user who ran it, from "local"."""
    user = _os_user()
    return Entry(operation, f"local:{user}", user, None, dict(params))


@dataclass
class Audited:
    """The transaction an audited change runs in, and its entry."""

    conn: Connection
    entry: Entry

    @property
    def params(self) -> dict[str, Any]:
        return self.entry.params


@contextlib.contextmanager
def write(store: Store, entry: Entry) -> Iterator[Audited]:
    """A write transaction for a change made outside the executor (an admin command, a monitor action on
    workers or blocklists), with its entry: "success" in the same transaction, or after it rolled back
    the error's code (a ServiceError's) or "refused: <message>"."""
    try:
        with store.write() as conn:
            yield Audited(conn, entry)
            entry.write(conn, datetime.now(UTC), "success")
    except Exception as refused:
        with store.write() as conn:
            entry.write(conn, datetime.now(UTC), getattr(refused, "code", None) or f"refused: {refused}")
        raise


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"
