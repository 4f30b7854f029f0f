"""How often one may try to sign in: a bound on password guessing, and on the scrypt work anyone can
make the server do (sign-in is open to every visitor, and each password check costs ~16 MiB and tens of
milliseconds of CPU in the process that also serves the API).

Failed attempts are counted over a sliding window, per client address and per user name (or access
key id) asked about, whether or not that user exists, so being refused reveals nothing about names. An
attempt counts as failed from the moment it starts until it succeeds, so many sent at once are bounded
too. The counts are in memory, per server process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 300.0
PER_CLIENT = 30  # behind a reverse proxy every visitor shares its address: kept well above one person's typos
PER_ACCOUNT = 10
_MAX_KEYS = 50_000


class SignInLimits:
    def __init__(self, per_client: int = PER_CLIENT, per_account: int = PER_ACCOUNT,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {"client": per_client, "account": per_account}
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def start(self, client: str, account: str) -> tuple[float, float]:
        """(0, stamp) when this attempt may go ahead, counted as failed until `succeeded(..., stamp)`;
        otherwise (seconds to wait, 0)."""
        keys = self._keys(client, account)
        with self._lock:
            now = self._clock()
            wait = 0.0
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self._limits[key[0]]:
                    wait = max(wait, failures[0] + self._window - now)
            if wait > 0:
                return max(1.0, math.ceil(wait)), 0.0
            if len(self._failures) > _MAX_KEYS:
                self._forget_old(now)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
            return 0.0, now

    def succeeded(self, client: str, account: str, stamp: float) -> None:
        with self._lock:
            for key in self._keys(client, account):
                failures = self._failures.get(key)
                if failures is not None and stamp in failures:
                    failures.remove(stamp)

    @staticmethod
    def _keys(client: str, account: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("client", client), ("account", account[:256])

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def _forget_old(self, now: float) -> None:
        """Keep memory bounded when many names or addresses are tried: drop the keys with nothing recent,
        then if need be the per-name counts (a flood of names is still bounded per client), then all."""
        for key in [k for k in self._failures if not self._recent(k, now)]:
            del self._failures[key]
        if len(self._failures) > _MAX_KEYS:
            self._failures = {k: v for k, v in self._failures.items() if k[0] == "client"}
        if len(self._failures) > _MAX_KEYS:
            self._failures.clear()
