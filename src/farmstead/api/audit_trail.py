"""The audit log's hook in the executor (docs/audit.md): which calls are audited, and the entry each writes.

A successful call's entry is written in the call's own transaction, so a committed change is never
without its entry and an entry never describes a change that rolled back. A refused or failed call's
transaction rolled back; its entry is written after, in a short transaction of its own.

Not audited: reads (handlers that do not write), and the worker agent's own traffic - its heartbeats
(UpdateWorkerSchedule, UpdateWorker), its job reads (BatchGetJobEntity) and its credentials
(AssumeFleetRoleForWorker, AssumeQueueRoleForWorker) - which arrive every few seconds per worker and
would flood the table while telling an admin nothing. CreateWorker, DeleteWorker and operators'
holds are audited.

The admin commands that change the store directly (`farmstead users create`, `keys create` ...) write
their entries through `command`: no API principal runs them, so the entry names the operating-system
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
    (success) or after it rolled back (refused, failed)."""

    operation: str
    caller: Caller
    params: dict[str, Any]
    origin: origins.Origin

    def write(self, conn: Connection, now: datetime, outcome: str, output: dict[str, Any] | None = None) -> None:
        audit.append(conn, audit.AuditEvent(
            at=now, principal_id=self.caller.principal_id, principal_name=self.caller.name,
            access_key_id=self.caller.access_key_id, source=self.origin.source, address=self.origin.address,
            operation=self.operation, resource_ids=resource_ids(self.params, output),
            params=safe_params(self.params), outcome=outcome))


def begin(operation: str, caller: Caller, params: dict[str, Any]) -> Entry:
    return Entry(operation, caller, params, origins.current.get())


@dataclass
class CommandEntry:
    """A running admin command's transaction and parameters; it adds what it learns (a new key's id)."""

    conn: Connection
    params: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def command(store: Store, name: str, **params: Any) -> Iterator[CommandEntry]:
    """A write transaction for the admin command `name`, with its entry: "success" in the same
    transaction, or after it rolled back "refused: <why>" (the exception's message)."""
    entry_params = dict(params)
    try:
        with store.write() as conn:
            yield CommandEntry(conn, entry_params)
            _write_command(conn, name, entry_params, "success")
    except Exception as refused:
        with store.write() as conn:
            _write_command(conn, name, entry_params, f"refused: {refused}")
        raise


def _write_command(conn: Connection, name: str, params: dict[str, Any], outcome: str) -> None:
    user = _os_user()
    audit.append(conn, audit.AuditEvent(
        at=datetime.now(UTC), principal_id=f"local:{user}", principal_name=user, access_key_id=None,
        source=origins.LOCAL.source, address=origins.LOCAL.address, operation=name,
        resource_ids=resource_ids(params), params=safe_params(params), outcome=outcome))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"
