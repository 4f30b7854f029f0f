"""The access keys the server has looked up, so that a request does not pay a read transaction to
learn who signed it.

Owns: how long a looked-up key may be trusted without reading the store again. A user's long-term
key is trusted for LONG_TERM_SECONDS: `farmstead keys delete` takes effect on every process and
replica within that. A temporary key (what AssumeFleetRoleForWorker and the other Assume* calls
mint, valid for an hour) never changes, and is deleted only by an administrator or after it
expires, so it is trusted for TEMPORARY_SECONDS (never past its expiry): an idle worker signs every
15-second heartbeat with its own temporary key, and a lookup on each was a quarter of that call's
cost; now three of four calls skip it, and a deleted temporary key stops working within a minute.
A `farmstead login` key (temporary, but of a person: no scope) is trusted like a long-term key, so the
directory's disabling of its user (which deletes it, web/login_keys.py) takes effect within seconds.
An unknown key is remembered for LONG_TERM_SECONDS (a key minted on another replica a moment ago is
found once that passes).
Bounded: past MAX_ENTRIES, lapsed entries are dropped, and if that is not enough, all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from farmstead.api.context import Caller
from farmstead.protocol.signing import Credential

LONG_TERM_SECONDS = 2.0
TEMPORARY_SECONDS = 60.0
MAX_ENTRIES = 100_000


class KnownKey(NamedTuple):
    credential: Credential
    caller: Caller


class _Entry(NamedTuple):
    trusted_until: float  # time.monotonic()
    key: KnownKey | None


class KeyCache:
    """`lookup(access_key_id)` reads the store; the cache decides when to call it again."""

    def __init__(self, lookup: Callable[[str], KnownKey | None],
                 monotonic: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._lookup = lookup
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._entries: dict[str, _Entry] = {}
        self._pruning = threading.Lock()

    def get(self, access_key_id: str) -> KnownKey | None:
        now = self._monotonic()
        entry = self._entries.get(access_key_id)
        if entry is not None and now < entry.trusted_until:
            return entry.key
        key = self._lookup(access_key_id)
        if len(self._entries) >= MAX_ENTRIES:
            self._make_room(now)
        self._entries[access_key_id] = _Entry(now + self._trust_seconds(key), key)
        return key

    def _trust_seconds(self, key: KnownKey | None) -> float:
        if key is None or key.credential.expires_at is None or key.credential.session_token is None \
                or key.caller.scope is None:
            return LONG_TERM_SECONDS
        expires_at = key.credential.expires_at
        return max(LONG_TERM_SECONDS, min(TEMPORARY_SECONDS, (expires_at - self._wall_clock()).total_seconds()))

    def _make_room(self, now: float) -> None:
        # Staged handlers and the web monitor authenticate on other threads: prune a copy (an entry
        # another thread adds meanwhile may be lost, which only costs it a lookup).
        with self._pruning:
            kept = {k: e for k, e in list(self._entries.items()) if now < e.trusted_until}
            self._entries = kept if len(kept) < MAX_ENTRIES else {}
