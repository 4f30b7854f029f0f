"""Reusing the S3 store's queue keys while they are good for long enough.

Owns: remembering, per server process, the keys the store's STS gave for one principal and one
scope (a queue and a role kind; for a worker, that worker), and handing them out again while more
than REUSE_WHILE_REMAINING of their life is left.
Must not: call STS or write the key table (api/roles.py does both, outside and inside the
transaction).

Why per (principal, scope) and not per queue alone: Farmstead records each key as the caller's
(its requests act as that principal), and a worker's queue scope names the worker. Two callers never
share a key. Why in memory: a hit must cost no write; a replica or a restart only mints once more.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from farmstead.attachments.storage_credentials import StoreCredentials
from farmstead.config import Settings

#: Keys are handed out again while more than this is left of them. The official agent and botocore
#: refresh 15 min before expiry (the agent stops below 10 min, docs/credentials.md): 20 min keeps
#: every handed-out key above that with 5 min for clock skew, so a refresh always gets a new one.
#: With one-hour keys, STS is asked at most once per 40 min per principal and scope.
REUSE_WHILE_REMAINING = timedelta(minutes=20)
#: Entries kept at most; past it, entries no longer reusable are dropped first, then the oldest.
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedKeys:
    credentials: StoreCredentials
    #: The scope the key was recorded with (with the store's account), as in the key table.
    scope: dict[str, Any]


def cache_key(settings: Settings, principal_id: str, scope: dict[str, Any]) -> str:
    """The entry a request's keys live under: which store, who asks, and for exactly what."""
    store = (settings.s3_sts_endpoint_url or settings.s3_endpoint_url, settings.s3_role_arn,
             settings.s3_access_key_id)
    return json.dumps([store, principal_id, scope], sort_keys=True, separators=(",", ":"), default=str)


class CredentialCache:
    def __init__(self) -> None:
        self._entries: dict[str, CachedKeys] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> CachedKeys | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.credentials.expires_at - now <= REUSE_WHILE_REMAINING:
            return None
        return entry

    def put(self, key: str, entry: CachedKeys, now: datetime) -> None:
        with self._lock:
            self._entries[key] = entry
            if len(self._entries) > MAX_ENTRIES:
                self._trim(now)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _trim(self, now: datetime) -> None:
        for key in [k for k, e in self._entries.items() if e.credentials.expires_at - now <= REUSE_WHILE_REMAINING]:
            del self._entries[key]
        while len(self._entries) > MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]  # dicts keep insertion order: the oldest first


#: The server process's cache (its entries are keyed by store, so one process may serve several).
CACHE = CredentialCache()
