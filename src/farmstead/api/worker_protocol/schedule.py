"""UpdateWorkerSchedule: a worker's reports in, its sessions and their actions out.

Owns the operation (docs/sessions.md; the official agent's side: docs/compatibility.md): the worker
marked seen and checked STARTED or STOPPING, the engine's three steps in order
(orchestration/worker_sessions.py: reports, open sessions, a new session) on the transaction's task
changes (`ctx.changes`), and the answer: assignedSessions, cancelSessionActions,
updateIntervalSeconds and, for a STOPPING worker with nothing left, desiredWorkerStatus STOPPED.
Must not: move tasks or sessions itself (the engine does) or write SQL.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.engine import Connection

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.sessions import definition, session_log
from farmstead.api.workers import WORKER_ACCESS, require_worker
from farmstead.domain import worker_holds, worker_states
from farmstead.domain.host_requirements import worker_satisfies
from farmstead.domain.scheduling import queue_depth
from farmstead.domain.statuses import DesiredWorkerStatus, SessionActionStatus
from farmstead.domain.worker_sessions import dropped
from farmstead.orchestration.worker_sessions import advance_session, apply_report, candidate_steps_for, start_session
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict
from farmstead.store import dispatch, limits, sessions, workers

#: Workers this process last answered with nothing to run: a hint of which calls are worth reading
#: candidate steps ahead for, never trusted for what the answer says (see above). Bounded.
_IDLE_WHEN_LAST_ANSWERED: set[str] = set()
_MOST_REMEMBERED = 200_000


@operation("UpdateWorkerSchedule", write=True, access=WORKER_ACCESS)
def update_worker_schedule(ctx: Context,
                           params: shapes.UpdateWorkerScheduleRequest) -> shapes.UpdateWorkerScheduleResponse:
    since = ctx.wakeup_mark()  # before any read: a wake-up after it releases the hold below
    # The worker row is locked (by this UPDATE) as it is read: on PostgreSQL the liveness sweep of
    # another replica may be declaring this worker lost and giving its tasks back right now; read
    # first, the heartbeat would go on with the status from before and open a session nobody releases.
    reports = params.get("updatedSessionActions") or {}
    changes = ctx.changes  # the rows and counters this call changes, written together
    # An idle worker's call (nothing to report, and idle when this process last answered it): on
    # PostgreSQL the steps it could start on are read in the same round trip as its row
    # (store/pipelines.py), and used only if the call changes nothing before it looks for work (no
    # reports, no open session). A busy worker's call does not read them for nothing.
    along = [] if reports or params["workerId"] not in _IDLE_WHEN_LAST_ANSWERED else [
        candidate_steps_for(changes, params["fleetId"], params["workerId"])]
    worker, ahead = workers.touch_with(ctx.conn, params["farmId"], params["fleetId"], params["workerId"], ctx.now,
                                       along)
    if worker is None:
        require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])  # raises: not found
        raise AssertionError("require_worker found a worker the heartbeat could not mark seen")
    if not worker_states.is_working(worker.status):
        raise conflict("STATUS_CONFLICT", "worker", worker.worker_id,
                       f"Worker {worker.worker_id} is {worker.status}; start it with UpdateWorker first.",
                       {"status": worker.status})
    run_seconds: dict[str, list[float]] = {}
    if reports:
        changes.prefetch(list(reports))
    for action_id, report in reports.items():
        ran = apply_report(changes, worker.worker_id, action_id, report)
        if ran is not None:
            run_seconds.setdefault(ran[0], []).append(ran[1])
    # The sessions below read their actions' statuses; the counters move once, with theirs.
    changes.defer_counters()
    # Only this worker's heartbeat opens its sessions (and holds its row while it does).
    open_sessions = sessions.open_for_worker(ctx.conn, worker.worker_id) if worker.open_sessions else []
    still_open = [advance_session(changes, session, worker, depth=queue_depth(run_seconds.get(session.session_id, [])))
                  for session in open_sessions]
    changes.flush()  # before dispatch reads the counters to choose a new session
    # A worker an operator holds (drain, disable: domain/worker_holds) gets no new session.
    opened = worker_holds.takes_new_work(worker.status, worker.hold) and worker.worker_id not in changes.newly_held \
        and not any(still_open) and start_session(changes, worker, candidate_rows=(
            ahead[0].rows if ahead and not open_sessions else None))
    # An idle worker that got no work has no sessions to list: no need to read them again.
    idle = not still_open and not opened
    if idle:
        if len(_IDLE_WHEN_LAST_ANSWERED) >= _MOST_REMEMBERED:
            _IDLE_WHEN_LAST_ANSWERED.clear()  # a hint only: forgetting costs the next calls a round trip
        _IDLE_WHEN_LAST_ANSWERED.add(worker.worker_id)
    else:
        _IDLE_WHEN_LAST_ANSWERED.discard(worker.worker_id)
    if idle and ctx.woken_by_work() and _ready_work_it_cannot_run(ctx.conn, worker):
        # Released for new work it may not run: another held call is released instead, so no READY
        # task waits for a poll while a worker that may run it is held (docs/protocol.md).
        ctx.pass_on_wakeup()
    # The sessions to list: none when idle; the ones still open when none was opened (only this
    # call ends or opens this worker's sessions, its row locked); read afresh after an opening.
    listed = [] if idle else None if opened else [
        session for session, still in zip(open_sessions, still_open, strict=True) if still]
    output = schedule_output(ctx.conn, worker, ctx.settings.update_interval_seconds, open_sessions=listed)
    if idle and "desiredWorkerStatus" not in output:
        # Nothing to run, nothing to cancel (no open session): the answer may wait for work for its
        # fleet or a change of its own row, and is then made afresh (docs/protocol.md).
        ctx.hold_idle_worker((worker.worker_id, worker.fleet_id), since)
    return output


def _ready_work_it_cannot_run(conn: Connection, worker) -> bool:
    """Whether the fleet has READY work whose host requirements the worker does not meet. Work it
    meets yet did not get went to another worker's claim, or is held back for every worker alike (a
    limit, the job's maxWorkerCount): passing the wake-up on would only wake a worker for nothing."""
    return any(row.host_requirements and not worker_satisfies(
        row.host_requirements, worker.capabilities or {},
        limit_amount_names=limits.amount_names_for_queue(conn, row.queue_id))
        for row in dispatch.candidate_steps(conn, worker.fleet_id))


