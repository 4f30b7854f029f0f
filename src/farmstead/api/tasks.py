"""Tasks: GetTask, ListTasks, BatchGetTask, UpdateTask, BatchUpdateTask."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.batches import each_item
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.steps import require_step
from farmstead.domain import job_lifecycles, task_states
from farmstead.domain.task_states import IllegalTransition
from farmstead.orchestration import job_creation, task_updates
from farmstead.orchestration.deferral import Deferral
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict, not_found
from farmstead.store import blocklists, fan_outs, tasks


def require_task(ctx: Context, farm_id: str, queue_id: str, job_id: str, step_id: str,
                 task_id: str) -> tuple[Row, Row, Row]:
    job, step = require_step(ctx, farm_id, queue_id, job_id, step_id)
    row = tasks.get(ctx.conn, step_id, task_id)
    if row is None:
        raise not_found("task", task_id)
    return job, step, row


def task_output(step: Row, row: Row) -> shapes.GetTaskResponse:
    # Tasks are created with their step: they share its creation time and creator.
    return {
        "taskId": row.task_id, "createdAt": step.created_at, "createdBy": step.created_by,
        "runStatus": row.run_status, "targetRunStatus": row.target_run_status,
        "failureRetryCount": row.failure_retry_count, "startedAt": row.started_at, "endedAt": row.ended_at,
        "updatedAt": row.updated_at, "updatedBy": row.updated_by, "latestSessionActionId": row.latest_session_action_id,
        "parameters": row.parameters,
    }


@operation("GetTask")
def get_task(ctx: Context, params: shapes.GetTaskRequest) -> shapes.GetTaskResponse:
    _, step, row = require_task(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"],
                                params["taskId"])
    return task_output(step, row)


@operation("ListTasks")
def list_tasks(ctx: Context, params: shapes.ListTasksRequest) -> shapes.ListTasksResponse:
    _, step = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    after, limit = ctx.page_request()
    rows = tasks.page(ctx.conn, step.step_id, after, limit)
    items, more = ctx.paged(rows, limit, lambda r: task_output(step, r), lambda r: r.task_index)
    return {"tasks": items, **more}


_KEYS = ("farmId", "queueId", "jobId", "stepId", "taskId")


@operation("BatchGetTask", access="AUTHENTICATED")
def batch_get_task(ctx: Context, params: shapes.BatchGetTaskRequest) -> shapes.BatchGetTaskResponse:
    def found(key: dict[str, str], _item: Mapping[str, Any]) -> shapes.BatchGetTaskItem:
        _, step, row = require_task(ctx, *key.values())
        return {"farmId": key["farmId"], "queueId": key["queueId"], "jobId": key["jobId"], "stepId": key["stepId"],
                **task_output(step, row)}

    tasks_found, errors = each_item(ctx, params["identifiers"], _KEYS, "VIEWER", found,
                                    error_codes=shapes.BatchGetTaskErrorCode, resource_type="task")
    return {"tasks": tasks_found, "errors": errors}


def _update(ctx: Context, key: Mapping[str, Any], target: str) -> None:
    job, step, row = require_task(ctx, *(key[k] for k in _KEYS))
    if not job_lifecycles.is_live(job.lifecycle_status):
        raise conflict("STATUS_CONFLICT", "job", job.job_id,
                       f"Job {job.job_id} is {job.lifecycle_status} and can't be updated.",
                       {"status": job.lifecycle_status})
    if fan_outs.has_pending(ctx.conn, job.job_id):
        # A change queued for the whole job or step would reach this task after this one, and undo it.
        raise conflict("CONCURRENT_MODIFICATION", "job", job.job_id,
                       f"Job {job.job_id} is applying an earlier change to its tasks (lifecycleStatus "
                       f"{job.lifecycle_status}); update the task once it is done.",
                       {"status": job.lifecycle_status})
    try:
        task_updates.apply_task_target(ctx.conn, job.job_id, step.step_id, row, target, ctx.now, ctx.who)
    except IllegalTransition as exc:
        raise conflict("STATUS_CONFLICT", "task", row.task_id, str(exc), {"status": row.run_status}) from None
    if target in task_states.REQUEUE_TARGETS:
        blocklists.clear_task(ctx.conn, row.task_id)  # any worker may run it again (docs/self-managing.md)
        deferral = Deferral(ctx.now)  # marking a large job NOT_COMPATIBLE again is queued
        job_creation.check_requeued_job(ctx.conn, job.queue_id, job.job_id, ctx.now, deferral)
        if deferral.queued_jobs:
            ctx.signal("fan_out_queued")


@operation("UpdateTask", write=True, access="MANAGER")
def update_task(ctx: Context, params: shapes.UpdateTaskRequest) -> shapes.UpdateTaskResponse:
    _update(ctx, params, params["targetRunStatus"])
    return {}


@operation("BatchUpdateTask", write=True, access="AUTHENTICATED")
def batch_update_task(ctx: Context, params: shapes.BatchUpdateTaskRequest) -> shapes.BatchUpdateTaskResponse:
    def update(key: dict[str, str], item: Mapping[str, Any]) -> None:
        _update(ctx, key, item["targetRunStatus"])

    _, errors = each_item(ctx, params["tasks"], _KEYS, "MANAGER", update, write=True,
                          error_codes=shapes.BatchUpdateTaskErrorCode, resource_type="task")
    return {"errors": errors}
