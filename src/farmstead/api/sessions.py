"""Sessions and session actions: GetSession, ListSessions, ListSessionsForWorker, BatchGetSession,
UpdateSession, GetSessionAction, ListSessionActions, BatchGetSessionAction.

Owns: the read shapes of sessions and actions (docs/sessions.md) and UpdateSession(ENDED), which
records the target and asks the worker to stop what the session still has to do; the worker's
reports and UpdateWorkerSchedule's wind-down (envExits, then ENDED) finish the job.
Also the shapes a worker is given its actions in (`definition`, `session_log`), which GetSession
and GetSessionAction show too.
Must not: write SQL (store.session_reads/sessions do) or move tasks itself
(orchestration/worker_sessions.py and the task state machine do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy.engine import Row

from farmstead.api.batches import each_item
from farmstead.api.context import Context
from farmstead.api.jobs import require_job
from farmstead.api.registry import operation
from farmstead.api.workers import require_worker, worker_log
from farmstead.domain import log_names, worker_sessions
from farmstead.domain.statuses import SessionLifecycleStatus, SessionLifecycleTargetStatus
from farmstead.orchestration.worker_sessions import take_back_task
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict, not_found
from farmstead.store import session_reads, sessions
from farmstead.store.paging import position_of

#: Not-yet-finished actions UpdateSession takes back (CANCELING ones already are being stopped).
_UNFINISHED = worker_sessions.UNFINISHED


def require_session(ctx: Context, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Row:
    require_job(ctx, farm_id, queue_id, job_id)
    row = session_reads.session_in_job(ctx.conn, job_id, session_id)
    if row is None:
        raise not_found("session", session_id)
    return row


def require_action(ctx: Context, farm_id: str, queue_id: str, job_id: str, session_action_id: str) -> Row:
    require_job(ctx, farm_id, queue_id, job_id)
    row = session_reads.action_in_job(ctx.conn, job_id, session_action_id)
    if row is None:
        raise not_found("session-action", session_action_id)
    return row


# --- output shapes -------------------------------------------------------------------------------

def definition(action) -> dict[str, Any]:
    """An action's `definition` union, as the worker is given it and GetSessionAction shows it."""
    if action.kind == "taskRun":
        return {"taskRun": {"stepId": action.step_id, "taskId": action.task_id,
                            "parameters": action.parameters or {}}}
    if action.kind == "syncInputJobAttachments":
        return {"syncInputJobAttachments": {"stepId": action.step_id} if action.step_id else {}}
    return {action.kind: {"environmentId": action.environment_id}}


def session_log(session) -> shapes.LogConfiguration:
    """Where the worker uploads a session's log (its logConfiguration), as GetSession shows it."""
    return {"logDriver": "awslogs",
            "options": {"logGroupName": log_names.session_log_group(session.farm_id, session.queue_id),
                        "logStreamName": session.session_id},
            "parameters": {"interval": "15"}}


def session_summary(row) -> shapes.SessionSummary:
    return {"sessionId": row.session_id, "fleetId": row.fleet_id, "workerId": row.worker_id,
            "startedAt": row.started_at, "lifecycleStatus": row.lifecycle_status, "endedAt": row.ended_at,
            "targetLifecycleStatus": row.target_lifecycle_status, "updatedAt": row.updated_at,
            "updatedBy": row.updated_by}


def session_output(row) -> shapes.GetSessionResponse:
    # The session row carries farm, fleet and worker ids: the worker's own log configuration follows.
    return {**session_summary(row), "log": session_log(row), "hostProperties": row.host_properties,
            "workerLog": worker_log(row)}


def worker_session_summary(row) -> shapes.WorkerSessionSummary:
    return {"sessionId": row.session_id, "queueId": row.queue_id, "jobId": row.job_id, "startedAt": row.started_at,
            "lifecycleStatus": row.lifecycle_status, "endedAt": row.ended_at,
            "targetLifecycleStatus": row.target_lifecycle_status}


def action_summary(row) -> shapes.SessionActionSummary:
    return {"sessionActionId": row.session_action_id, "status": row.status, "startedAt": row.started_at,
            "endedAt": row.ended_at, "workerUpdatedAt": row.worker_updated_at,
            "progressPercent": row.progress_percent, "manifests": row.manifests,
            # The definition union's member is named by the row's kind column (envEnter, envExit, taskRun
            # or syncInputJobAttachments, store/schema.py), which mypy can't pick among the one-key TypedDicts.
            "definition": cast(shapes.SessionActionDefinitionSummary, definition(row))}


def action_output(row) -> shapes.GetSessionActionResponse:
    return {**action_summary(row), "definition": cast(shapes.SessionActionDefinition, definition(row)),
            "sessionId": row.session_id, "processExitCode": row.process_exit_code,
            "progressMessage": row.progress_message, "acquiredLimits": row.acquired_limits}


# --- sessions ------------------------------------------------------------------------------------

_SESSION_KEYS = ("farmId", "queueId", "jobId", "sessionId")
_ACTION_KEYS = ("farmId", "queueId", "jobId", "sessionActionId")


@operation("GetSession")
def get_session(ctx: Context, params: shapes.GetSessionRequest) -> shapes.GetSessionResponse:
    return session_output(require_session(ctx, params["farmId"], params["queueId"], params["jobId"],
                                          params["sessionId"]))