def schedule_output(conn: Connection, worker, update_interval_seconds: int, *,
                    open_sessions: list | None = None) -> shapes.UpdateWorkerScheduleResponse:
    """The answer; `open_sessions` when the caller knows them (else they are read)."""
    assigned: dict[str, shapes.AssignedSession] = {}
    cancel: dict[str, list[str]] = {}
    if open_sessions is None:
        open_sessions = sessions.open_for_worker(conn, worker.worker_id)
    for session in open_sessions:
        listed: list[shapes.AssignedSessionAction] = []
        for action in sessions.pending_actions(conn, session.session_id):
            if dropped(action):
                continue  # off its queue (settle_queued_cancels); had it started, its report says so
            if action.status == SessionActionStatus.CANCELING:
                cancel.setdefault(session.session_id, []).append(action.session_action_id)
            # The definition union's member is named by the row's kind column (api/sessions.definition).
            listed.append({"sessionActionId": action.session_action_id,
                           "definition": cast(shapes.AssignedSessionActionDefinition, definition(action))})
        assigned[session.session_id] = {
            "queueId": session.queue_id, "jobId": session.job_id, "sessionActions": listed,
            "logConfiguration": session_log(session)}
    output: shapes.UpdateWorkerScheduleResponse = {"assignedSessions": assigned, "cancelSessionActions": cancel,
                                                   "updateIntervalSeconds": update_interval_seconds}
    if worker_holds.told_to_stop(worker.status, worker.hold, holds_sessions=bool(assigned)):
        output["desiredWorkerStatus"] = DesiredWorkerStatus.STOPPED
    return output
