"""When the worker calls UpdateWorkerSchedule: as soon as an action finishes (after a short linger
that lets the next completions share the call while every session has more queued), at once again
after a reporting call came back idle (the server may hold that next call until work comes), and
never waiting out a held call once it is asked to stop (docs/worker.md)."""

import threading
import time
from datetime import UTC, datetime

from farmstead.worker import reports, schedule
from farmstead.worker.schedule import Scheduler
from farmstead.worker.session_logs import SessionLogRouter

INTERVAL = 10


class Server:
    """UpdateWorkerSchedule by script: an idle answer (interval INTERVAL) after `holds` seconds; each
    call's time and reports are kept."""

    def __init__(self, holds: float = 0.0) -> None:
        self.holds = holds
        self.calls: list[tuple[float, dict]] = []

    def update_worker_schedule(self, **params):
        self.calls.append((time.monotonic(), params["updatedSessionActions"]))
        time.sleep(self.holds)
        return {"assignedSessions": {}, "cancelSessionActions": {}, "updateIntervalSeconds": INTERVAL}


def scheduler(tmp_path, server, stop: threading.Event) -> Scheduler:
    return Scheduler(server, {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"}, tmp_path, None,
                     SessionLogRouter(), stop)


def running_in_background(worker: Scheduler) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


def test_a_final_report_wakes_the_scheduler_and_a_progress_report_does_not(tmp_path):
    worker = scheduler(tmp_path, Server(), threading.Event())
    now = datetime.now(UTC)
    worker.reports.put("sessionaction-1-0", reports.running(now, now))
    assert not worker.wake.is_set()
    worker.reports.put("sessionaction-1-0", reports.succeeded_without_process(now, now))
    assert worker.wake.is_set()


def test_after_a_reporting_call_comes_back_idle_the_next_call_goes_at_once_then_the_interval(tmp_path):
    server, stop = Server(), threading.Event()
    worker = scheduler(tmp_path, server, stop)
    now = datetime.now(UTC)
    worker.reports.put("sessionaction-1-0", reports.succeeded_without_process(now, now))
    thread = running_in_background(worker)
    time.sleep(1.0)
    stop.set()
    worker.wake.set()
    thread.join(timeout=5)
    assert [bool(sent) for _, sent in server.calls] == [True, False]  # the third waits for the interval
    assert server.calls[1][0] - server.calls[0][0] < 0.5


def test_a_worker_asked_to_stop_does_not_wait_out_its_held_call(tmp_path):
    server, stop = Server(holds=10), threading.Event()
    thread = running_in_background(scheduler(tmp_path, server, stop))
    time.sleep(0.5)
    asked = time.monotonic()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - asked < 1.0


def test_a_wake_with_nothing_to_report_makes_no_call_and_a_final_report_then_goes_at_once(tmp_path):
    server, stop = Server(), threading.Event()
    worker = scheduler(tmp_path, server, stop)
    thread = running_in_background(worker)
    time.sleep(0.3)
    worker.wake.set()  # as a runner winding down a session the server ended does
    time.sleep(0.5)
    assert len(server.calls) == 1
    now = datetime.now(UTC)
    worker.reports.put("sessionaction-1-0", reports.succeeded_without_process(now, now))
    time.sleep(0.5)
    stop.set()
    worker.wake.set()
    thread.join(timeout=5)
    assert [bool(sent) for _, sent in server.calls][:2] == [False, True]
    assert server.calls[1][0] - server.calls[0][0] < 1.0


class SessionServer(Server):
    """Answers that keep listing one open session, "session-1"."""

    def update_worker_schedule(self, **params):
        answer = super().update_worker_schedule(**params)
        return {**answer, "assignedSessions": {"session-1": {"queueId": "queue-1", "jobId": "job-1",
                                                             "sessionActions": []}}}


class Runner:
    """A session's runner as the scheduler sees it: whether actions wait behind the running one."""

    def __init__(self, queued: bool) -> None:
        self.queued = queued

    def has_queued(self) -> bool:
        return self.queued

    def replace_queue(self, _actions) -> None:
        pass

    def stop(self, *_args, **_kwargs) -> None:
        pass


def _completions_after_the_first_call(tmp_path, monkeypatch, queued: bool) -> list[tuple[float, dict]]:
    """Three completions 50 ms apart in a session with (or without) more queued, once the worker's
    first call is answered; the calls that carried them, with the time the first was put."""
    monkeypatch.setattr(schedule, "REPORT_LINGER", 0.5)  # far above the puts' spacing: no timing luck
    server, stop = SessionServer(), threading.Event()
    worker = scheduler(tmp_path, server, stop)
    worker._runners["session-1"] = Runner(queued)  # noqa: SLF001 - the one session the answers list
    thread = running_in_background(worker)
    while not server.calls:
        time.sleep(0.01)
    time.sleep(0.1)
    put_at = time.monotonic()
    for number in range(3):
        now = datetime.now(UTC)
        worker.reports.put(f"sessionaction-1-{number}", reports.succeeded_without_process(now, now))
        time.sleep(0.05)
    time.sleep(0.8)
    stop.set()
    worker.wake.set()
    thread.join(timeout=5)
    return [(at - put_at, sent) for at, sent in server.calls[1:] if sent]


def test_completions_while_the_session_has_more_queued_share_one_call(tmp_path, monkeypatch):
    calls = _completions_after_the_first_call(tmp_path, monkeypatch, queued=True)
    assert [len(sent) for _, sent in calls] == [3]
    assert calls[0][0] < 0.5 + 0.2  # within the linger


def test_a_completion_in_a_session_with_nothing_queued_goes_at_once(tmp_path, monkeypatch):
    calls = _completions_after_the_first_call(tmp_path, monkeypatch, queued=False)
    assert [len(sent) for _, sent in calls] == [1, 1, 1]
    assert calls[0][0] < 0.2
