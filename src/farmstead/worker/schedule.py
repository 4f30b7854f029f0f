"""The UpdateWorkerSchedule loop: report what happened, take what the server assigns, wait, repeat.

Owns: one heartbeat per `updateIntervalSeconds` (sooner when an action finishes, so its report
reaches the server within REPORT_LINGER and the next task follows without waiting a full interval;
and at once again after a call that reported and came back idle, as the server may hold that next
call until work comes: docs/worker.md "Held calls"); applying
`assignedSessions` (docs/compatibility.md): new sessions start a runner, listed actions replace a
runner's queue, `cancelSessionActions` cancel the running action, sessions that disappear end;
retrying through outages (retries.py) without losing a report; the final drain at shutdown; and a
warning in the worker's log when this host's clock is off the server's (the server corrects the
times it reports, see docs/worker.md "Clock").
Must not: run actions (actions.py) or manage the worker's status (agent.py).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ClientError, ParamValidationError

from farmstead.protocol.shapes import DesiredWorkerStatus
from farmstead.worker import job_attachments, retries
from farmstead.worker.actions import Action, SessionRunner
from farmstead.worker.entities import JobEntities
from farmstead.worker.gpu_holds import GpuHolds
from farmstead.worker.reports import ActionReports
from farmstead.worker.session_logs import LogShipper, SessionLog, SessionLogRouter

log = logging.getLogger("farmstead.worker")
T = TypeVar("T")

#: Never poll faster than this, whatever the server says (an interval of 0 would spin).
MIN_INTERVAL = 0.2
#: How often a worker waiting on a (possibly held) call looks whether it was asked to stop.
STOP_CHECK_SECONDS = 0.1
#: How long this worker says it will wait for an idle call's answer (`Prefer: wait`): well inside
#: its 60 s read timeout (credentials.CLIENT_CONFIG); the server holds it at most its own bound.
PREFERRED_WAIT_SECONDS = 40
#: How long a finished action's report may wait for the next ones to share its call, while every
#: session has more queued (docs/worker.md "The UpdateWorkerSchedule loop").
REPORT_LINGER = 0.025
#: This host's clock is worth a warning when it is this far off the server's (the Date header has a
#: resolution of a second, and the answer's travel time adds to what is measured).
CLOCK_WARNING = timedelta(seconds=10)


def clock_offset(response: dict[str, Any], received_at: datetime) -> timedelta | None:
    """How far this host's clock is ahead of the server's (negative: behind), from the answer's
    Date header; None without one."""
    header = ((response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("date")
    try:
        server_time = parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None
    return received_at - server_time if server_time is not None and server_time.tzinfo else None


def ask_to_be_held(client: Any, seconds: float = PREFERRED_WAIT_SECONDS) -> None:
    """Make `client`'s UpdateWorkerSchedule calls say `Prefer: wait=<seconds>` (RFC 7240): the server
    may then hold an idle worker's call until work comes (docs/protocol.md "Held schedule calls")."""
    def prefer_wait(request: Any, **_: Any) -> None:
        request.headers["Prefer"] = f"wait={seconds:g}"

    client.meta.events.register("before-sign.deadline.UpdateWorkerSchedule", prefer_wait,
                                unique_id="farmstead-prefer-wait")


def unless_stopped(call: Callable[[], T], stop: threading.Event) -> T:
    """`call()` made on a helper thread, or retries.Stopped as soon as `stop` is set before it answers
    (the call goes on and its answer is dropped)."""
    outcome: list[Any] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # noqa: BLE001 - raised on the caller's thread
            outcome.append(error)
        finally:
            finished.set()

    threading.Thread(target=run, name="schedule-call", daemon=True).start()
    while not finished.wait(STOP_CHECK_SECONDS):
        if stop.is_set():
            raise retries.Stopped()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


class WorkerLost(Exception):
    """The server no longer has this worker STARTED (it was marked NOT_RESPONDING, stopped or deleted)."""

    def __init__(self, message: str, *, deleted: bool) -> None:
        super().__init__(message)
        self.deleted = deleted


