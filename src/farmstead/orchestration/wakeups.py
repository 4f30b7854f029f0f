"""Wake-ups on one server process: idle workers' held UpdateWorkerSchedule calls waiting for news.

Owns: who waits for which key (a fleet id: work became READY for it; a worker id: its status or
hold changed), waking them when a committed write names their key (store/notifications.py says
which; on PostgreSQL the keys of other replicas' writes arrive through LISTEN), and releasing
every wait at shutdown. Must not: read the store or decide what a worker gets (the re-run
handler does, docs/protocol.md "Held schedule calls").

A wake-up of a fleet carries how many tasks became READY: it releases that many of the fleet's
waits, the longest-waiting first, and the rest stay held (waking every held worker for a 1-task
job cost more than polling: docs/benchmarks.md "idle_latency"). A released call that got nothing
but saw work it may not run (`pass_on`) hands its wake-up to the next wait that was already
waiting when it came, so a task that one worker cannot run reaches those that can.

A wait never misses a wake-up that came after the handler's reads: every wake-up is numbered, the
handler takes `mark()` before it reads, and `wait` returns at once when a key was woken after that
mark (whatever the count: a call between its reads and its wait when work comes is answered, a
small bound of extra answers); waking from any thread counts the key at once, and releases the
waits on the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from farmstead.store.notifications import EVERY_WAITER

#: The key every wait is also on: waking it answers every held call afresh (the wake-up listener
#: after a reconnect, when it may have missed some; shutdown).
ALL = EVERY_WAITER


#: A fleet's wake-ups: how many held calls to release (None: every one).
Counts = Mapping[str, int | None]


@dataclass(eq=False)
class _Wait:
    keys: tuple[str, ...]
    since: int
    event: asyncio.Event = field(default_factory=asyncio.Event)
    #: The wake-up that released it: its key and number (for `pass_on`).
    woken_by: tuple[str, int] | None = None


class Wakeups:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequence = 0
        #: The number of the latest wake-up of each key (fleets and workers: bounded by the farm's size).
        self._woken_at: dict[str, int] = {}
        #: Each key's waits in the order they began (a dict as an ordered set).
        self._waiting: dict[str, dict[_Wait, None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def mark(self) -> int:
        """The number of the latest wake-up: a wait given it returns at once for any key woken since."""
        return self._sequence

    def wake(self, counts: Counts) -> None:
        """Release up to the count of the waits on each key, every wait for a count of None (safe
        from any thread)."""
        if not counts:
            return
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
            for key in counts:
                self._woken_at[key] = sequence
            loop = self._loop
        if loop is None or loop.is_closed():
            return  # nobody has waited yet: the numbers above are enough
        self._on_loop(loop, self._release, dict(counts), sequence)

    def pass_on(self, woken_by: tuple[str, int] | None) -> None:
        """A call released by a fleet's wake-up got nothing though work it may not run (host
        requirements) is READY: release the next wait that was waiting when that wake-up came.
        Each wait is released at most once per wake-up, so passing on ends."""
        if woken_by is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            key, sequence = woken_by
            self._on_loop(loop, self._release, {key: 1}, sequence)

    def close(self) -> None:
        """Release every wait now and refuse new ones (server shutdown; safe from any thread)."""
        self._closed = True
        self.wake({ALL: None})

    async def wait(self, keys: tuple[str, ...], since: int, timeout: float) -> tuple[str, int] | bool:
        """Until one of `keys` is woken after `since` or `timeout` seconds pass (False). False at
        once, or as soon as it happens, once closed: the caller answers now and waits no more. Woken,
        it is the key and number of the fleet wake-up that released it (for `pass_on`), else True."""
        if self._closed:
            return False
        if self._woken_since(keys, since):
            return True
        self._loop = asyncio.get_running_loop()
        wait = _Wait(keys, since)
        for key in keys:
            self._waiting.setdefault(key, {})[wait] = None
        try:
            # Checked again once registered: a wake-up from another thread may have counted in between.
            if self._woken_since(keys, since):
                return True
            async with asyncio.timeout(timeout):
                await wait.event.wait()
            if self._closed:
                return False
            return wait.woken_by or True
        except TimeoutError:
            return False
        finally:
            for key in keys:
                waiting = self._waiting.get(key)
                if waiting is not None:
                    waiting.pop(wait, None)
                    if not waiting:
                        del self._waiting[key]

    def _woken_since(self, keys: tuple[str, ...], since: int) -> bool:
        woken_at = self._woken_at
        return any(woken_at.get(key, 0) > since for key in keys)

    def _on_loop(self, loop: asyncio.AbstractEventLoop, call: Callable[..., None], *args: object) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            call(*args)
        else:
            try:
                loop.call_soon_threadsafe(call, *args)
            except RuntimeError:
                pass  # the loop closed meanwhile: nobody waits any more

    def _release(self, counts: dict[str, int | None], sequence: int) -> None:
        for key, count in counts.items():
            left = count
            for wait in list(self._waiting.get(key, ())):
                if left is not None and left <= 0:
                    break
                # Only waits that began before this wake-up: a later one read after its commit.
                if wait.event.is_set() or wait.since >= sequence:
                    continue
                wait.woken_by = (key, sequence) if count is not None else None
                wait.event.set()
                if left is not None:
                    left -= 1
