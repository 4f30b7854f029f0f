"""One session on this worker: its openjd-sessions Session, its queue of actions, and the thread that runs them.

Owns: running envEnter / taskRun / envExit / syncInputJobAttachments actions one at a time through
`openjd.sessions.Session` (attachment syncs and output uploads through job_attachments.py), turning
its callbacks into reports (reports.py), canceling the running action with the template's
cancelation mode, reporting the queued non-envExit actions NEVER_ATTEMPTED after a failure or
cancel, and winding the session down (environments exited locally, working directory removed). The
scheduler thread talks to a runner only through `replace_queue`, `cancel` and `stop`. Must not: call
UpdateWorkerSchedule.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openjd.model import RevisionExtensions, SpecificationRevision
from openjd.sessions import ActionState, ActionStatus, PosixSessionUser, Session, SessionState

from farmstead.protocol.shapes import CompletedStatus
from farmstead.worker import action_output, gpus, job_attachments, reports, retries, session_inputs
from farmstead.worker.entities import JobEntities, identifier
from farmstead.worker.gpu_holds import GpuHolds
from farmstead.worker.session_logs import SessionLog

log = logging.getLogger("farmstead.worker")
# Every action this module runs forwards its output without openjd's 1 ms polling (action_output.py).
action_output.install()

#: How long an environment's onExit may run while the worker winds a session down on its own.
LOCAL_EXIT_SECONDS = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container uid with no passwd entry
        return str(os.getuid()) if hasattr(os, "getuid") else ""


@dataclass(frozen=True)
class Action:
    action_id: str
    kind: str
    fields: dict[str, Any]

    @classmethod
    def from_assigned(cls, item: dict[str, Any]) -> Action:
        (kind, fields), = item["definition"].items()
        return cls(item["sessionActionId"], kind, fields or {})


class SessionRunner:
    def __init__(self, ids: dict[str, str], entities: JobEntities, action_reports: reports.ActionReports,
                 sink: SessionLog, session_root: Path, on_idle: Callable[[], None],
                 s3_for_queue: Callable[[str], Any] | None = None,
                 process_env: dict[str, str] | None = None, gpu_holds: GpuHolds | None = None) -> None:
        self.ids = ids  # farmId fleetId workerId sessionId queueId jobId
        self.session_id = ids["sessionId"]
        self._entities = entities
        self._reports = action_reports
        self._sink = sink
        self._root = session_root
        self._on_idle = on_idle
        #: queueId -> S3 client with the queue role's keys; None: this worker syncs no attachments.
        self._s3_for_queue = s3_for_queue
        #: The worker instance's mark (process_guard.py): its processes end when the worker does.
        self._process_env = process_env or {}
        #: The host's GPUs, when it has some: the session holds the cards its step asks for (gpu_holds.py).
        self._gpu_holds = gpu_holds
        self._attachments: job_attachments.SessionAttachments | None = None
        self._cond = threading.Condition()
        self._queue: list[Action] = []
        self._finished: set[str] = set()
        self._running: Action | None = None
        self._started: datetime | None = None
        self._launched = False
        self._cancel_reason: str | None = None  # "canceled" | "interrupt" | "dropped"
        self._stopping = False
        self._interrupt_message = ""
        self._grace: timedelta | None = None
        self._done = threading.Event()
        self._final: ActionStatus | None = None
        self._openjd: Session | None = None
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"session-{self.session_id[-6:]}", daemon=True)

    # --- called by the scheduler thread ----------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def replace_queue(self, actions: list[Action]) -> None:
        """The server's list is the queue (docs/compatibility.md): new ids appended, missing ones dropped.
        The running action and anything this worker already finished are never queued again."""
        with self._cond:
            if self._stopping:
                return
            running = self._running.action_id if self._running else None
            self._queue = [a for a in actions if a.action_id != running and a.action_id not in self._finished]
            self._cond.notify_all()

    def cancel(self, action_ids: set[str]) -> None:
        """Cancel the running action if it is listed; listed queued ids are the server's to drop."""
        with self._cond:
            running = self._running
            if running is None or running.action_id not in action_ids or self._cancel_reason:
                return
            self._cancel_reason = "canceled"
            launched = self._launched
        self._sink.line(f"Canceling session action {running.action_id} as the service asked.")
        if launched:
            self._cancel_openjd(None)

    def stop(self, interrupt_message: str | None = None, grace: timedelta | None = None) -> None:
        """Wind the session down. With a message (worker shutdown) the running action is interrupted and
        reported, and queued actions are reported NEVER_ATTEMPTED; without one (the server dropped the
        session) nothing more is reported."""
        with self._cond:
            self._stopping = True
            self._interrupt_message = interrupt_message or ""
            self._grace = grace if interrupt_message else timedelta(0)
            running, launched = self._running, self._launched
            if running is not None and self._cancel_reason is None:
                self._cancel_reason = "interrupt" if interrupt_message else "dropped"
            self._cond.notify_all()
        if running is not None and launched:
            self._cancel_openjd(self._grace)

    def hurry(self) -> None:
        """Second signal: kill whatever runs now, without the notify period."""
        with self._cond:
            self._grace = timedelta(0)
            launched = self._launched and self._running is not None
        if launched or (self._openjd is not None and self._openjd.state == SessionState.RUNNING):
            self._cancel_openjd(timedelta(0))

    def idle(self) -> bool:
        with self._cond:
            return self._running is None and not self._queue

    def has_queued(self) -> bool:
        """Whether an action waits to start after the running one (the server need not be asked yet)."""
        with self._cond:
            return bool(self._queue)

    # --- the session thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            try:
                self._open()
            except retries.Stopped:
                self._wait_for_stop()
            except Exception as error:  # noqa: BLE001 - any setup failure fails the session, not the worker
                self._fail_everything(f"The session could not start on this worker: {error}")
            while (action := self._next()) is not None:
                try:
                    self._execute(action)
                except Exception as error:  # noqa: BLE001 - a worker bug fails the action, not the session
                    log.exception("session %s: error running %s", self.session_id, action.action_id)
                    if action.action_id not in self._finished:
                        self._finish(action, reports.failed(self._started or utcnow(), utcnow(),
                                                            f"Farmstead worker error: {error}"))
                    self._abandon_queue(f"An earlier action of the session ({action.action_id}) failed.")
                if self.idle():
                    self._on_idle()
            self._wind_down()
        except Exception:  # noqa: BLE001
            log.exception("session %s: unexpected error", self.session_id)
        finally:
            if self._gpu_holds is not None:
                self._gpu_holds.release(self.session_id)
            self.ended.set()
            self._on_idle()

    def _wait_for_stop(self) -> None:
        with self._cond:
            while not self._stopping:
                self._cond.wait()

    def _open(self) -> None:
        with self._cond:
            queued = list(self._queue)
        # The job's details and what the queued actions need in one BatchGetJobEntity call: a new
        # session's first action starts a round trip sooner than with the job's details alone.
        self._prefetch(queued, identifier("jobDetails", jobId=self.ids["jobId"]))
        details = self._entities.job_details(self.ids["jobId"])
        decision = session_inputs.run_as(details.get("jobRunAsUser"), euid=os.geteuid() if hasattr(os, "geteuid")
                                         else -1, current_user=_current_user(),
                                         has_sudo=shutil.which("sudo") is not None)
        if decision.note:
            self._sink.line(decision.note)
        user = PosixSessionUser(decision.user, group=decision.group) if decision.user else None
        self._root.mkdir(parents=True, exist_ok=True)
        rules = list(details.get("pathMappingRules") or [])
        self._attachments = job_attachments.for_session(
            details, lambda: self._entities.attachments(self.ids["jobId"]), self._s3_for_queue, self.ids["queueId"],
            self._root / f"{self.session_id}-attachments")
        if self._attachments is not None:
            rules += self._attachments.path_mapping_rules()
        pinned = self._take_gpus(queued)
        self._openjd = Session(
            session_id=self.session_id,
            job_parameter_values=session_inputs.parameter_values(details.get("parameters")),
            path_mapping_rules=session_inputs.path_mapping_rules(rules),
            user=user, callback=self._callback, os_env_vars={**session_inputs.session_env(self.ids),
                                                             **self._process_env, **pinned},
            session_root_directory=self._root,
            revision_extensions=RevisionExtensions(spec_rev=SpecificationRevision.v2023_09,
                                                   supported_extensions=details.get("extensions") or []))

    def _take_gpus(self, queued: list[Action]) -> dict[str, str]:
        """The variables that pin the session to the cards its step asks for, once they are free (a
        session is one step's: docs/sessions.md); on a host without GPUs, none."""
        if self._gpu_holds is None:
            return {}
        gpu_min = self._gpu_min(queued)
        cards = self._gpu_holds.wait(self.session_id, gpu_min, lambda: self._stopping, self._sink.line)
        if cards is None:
            raise retries.Stopped()
        self._sink.line(f"GPUs for this session: {','.join(str(card.index) for card in cards) or 'none'}"
                        + (f" (a {gpu_min:g} share)" if gpus.request_of(gpu_min, 0).share else ""))
        return gpus.pinning(cards, host_has_gpus=True)

    def _gpu_min(self, queued: list[Action]) -> float | None:
        """The `amount.worker.gpu` minimum of the session's step (found from its queued actions); None
        when the step has no such requirement."""
        step_id = next((action.fields["stepId"] for action in queued if action.fields.get("stepId")), None)
        if step_id is None:
            step_id = next((action.fields["environmentId"].split(":")[1] for action in queued
                            if str(action.fields.get("environmentId", "")).startswith("STEP:")), None)
        if step_id is None:
            return None
        details = self._entities.get(identifier("stepDetails", jobId=self.ids["jobId"], stepId=step_id))
        return gpus.gpu_min_of(details.get("template") or {})

    def _next(self) -> Action | None:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if self._stopping:
                return None
            action = self._queue.pop(0)
            self._running, self._started, self._launched = action, utcnow(), False
            self._cancel_reason, self._final = None, None
            self._done.clear()
            queued = list(self._queue)
        self._reports.put(action.action_id, reports.running(self._started, self._started))
        self._prefetch([action, *queued])
        return action

    def _prefetch(self, actions: list[Action], *also: dict) -> None:
        """Fetch the entities `actions` need (and `also` these) in as few calls as possible; what is
        cached already is not asked for again."""
        job_id = self.ids["jobId"]
        wanted = list(also)
        for action in actions:
            if action.kind == "taskRun":
                wanted.append(identifier("stepDetails", jobId=job_id, stepId=action.fields["stepId"]))
            elif action.kind in ("envEnter", "envExit"):
                wanted.append(identifier("environmentDetails", jobId=job_id,
                                         environmentId=action.fields["environmentId"]))
        try:
            self._entities.prefetch(wanted)
        except retries.Stopped:
            return  # shutting down: the action's own fetch says so again
        except Exception as error:  # noqa: BLE001 - the action that needs the entity reports the failure
            log.warning("session %s: prefetching job entities failed: %s", self.session_id, error)

    def _execute(self, action: Action) -> None:
        started = self._started or utcnow()
        try:
            if self._cancel_reason is None:
                launched = self._launch(action)
            else:
                launched = False
        except retries.Stopped:  # the worker is stopping while this action waited for its entities
            launched = False
            with self._cond:
                self._cancel_reason = self._cancel_reason or "interrupt"
                self._interrupt_message = self._interrupt_message or "Farmstead worker is stopping"
        except Exception as error:  # noqa: BLE001 - a bad entity or template fails this action only
            self._sink.line(f"ERROR: session action {action.action_id} failed before it ran: {error}")
            self._finish(action, reports.failed(started, utcnow(), str(error)))
            self._abandon_queue(f"An earlier action of the session ({action.action_id}) failed.")
            return
        if launched is True:
            with self._cond:
                self._launched = True
                pending_cancel = self._cancel_reason is not None
            if pending_cancel:
                self._cancel_openjd(self._grace if self._cancel_reason == "interrupt" else None)
            status = self._wait()
        elif isinstance(launched, dict):
            self._finish(action, launched)
            if launched["completedStatus"] != CompletedStatus.SUCCEEDED:
                self._abandon_queue(f"An earlier action of the session ({action.action_id}) failed.")
            return
        else:  # canceled or stopped before anything ran
            status = ActionStatus(state=ActionState.CANCELED)
        self._conclude(action, started, status)

    def _launch(self, action: Action) -> bool | dict[str, Any]:
        """Start the action in openjd; True when a process (or openjd action) runs, else its final report."""
        session, job_id = self._openjd, self.ids["jobId"]
        assert session is not None
        env = session_inputs.action_env(action.action_id, action.fields.get("taskId"))
        if action.kind == "envEnter":
            environment_id = action.fields["environmentId"]
            session.enter_environment(environment=self._entities.environment(job_id, environment_id),
                                      identifier=environment_id, os_env_vars=env, step_name=self._step_name(
                                          environment_id),
                                      resolved_symtab=self._entities.environment_symbols(job_id, environment_id))
        elif action.kind == "envExit":
            environment_id = action.fields["environmentId"]
            if environment_id not in session.environments_entered:
                self._sink.line(f"Environment {environment_id} was never entered; nothing to exit.")
                return reports.succeeded_without_process(self._started or utcnow(), utcnow())
            session.exit_environment(identifier=environment_id, os_env_vars=env,
                                     resolved_symtab=self._entities.environment_symbols(job_id, environment_id))
        elif action.kind == "taskRun":
            template = self._entities.step_template(job_id, action.fields["stepId"])
            if template.script is None:  # openjd-model refuses a step with neither a script nor a shorthand
                raise ValueError(f"Step {template.name} has no script to run.")
            session.run_task(step_script=template.script, step_name=template.name, os_env_vars=env,
                             task_parameter_values=session_inputs.parameter_values(action.fields.get("parameters")),
                             resolved_symtab=self._entities.step_symbols(job_id, action.fields["stepId"]))
        elif action.kind == "syncInputJobAttachments":
            return self._sync_attachments(action.fields.get("stepId"))
        else:
            raise ValueError(f"unknown session action kind {action.kind!r}")
        return True

    def _step_name(self, environment_id: str) -> str | None:
        """A step environment's step name (Step.Name for EXPR templates): the id is STEP:<stepId>:<name>."""
        scope, _, rest = environment_id.partition(":")
        step_id = rest.partition(":")[0]
        if scope != "STEP" or not step_id:
            return None
        return self._entities.step_template(self.ids["jobId"], step_id).name

    def _sync_attachments(self, step_id: str | None) -> dict[str, Any]:
        started = self._started or utcnow()
        if self._attachments is None:
            attachments = self._entities.attachments(self.ids["jobId"]).get("attachments") or {}
            if attachments.get("manifests"):
                return reports.failed(started, utcnow(), "The job has attachments but its queue has no "
                                      "jobAttachmentSettings (or this worker was started without S3 access).")
            return reports.succeeded_without_process(started, utcnow())
        try:
            # Without a stepId: the job's inputs. With one: what the steps it depends on wrote, into
            # the roots the job-level sync (listed first in the session) made.
            count = self._attachments.sync_step_outputs(self.ids, self._entities.get(identifier(
                "stepDetails", jobId=self.ids["jobId"], stepId=step_id)).get("dependencies") or []) \
                if step_id else self._attachments.sync_inputs()
        except Exception as error:  # noqa: BLE001 - S3 or manifest trouble fails this action only
            return reports.failed(started, utcnow(), f"Syncing job attachments failed: {error}")
        self._sink.line(f"Job attachments: {count} file(s) synced into {self._attachments.directory}")
        return reports.succeeded_without_process(started, utcnow())

    def _callback(self, session_id: str, status: ActionStatus) -> None:
        with self._cond:
            action, started = self._running, self._started
        if status.state == ActionState.RUNNING:
            if action is not None and started is not None:
                self._reports.put(action.action_id, reports.running(started, utcnow(), status))
            return
        self._final = status
        self._done.set()

    def _wait(self) -> ActionStatus:
        while not self._done.wait(1.0):
            session = self._openjd
            if session is not None and session.state not in (SessionState.RUNNING, SessionState.CANCELING):
                break  # a completion without a callback: read the session's own status
        status = self._final or (self._openjd.action_status if self._openjd else None)
        return status or ActionStatus(state=ActionState.FAILED, fail_message="the action ended without a status")

    def _conclude(self, action: Action, started: datetime, status: ActionStatus) -> None:
        reason, ended = self._cancel_reason, utcnow()
        if reason == "dropped":
            with self._cond:
                self._finished.add(action.action_id)
                self._running = None
            return
        if reason == "interrupt" and status.state != ActionState.SUCCESS:
            report = reports.interrupted(started, ended, self._interrupt_message, status.exit_code)
        else:
            report = reports.completed(started, ended, status)
            succeeded = report["completedStatus"] == CompletedStatus.SUCCEEDED
            if action.kind == "taskRun" and succeeded and self._attachments:
                report = self._upload_outputs(action, started, report)
        self._finish(action, report)
        if report["completedStatus"] != CompletedStatus.SUCCEEDED:
            self._abandon_queue(f"An earlier action of the session ({action.action_id}) did not succeed.")

    def _upload_outputs(self, action: Action, started: datetime, report: dict[str, Any]) -> dict[str, Any]:
        assert self._attachments is not None
        ids = {**self.ids, "stepId": action.fields["stepId"], "taskId": action.fields["taskId"]}
        try:
            uploaded = self._attachments.upload_outputs(ids, action.action_id, started)
        except Exception as error:  # noqa: BLE001 - the task's outputs are lost: the task did not succeed
            return reports.failed(started, utcnow(), f"Uploading job attachment outputs failed: {error}")
        self._sink.line(f"Job attachments: outputs of {action.action_id} uploaded for "
                        f"{sum(1 for entry in uploaded if entry)} root(s)")
        return {**report, "manifests": uploaded}

    def _finish(self, action: Action, report: dict[str, Any]) -> None:
        self._reports.put(action.action_id, report)
        with self._cond:
            self._finished.add(action.action_id)
            self._running = None
        line = f"Session action {action.action_id} {report['completedStatus']}"
        if "processExitCode" in report:
            line += f" (exit code {report['processExitCode']})"
        self._sink.line(line + (f": {report['progressMessage']}" if report.get("progressMessage") else ""))

    def _abandon_queue(self, reason: str) -> None:
        """After a failure or cancel only envExits still run; the rest is never attempted."""
        with self._cond:
            dropped = [a for a in self._queue if a.kind != "envExit"]
            self._queue = [a for a in self._queue if a.kind == "envExit"]
            self._finished.update(a.action_id for a in dropped)
        for action in dropped:
            self._reports.put(action.action_id, reports.never_attempted(reason))

    def _fail_everything(self, message: str) -> None:
        """Setup failed: the first action FAILED (start = end = now), all others NEVER_ATTEMPTED, and so
        is anything the server queues later (its envExits), until the session is dropped."""
        self._sink.line(f"ERROR: {message}")
        first = True
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                actions, self._queue = list(self._queue), []
                self._finished.update(a.action_id for a in actions)
            now = utcnow()
            for action in actions:
                report = reports.failed(now, now, message) if first else reports.never_attempted(message)
                self._reports.put(action.action_id, report)
                first = False
            self._on_idle()

    def _wind_down(self) -> None:
        with self._cond:
            queued, self._queue = self._queue, []
            interrupting = bool(self._interrupt_message)
            if interrupting:
                self._finished.update(a.action_id for a in queued if a.kind != "envExit")
        if interrupting:
            for action in queued:
                if action.kind != "envExit":
                    self._reports.put(action.action_id, reports.never_attempted(self._interrupt_message))
        session = self._openjd
        if session is not None:
            for environment_id in reversed(session.environments_entered):
                if not self._exit_locally(session, environment_id):
                    break
            session.cleanup()
        if self._attachments is not None:
            shutil.rmtree(self._attachments.directory, ignore_errors=True)
        self._sink.line("Session ended.")
        self._sink.close()

    def _exit_locally(self, session: Session, environment_id: str) -> bool:
        """Exit an environment nobody will hear about: the session is over for the server already."""
        if session.state not in (SessionState.READY, SessionState.READY_ENDING):
            return False
        self._done.clear()
        self._sink.line(f"Exiting environment {environment_id} as the session winds down.")
        try:
            session.exit_environment(identifier=environment_id)
        except Exception as error:  # noqa: BLE001
            self._sink.line(f"Could not exit environment {environment_id}: {error}")
            return False
        with self._cond:
            # On a worker stop the grace period bounds it; a session the server dropped gets the full time.
            budget = min(LOCAL_EXIT_SECONDS, self._grace.total_seconds()) \
                if self._interrupt_message and self._grace is not None else LOCAL_EXIT_SECONDS
        if not self._done.wait(budget):
            self._cancel_openjd(timedelta(0))
            self._done.wait(10)
        return True

    def _cancel_openjd(self, time_limit: timedelta | None) -> None:
        session = self._openjd
        if session is None:
            return
        try:
            session.cancel_action(time_limit=time_limit)
        except RuntimeError:
            pass  # it finished meanwhile
