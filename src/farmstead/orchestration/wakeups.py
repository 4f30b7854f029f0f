"""Wake-ups on one server process: idle workers' held UpdateWorkerSchedule calls waiting for news.

Owns: who waits for which key (a fleet id: work became READY for it; a worker id: its status or
hold changed), waking them when a committed write names their key (store/notifications.py says
which; on PostgreSQL the keys of other replicas' writes arrive through LISTEN), and releasing
every wait at shutdown. Must not: read the store or decide what a worker gets (the re-run
handler does, docs/protocol.md "Held schedule calls").

A wait never misses a wake-up that came after the handler's reads: every wake-up is numbered, the
handler takes `mark()` before it reads, and `wait` returns at once when a key was woken after that
mark; waking from any thread counts the key at once, and sets the waiters' events on the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

from farmstead.store.notifications import EVERY_WAITER

#: The key every wait is also on: waking it answers every held call afresh (the wake-up listener
#: after a reconnect, when it may have missed some; shutdown).
ALL = EVERY_WAITER


class Wakeups:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequence = 0
        #: The number of the latest wake-up of each key (fleets and workers: bounded by the farm's size).
        self._woken_at: dict[str, int] = {}
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def mark(self) -> int:
        """The number of the latest wake-up: a wait given it returns at once for any key woken since."""
        return self._sequence

    def wake(self, keys: Iterable[str]) -> None:
        """Wake whoever waits on any of `keys` (safe from any thread)."""
        keys = list(keys)
        if not keys:
            return
        with self._lock:
            self._sequence += 1
            for key in keys:
                self._woken_at[key] = self._sequence
            loop = self._loop
        if loop is None or loop.is_closed():
            return  # nobody has waited yet: the numbers above are enough
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._set(keys)
        else:
            try:
                loop.call_soon_threadsafe(self._set, keys)
            except RuntimeError:
                pass  # the loop closed meanwhile: nobody waits any more

    def close(self) -> None:
        """Release every wait now and refuse new ones (server shutdown; safe from any thread)."""
        self._closed = True
        self.wake([ALL])

    async def wait(self, keys: tuple[str, ...], since: int, timeout: float) -> bool:
        """Until one of `keys` is woken after `since` (True) or `timeout` seconds pass (False). False
        at once, or as soon as it happens, once closed: the caller answers now and waits no more."""
        if self._closed:
            return False
        if self._woken_since(keys, since):
            return True
        self._loop = asyncio.get_running_loop()
        event = asyncio.Event()
        for key in keys:
            self._waiting.setdefault(key, set()).add(event)
        try:
            # Checked again once registered: a wake-up from another thread may have counted in between.
            if self._woken_since(keys, since):
                return True
            async with asyncio.timeout(timeout):
                await event.wait()
            return not self._closed
        except TimeoutError:
            return False
        finally:
            for key in keys:
                waiting = self._waiting.get(key)
                if waiting is not None:
                    waiting.discard(event)
                    if not waiting:
                        del self._waiting[key]

    def _woken_since(self, keys: tuple[str, ...], since: int) -> bool:
        woken_at = self._woken_at
        return any(woken_at.get(key, 0) > since for key in keys)

    def _set(self, keys: list[str]) -> None:
        for key in keys:
            for event in self._waiting.get(key, ()):
                event.set()
