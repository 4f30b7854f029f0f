"""Admission control: how much work the server takes on at once, in all and per caller.

Owns: counting the requests in flight (admitted and not yet answered) on the API routes, refusing a
request at once when taking it would pass a limit, and refusing one that waited in line too long,
with the reason and a Retry-After; each pipeline words the refusal in its protocol
(ThrottlingException). Must not: know operations, callers' rights or the store: the pipeline says
which class a request is and whose key it names.

Why counting needs a yield: handlers run on the event loop, each request in one step, so without
help a request would always find the server idle. `enter` is the request's first step; the
pipeline then yields once (`settle`), so every request read in the same loop iteration is counted
before any of them runs, and the count is the line the request stands in.

Two classes of request (docs/operations.md): WORKER traffic (the model's `scheduling.` operations:
heartbeats, worker creation, entities; and session log uploads) may use every slot and does not
yield: it runs in its first step, ahead of the user requests waiting in line. USER traffic may use
USER_SHARE of the slots, so a flood of user calls cannot starve heartbeats, and each caller (the
access key the request names) at most `max_per_caller` of them. Workers are
not limited per caller: many workers may share one key, and each makes one call at a time.
The key is read before the signature is checked, so refusals are cheap; a client that names
someone else's key can only use up that key's share while its own requests wait in line.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    WORKER = "worker"
    USER = "user"


#: The share of all slots user traffic may hold; the rest is kept for workers.
USER_SHARE = 0.75
RETRY_AFTER_SECONDS = 1

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


@dataclass(frozen=True)
class Limits:
    max_in_flight: int
    """Requests in flight at once (0: no admission control)."""
    max_per_caller: int
    """User requests in flight at once per access key."""
    max_wait_seconds: float
    """How long a user request may wait in line before it is refused instead of served."""


@dataclass
class Ticket:
    kind: Kind
    caller: str
    entered: float


class Refused(Exception):
    def __init__(self, message: str, retry_after_seconds: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


class Admission:
    """The counters of one server process. Used from the event loop only (no locking)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self.in_flight = 0
        self._per_caller: dict[str, int] = {}
        self._user_limit = max(1, int(limits.max_in_flight * USER_SHARE))
        #: Refusals so far, by reason (for the log and the bench).
        self.refused: dict[str, int] = {"server": 0, "caller": 0, "waited": 0}

    @property
    def enabled(self) -> bool:
        return self.limits.max_in_flight > 0

    def enter(self, kind: Kind, caller: str) -> Ticket:
        """Count a request in, or Refused when that would pass a limit."""
        limits = self.limits
        if kind is Kind.USER:
            if self.in_flight >= self._user_limit:
                self.refused["server"] += 1
                raise Refused(f"The server is busy ({self.in_flight} requests in flight); retry in "
                              f"{RETRY_AFTER_SECONDS} second.")
            if self._per_caller.get(caller, 0) >= limits.max_per_caller:
                self.refused["caller"] += 1
                raise Refused(f"Too many requests in flight for this access key (at most "
                              f"{limits.max_per_caller}); retry in {RETRY_AFTER_SECONDS} second.")
            self._per_caller[caller] = self._per_caller.get(caller, 0) + 1
        elif self.in_flight >= limits.max_in_flight:
            self.refused["server"] += 1
            raise Refused(f"The server is busy ({self.in_flight} requests in flight); retry in "
                          f"{RETRY_AFTER_SECONDS} second.")
        self.in_flight += 1
        return Ticket(kind, caller, self._clock())

    async def settle(self, ticket: Ticket) -> None:
        """For a user request: let the rest of this loop iteration's requests be counted, then
        refuse this one if it waited in line longer than allowed (it would only add to everyone's wait)."""
        await asyncio.sleep(0)
        waited = self._clock() - ticket.entered
        if waited > self.limits.max_wait_seconds:
            self.refused["waited"] += 1
            raise Refused(f"The server is busy (this request waited {waited:.1f} s in line); retry in "
                          f"{RETRY_AFTER_SECONDS} second.")

    def leave(self, ticket: Ticket) -> None:
        self.in_flight -= 1
        if ticket.kind is Kind.USER:
            left = self._per_caller[ticket.caller] - 1
            if left:
                self._per_caller[ticket.caller] = left
            else:
                del self._per_caller[ticket.caller]


def access_key_of(scope: Mapping[str, Any]) -> str:
    """The access key a request names (Authorization's Credential=, or a presigned query's
    X-Amz-Credential), unverified; "" for an unsigned request (they share one caller's share)."""
    for name, value in scope["headers"]:
        if name == b"authorization" or name.lower() == b"authorization":
            found = _CREDENTIAL.search(value.decode("latin-1"))
            return found.group(1) if found else ""
    query: bytes = scope.get("query_string", b"")
    if b"X-Amz-Credential=" in query:
        start = query.index(b"X-Amz-Credential=") + len(b"X-Amz-Credential=")
        return query[start:].split(b"&", 1)[0].split(b"%2F", 1)[0].split(b"/", 1)[0].decode("latin-1")
    return ""