class Scheduler:
    def __init__(self, client: Any, ids: dict[str, str], work_dir: Path, shipper: LogShipper | None,
                 router: SessionLogRouter, stop: threading.Event, process_env: dict[str, str] | None = None,
                 gpu_holds: GpuHolds | None = None) -> None:
        self._client = client
        #: This host's GPUs, when it has some: each session takes its step's cards (gpu_holds.py).
        self._gpu_holds = gpu_holds
        #: Variables every session process carries, so that it dies with this worker (process_guard.py).
        self._process_env = process_env or {}
        self._ids = ids  # farmId fleetId workerId
        self._work_dir = work_dir
        self._shipper = shipper
        self._router = router
        self._stop = stop
        self.wake = threading.Event()
        self.reports = ActionReports(on_completed=self.wake.set)
        #: Whether the last call carried reports: an idle answer to it is followed by a call at once.
        self._reported = False
        self.entities = JobEntities(
            lambda batch: client.batch_get_job_entity(**ids, identifiers=batch), stop=stop)
        #: Job attachments: each queue's S3 client with the queue role's keys, built once, shared by sessions.
        self._queue_s3_clients = job_attachments.QueueS3Clients(client, ids, stop)
        self._runners: dict[str, SessionRunner] = {}
        self._ending: list[SessionRunner] = []
        self._warned_offset: timedelta | None = None

    @property
    def busy(self) -> bool:
        return bool(self._runners)

    def run(self) -> str:
        """Loop until the worker is asked to stop ("signal") or the server says STOPPED ("service")."""
        while not self._stop.is_set():
            self.wake.clear()
            response = self.sync(stop=self._stop)
            self._reap()
            if response is None:
                continue
            if response.get("desiredWorkerStatus") == DesiredWorkerStatus.STOPPED:
                return "service"
            if self._reported and not self._runners:
                # Reported its last results and has nothing to run: the next call (no reports) is
                # the one a server may hold until work comes, so it goes now, not an interval later.
                continue
            self._wait(max(MIN_INTERVAL, float(response.get("updateIntervalSeconds") or 0)))
        return "signal"

    def _wait(self, interval: float) -> None:
        """Until the interval is over, a report waits to be sent or the worker is asked to stop. A wake
        with nothing to send (a runner winding down a session the server ended) makes no call: one
        made as a new session starts would compete with its entity fetch for the server."""
        until = time.monotonic() + interval
        while (left := until - time.monotonic()) > 0:
            if not self.wake.wait(left) or self._stop.is_set():
                return
            self.wake.clear()  # before looking: a report put after the look wakes the next wait
            if len(self.reports):
                self._linger(until)
                return

    def _linger(self, until: float) -> None:
        """A completion whose sessions all have more queued waits up to REPORT_LINGER for the next
        ones, so that one call carries several: each call costs the server 1-2 ms of CPU, and a call
        per task of a few ms took as much CPU as the tasks. A session with nothing queued waits for
        the server's next actions, so then (and when asked to stop) the report goes at once."""
        deadline = min(until, time.monotonic() + REPORT_LINGER)
        while self._runners and all(runner.has_queued() for runner in self._runners.values()):
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.is_set():
                return
            self.wake.wait(left)
            self.wake.clear()

    def sync(self, *, stop: threading.Event | None = None, deadline: float | None = None,
             apply: bool = True) -> dict[str, Any] | None:
        """One UpdateWorkerSchedule call; None when it could not be made (the caller tries again)."""
        sent = self.reports.snapshot()
        self._reported = bool(sent)

        def update() -> dict[str, Any]:
            return self._client.update_worker_schedule(**self._ids, updatedSessionActions=sent)

        # An idle worker's call may be held on the server for a while: a worker asked to stop does
        # not wait it out (what it sent is sent again by the shutdown's last call).
        call = update if stop is None or self._runners else functools.partial(unless_stopped, update, stop)
        try:
            response = retries.call(call, "UpdateWorkerSchedule", stop=stop, deadline=deadline)
        except retries.Stopped:
            return None
        except ClientError as error:
            self._refused(error, sent, stop)
            return None
        except ParamValidationError as error:
            log.error("reports not sendable (%s); dropping them: %s", error, sorted(sent))
            self.reports.commit(sent)
            return None
        except Exception as error:  # noqa: BLE001 - past the deadline: the caller decides
            if deadline is not None:
                log.warning("UpdateWorkerSchedule failed: %s", retries.describe(error))
                return None
            raise
        self.reports.commit(sent)
        self._check_clock(clock_offset(response, datetime.now(UTC)))
        if apply:
            self.apply(response)
        return response

    def _check_clock(self, offset: timedelta | None) -> None:
        """Warn once when the clock is off, again when that changes by as much, and say when it is right again."""
        if offset is None:
            return
        if abs(offset) <= CLOCK_WARNING:
            if self._warned_offset is not None:
                log.info("this host's clock agrees with the server's again")
                self._warned_offset = None
            return
        if self._warned_offset is not None and abs(offset - self._warned_offset) <= CLOCK_WARNING:
            return
        self._warned_offset = offset
        seconds = abs(offset.total_seconds())
        log.warning("this host's clock is %.0f s %s the server's: the server records the times this worker "
                    "reports within its own clock, so task times are not this host's; fix the host's time (NTP)",
                    seconds, "ahead of" if offset > timedelta(0) else "behind")

    def _refused(self, error: ClientError, sent: dict, stop: threading.Event | None) -> None:
        code, reason = retries.error_code(error), retries.error_reason(error)
        if code == "ResourceNotFoundException":
            raise WorkerLost(retries.describe(error), deleted=True) from error
        if code == "ConflictException" and reason == "STATUS_CONFLICT":
            raise WorkerLost(retries.describe(error), deleted=False) from error
        if code == "AccessDeniedException":
            raise error
        if code == "ValidationException":
            # A report the server can't take would be resent forever: drop this batch, keep working.
            log.error("UpdateWorkerSchedule refused the reports (%s); dropping them: %s",
                      retries.describe(error), sorted(sent))
            self.reports.commit(sent)
            return None
        log.error("UpdateWorkerSchedule failed: %s", retries.describe(error))
        if stop is not None:
            stop.wait(retries.MAX_DELAY / 3)
        return None

    def apply(self, response: dict[str, Any]) -> None:
        assigned = response.get("assignedSessions") or {}
        cancels = response.get("cancelSessionActions") or {}
        for session_id in [s for s in self._runners if s not in assigned]:
            ended = self._runners.pop(session_id)
            ended.stop()  # the server has ended it: wind down without reporting
            self._ending.append(ended)
            log.info("session %s ended", session_id)
        for session_id, session in assigned.items():
            actions = [Action.from_assigned(item) for item in session.get("sessionActions") or []]
            runner = self._runners.get(session_id)
            if runner is None:
                if self._stop.is_set():
                    continue  # stopping: UpdateWorker STOPPED hands it back untouched
                runner = self._new_runner(session_id, session)
                runner.replace_queue(actions)
                runner.start()
                continue
            if cancels.get(session_id):
                runner.cancel(set(cancels[session_id]))
            runner.replace_queue(actions)

    def _new_runner(self, session_id: str, session: dict[str, Any]) -> SessionRunner:
        queue_id, job_id = session["queueId"], session["jobId"]
        log.info("session %s started for job %s", session_id, job_id)
        sink = SessionLog(self._work_dir / "logs" / queue_id / f"{session_id}.log",
                          self._upload_stream(session_id, session.get("logConfiguration") or {}))
        self._router.register(session_id, sink)
        ids = {**self._ids, "sessionId": session_id, "queueId": queue_id, "jobId": job_id}
        runner = SessionRunner(ids, self.entities, self.reports, sink, self._work_dir / "sessions", self.wake.set,
                               s3_for_queue=self._queue_s3_clients, process_env=self._process_env,
                               gpu_holds=self._gpu_holds)
        self._runners[session_id] = runner
        return runner

    def _upload_stream(self, session_id: str, config: dict[str, Any]):
        options = config.get("options") or {}
        if self._shipper is None or config.get("error") or config.get("logDriver") != "awslogs" \
                or not options.get("logGroupName") or not options.get("logStreamName"):
            if config.get("error"):
                log.warning("session %s: no log upload (%s)", session_id, config["error"])
            return None
        return self._shipper.open(options["logGroupName"], options["logStreamName"])

    def _reap(self) -> None:
        for runner in [r for r in self._ending if r.ended.is_set()]:
            self._ending.remove(runner)
            self._router.unregister(runner.session_id)
            if not any(r.ids["jobId"] == runner.ids["jobId"] for r in self._runners.values()):
                self.entities.forget_job(runner.ids["jobId"])

    def drain(self, message: str, grace: timedelta, hurry: threading.Event) -> None:
        """Interrupt every session, wait for the runners to report and wind down (bounded)."""
        runners = list(self._runners.values())
        for runner in runners:
            runner.stop(message, grace)
        give_up = time.monotonic() + grace.total_seconds() * 2 + 30
        hurried = False
        for runner in runners + self._ending:
            while not runner.ended.wait(0.2):
                if hurry.is_set() and not hurried:
                    hurried = True
                    for each in runners:
                        each.hurry()
                if time.monotonic() > give_up:
                    log.warning("session %s did not wind down in time", runner.session_id)
                    break
        self._ending.extend(self._runners.values())
        self._runners.clear()

    def abandon(self) -> None:
        """The server has taken this worker's sessions back: stop them all, report nothing."""
        for runner in self._runners.values():
            runner.stop()
            self._ending.append(runner)
        self._runners.clear()
        self.reports.commit(self.reports.snapshot())
