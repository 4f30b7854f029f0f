"""What a handler is given besides its input: the transaction, its one batch of task changes, the caller,
the time, and paging."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict, TypeVar

from sqlalchemy.engine import Connection

from farmstead.config import Settings
from farmstead.ids import Arns
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.protocol.pagination import DEFAULT_MAX_RESULTS, TokenCodec

Row = TypeVar("Row")
Item = TypeVar("Item")


class NextToken(TypedDict):
    """The `nextToken` member of a List answer, present while more items remain."""

    nextToken: NotRequired[str]


@dataclass(frozen=True)
class Caller:
    principal_id: str
    name: str
    is_admin: bool
    arn: str
    #: Temporary credentials are limited to what they were minted for (a worker's farm/fleet, a queue).
    scope: dict[str, Any] | None = None
    #: The access key the request was signed with (the audit log's); None for the web monitor's
    #: password sign-in and the admin commands run in-process.
    access_key_id: str | None = None
    #: The groups the principal is in (store/groups.py), read with the key: their memberships count as
    #: the principal's own (api/authorization.py), within the key cache's window (api/key_cache.py).
    group_ids: tuple[str, ...] = ()

    @property
    def principal_ids(self) -> tuple[str, ...]:
        """Whose memberships this caller acts by: their own and their groups'."""
        return (self.principal_id, *self.group_ids)


class Signals:
    """Hooks the server wires to its background threads; each is a cheap wake-up, safe to call anytime."""

    def job_created(self) -> None:
        """A job is waiting to be materialized."""

    def fan_out_queued(self) -> None:
        """A bulk task change is waiting to be applied in batches (orchestration/deferral.py)."""

    def wakeup_mark(self) -> int:
        """The latest wake-up's number (orchestration/wakeups.py), taken before a handler reads."""
        return 0

    def hold_idle_worker(self, keys: tuple[str, ...], since: int) -> None:
        """The answer just committed says "nothing new" to an idle worker: the edge may hold it until
        one of `keys` is woken after `since`, then answer afresh (docs/protocol.md)."""

    def woken_by_work(self) -> bool:
        """Whether this answer is made after a held call was released by work for its fleet."""
        return False

    def pass_on_wakeup(self) -> None:
        """The released call got none of the READY work: release the next held one instead."""


@dataclass
class Context:
    conn: Connection
    caller: Caller
    now: datetime
    settings: Settings
    arns: Arns
    tokens: TokenCodec
    operation: str
    params: dict[str, Any]
    #: Called after the transaction commits (to wake background work about what was just written).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    signals: Signals | None = None
    #: What a staged handler's prepare stage obtained outside any transaction (api/registry.py).
    prepared: Any = None

    @functools.cached_property
    def changes(self) -> TaskChanges:
        """The write transaction's one unit of task changes (orchestration/task_changes.py): made when a
        handler first asks for it, passed to the engine explicitly, flushed by `flush_changes`. Inside
        a savepoint (`begin_nested`), flush before it ends: held changes would outlive its rollback."""
        return TaskChanges(self.conn, self.now, bad_worker_rules=self.settings.bad_worker_rules)

    def made_changes(self) -> TaskChanges | None:
        """The transaction's task changes if a handler made them (asking does not make them)."""
        return self.__dict__.get("changes")  # where functools.cached_property keeps `changes` once made

    def flush_changes(self) -> None:
        """Write what the transaction's task changes still hold (the executor, before it commits)."""
        changes = self.made_changes()
        if changes is not None:
            changes.flush()

    @property
    def who(self) -> str:
        """The createdBy/updatedBy value for this caller."""
        return self.caller.arn

    def page_request(self) -> tuple[Any, int]:
        """(position after which to continue or None, page size) from nextToken/maxResults."""
        token = self.params.get("nextToken")
        position = self.tokens.decode(token, self.operation, self.params) if token else None
        return position, int(self.params.get("maxResults") or DEFAULT_MAX_RESULTS)

    def page(self, key: str, rows: list[Any], limit: int, to_item, position) -> dict[str, Any]:
        """`{key: [to_item(row)...], nextToken?}`; the store was asked for limit + 1 rows to know if more remain."""
        items, more = self.paged(rows, limit, to_item, position)
        return {key: items, **more}

    def paged(self, rows: Sequence[Row], limit: int, to_item: Callable[[Row], Item],
              position: Callable[[Row], Any]) -> tuple[list[Item], NextToken]:
        """(the page's items, its nextToken when more remain), as a List answer is made of them:
        `{"jobs": items, **more}`. The store was asked for limit + 1 rows to know if more remain."""
        more: NextToken = {}
        if len(rows) > limit:
            more["nextToken"] = self.tokens.encode(self.operation, self.params, position(rows[limit - 1]))
        return [to_item(row) for row in rows[:limit]], more

    def wakeup_mark(self) -> int:
        return self.signals.wakeup_mark() if self.signals is not None else 0

    def hold_idle_worker(self, keys: tuple[str, ...], since: int) -> None:
        """Offer to hold this answer once the transaction has committed (Signals.hold_idle_worker)."""
        if self.signals is not None:
            self.after_commit.append(functools.partial(self.signals.hold_idle_worker, keys, since))

    def woken_by_work(self) -> bool:
        return self.signals is not None and self.signals.woken_by_work()

    def pass_on_wakeup(self) -> None:
        """Once committed, hand the wake-up that released this call to the next held call (Signals)."""
        if self.signals is not None:
            self.after_commit.append(self.signals.pass_on_wakeup)

    def signal(self, name: str) -> None:
        """Wake background work once this request's transaction has committed."""
        if self.signals is not None:
            self.after_commit.append(getattr(self.signals, name))