@operation("ListSessions")
def list_sessions(ctx: Context, params: shapes.ListSessionsRequest) -> shapes.ListSessionsResponse:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    after, limit = ctx.page_request()
    rows = session_reads.sessions_of_job(ctx.conn, params["jobId"], after, limit)
    items, more = ctx.paged(rows, limit, session_summary, lambda r: position_of(r.started_at, r.session_id))
    return {"sessions": items, **more}


@operation("ListSessionsForWorker")
def list_sessions_for_worker(ctx: Context,
                             params: shapes.ListSessionsForWorkerRequest) -> shapes.ListSessionsForWorkerResponse:
    worker = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    after, limit = ctx.page_request()
    rows = session_reads.sessions_of_worker(ctx.conn, worker.worker_id, after, limit)
    items, more = ctx.paged(rows, limit, worker_session_summary, lambda r: position_of(r.started_at, r.session_id))
    return {"sessions": items, **more}


@operation("BatchGetSession", access="AUTHENTICATED")
def batch_get_session(ctx: Context, params: shapes.BatchGetSessionRequest) -> shapes.BatchGetSessionResponse:
    def found(key: dict[str, str], _item: Mapping[str, Any]) -> shapes.BatchGetSessionItem:
        return {"farmId": key["farmId"], "queueId": key["queueId"], "jobId": key["jobId"],
                **session_output(require_session(ctx, *key.values()))}

    sessions_found, errors = each_item(ctx, params["identifiers"], _SESSION_KEYS, "VIEWER", found,
                                       error_codes=shapes.BatchGetSessionErrorCode, resource_type="session")
    return {"sessions": sessions_found, "errors": errors}


@operation("UpdateSession", write=True, access="MANAGER")
def update_session(ctx: Context, params: shapes.UpdateSessionRequest) -> shapes.UpdateSessionResponse:
    row = require_session(ctx, params["farmId"], params["queueId"], params["jobId"], params["sessionId"])
    if row.lifecycle_status == SessionLifecycleStatus.ENDED:
        raise conflict("STATUS_CONFLICT", "session", row.session_id,
                       f"Session {row.session_id} has already ended.", {"status": row.lifecycle_status})
    if row.target_lifecycle_status == SessionLifecycleTargetStatus.ENDED:
        return {}  # already winding down: asking again changes nothing
    sessions.update(ctx.conn, row.session_id, target_lifecycle_status=params["targetLifecycleStatus"],
                    lifecycle_status=SessionLifecycleStatus.UPDATE_IN_PROGRESS, updated_at=ctx.now, updated_by=ctx.who)
    # No new task is given to a session with this target (worker_sessions.advance_session winds it
    # down); what it still has is cancelled here, envExits excepted so entered environments are left.
    for action in sessions.pending_actions(ctx.conn, row.session_id):
        if action.kind == "taskRun" and action.status in _UNFINISHED:
            take_back_task(ctx.changes, action)
    # Tasks queued behind the running action are dropped and settled by the worker's heartbeats
    # (worker_sessions.settle_queued_cancels), not here: the worker may have finished the running
    # one and started the next since it last reported, and the task must not be handed out again.
    sessions.request_cancel_for_session_setup(ctx.conn, row.session_id)
    return {}


# --- session actions -----------------------------------------------------------------------------

@operation("GetSessionAction")
def get_session_action(ctx: Context, params: shapes.GetSessionActionRequest) -> shapes.GetSessionActionResponse:
    return action_output(require_action(ctx, params["farmId"], params["queueId"], params["jobId"],
                                        params["sessionActionId"]))


@operation("ListSessionActions")
def list_session_actions(ctx: Context, params: shapes.ListSessionActionsRequest) -> shapes.ListSessionActionsResponse:
    job = require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    session_id, task_id = params.get("sessionId"), params.get("taskId")
    if session_id is not None and session_reads.session_in_job(ctx.conn, job.job_id, session_id) is None:
        raise not_found("session", session_id)
    if task_id is not None and not session_reads.task_in_job(ctx.conn, job.job_id, task_id):
        raise not_found("task", task_id)
    after, limit = ctx.page_request()
    rows = session_reads.actions_of_job(ctx.conn, job.job_id, after, limit, session_id=session_id, task_id=task_id)
    items, more = ctx.paged(rows, limit, action_summary, session_reads.action_position)
    return {"sessionActions": items, **more}


@operation("BatchGetSessionAction", access="AUTHENTICATED")
def batch_get_session_action(ctx: Context,
                             params: shapes.BatchGetSessionActionRequest) -> shapes.BatchGetSessionActionResponse:
    def found(key: dict[str, str], _item: Mapping[str, Any]) -> shapes.BatchGetSessionActionItem:
        return {"farmId": key["farmId"], "queueId": key["queueId"], "jobId": key["jobId"],
                **action_output(require_action(ctx, *key.values()))}

    actions_found, errors = each_item(ctx, params["identifiers"], _ACTION_KEYS, "VIEWER", found,
                                      error_codes=shapes.BatchGetSessionActionErrorCode,
                                      resource_type="session-action")
    return {"sessionActions": actions_found, "errors": errors}
