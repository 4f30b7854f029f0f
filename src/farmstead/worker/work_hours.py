"""When this worker may take work: its sleep schedule (domain/work_schedules.py) and, on a workstation,
how long its keyboard and mouse have been left alone (input_idle.py).

Owns: the worker's clock (the host's local time; injectable), whether the host is available now,
waiting until it is, and a watcher thread that calls back once at the moment it stops being available
(at the schedule's boundary to the second; input is looked at every few seconds). Must not: call the
server (agent.py turns the callback into UpdateWorker STOPPING, and STOPPED once the server says the
worker has drained).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from farmstead.domain.work_schedules import WorkSchedule, is_open, next_change

log = logging.getLogger("farmstead.worker")

#: The longest the worker waits without looking at the clock again: a wait measured in seconds goes
#: wrong when the host's clock is set, it suspends, or daylight saving time begins or ends.
RECHECK_SECONDS = 60.0
#: Past a boundary by this much when woken for it, so the clock is on the boundary's far side.
_PAST_BOUNDARY = 0.01


def local_now() -> datetime:
    return datetime.now().astimezone()


class IdleRule(Protocol):
    """A rule that may hold a host back: `ready()` says whether it lets the host work now, `reason()`
    why not, `recheck` how often (seconds) it must be asked again."""

    recheck: float

    def ready(self) -> bool: ...

    def reason(self) -> str: ...


class WorkHours:
    def __init__(self, schedule: WorkSchedule | None = None, rules: tuple[IdleRule, ...] = (),
                 clock: Callable[[], datetime] = local_now, recheck: float = RECHECK_SECONDS) -> None:
        self.schedule = schedule
        self.rules = rules
        self._clock = clock
        self._recheck = min([recheck, *(rule.recheck for rule in rules)])

    def available(self) -> bool:
        if self.schedule is not None and not is_open(self.schedule, self._clock()):
            return False
        return all(rule.ready() for rule in self.rules)

    def why_not(self) -> str:
        """Why the host may not work now (for the worker's log)."""
        now = self._clock()
        if self.schedule is not None and not is_open(self.schedule, now):
            opens = next_change(self.schedule, now)
            return f"outside its schedule {self.schedule.text!r}" + (f" until {opens:%a %H:%M:%S}" if opens else "")
        return "; ".join(rule.reason() for rule in self.rules if not rule.ready())

    def _wait_seconds(self) -> float:
        """How long until the availability may change: the schedule's next boundary, at most `recheck`."""
        wait = self._recheck
        if self.schedule is not None:
            now = self._clock()
            change = next_change(self.schedule, now)
            if change is not None:
                wait = min(wait, (change - now).total_seconds() + _PAST_BOUNDARY)
        return max(wait, _PAST_BOUNDARY)

    def wait_until_available(self, stop: threading.Event) -> bool:
        """Block until the host may work (True) or `stop` is set (False); says in the log why it waits."""
        if self.available():
            return True
        log.info("not taking work: %s", self.why_not())
        while not stop.wait(self._wait_seconds()):
            if self.available():
                log.info("the host may work again; starting")
                return True
        return False

    def watch(self, on_closed: Callable[[], None]) -> threading.Event:
        """Call `on_closed` once, from a thread of its own, when the host stops being available; setting
        the returned event ends the watch."""
        cancel = threading.Event()

        def run() -> None:
            while not cancel.is_set():
                if not self.available():
                    log.info("the host may not take work any more: %s", self.why_not())
                    on_closed()
                    return
                cancel.wait(self._wait_seconds())

        threading.Thread(target=run, name="work-hours", daemon=True).start()
        return cancel
