"""When a worker may take work (farmstead.worker.work_hours): its schedule on an injected clock, the rules
that may hold it back, waiting until it may, and the watch that calls back once it may not."""

import threading
import time
from datetime import datetime, timedelta

from farmstead.domain.work_schedules import parse_schedule
from farmstead.worker.work_hours import WorkHours

# 2026-12-07 is a Monday.
NINE = datetime(2026, 12, 7, 9, 0).astimezone()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Rule:
    recheck = 0.05

    def __init__(self, ready: bool) -> None:
        self.is_ready = ready

    def ready(self) -> bool:
        return self.is_ready

    def reason(self) -> str:
        return "someone is typing"


def test_the_schedule_on_the_workers_clock_says_when_it_may_work_and_why_not():
    clock = Clock(NINE)
    hours = WorkHours(parse_schedule("Mon-Fri 19:00-07:00"), clock=clock)
    assert not hours.available()
    assert hours.why_not() == "outside its schedule 'Mon-Fri 19:00-07:00' until Mon 19:00:00"
    clock.now = NINE + timedelta(hours=10)
    assert hours.available()


def test_a_rule_holds_the_host_back_inside_its_schedule_too():
    rule = Rule(ready=False)
    hours = WorkHours(parse_schedule("daily 00:00-24:00"), rules=(rule,), clock=Clock(NINE))
    assert not hours.available() and hours.why_not() == "someone is typing"
    rule.is_ready = True
    assert hours.available()


def test_the_watch_calls_back_once_when_the_clock_passes_the_boundary_and_not_before():
    clock = Clock(NINE)
    hours = WorkHours(parse_schedule("Mon 08:00-09:00:02"), clock=clock, recheck=0.05)
    closed = threading.Event()
    calls = []
    cancel = hours.watch(lambda: (calls.append(clock.now), closed.set()))
    try:
        assert not closed.wait(0.3)  # 09:00:00, still inside
        clock.now = NINE + timedelta(seconds=2)  # the boundary: the window is [08:00, 09:00:02)
        assert closed.wait(2)
        time.sleep(0.2)
        assert calls == [NINE + timedelta(seconds=2)]
    finally:
        cancel.set()


def test_waiting_for_work_hours_ends_when_they_begin_or_when_the_worker_is_stopped():
    clock = Clock(NINE)
    hours = WorkHours(parse_schedule("Mon 10:00-11:00"), clock=clock, recheck=0.05)
    stop = threading.Event()
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(hours.wait_until_available(stop)))
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()
    clock.now = NINE + timedelta(hours=1)
    waiter.join(2)
    assert outcome == [True]

    clock.now = NINE
    stopper = threading.Timer(0.2, stop.set)
    stopper.start()
    assert hours.wait_until_available(stop) is False
