"""Steps: GetStep, ListSteps, BatchGetStep, UpdateStep, ListStepDependencies, ListStepConsumers."""

from __future__ import annotations

from typing import Any

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.jobs import TERMINAL, UPDATABLE_LIFECYCLES, refuse_while_archiving, require_job
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields
from farmstead.orchestration import job_creation, task_updates
from farmstead.orchestration.deferral import Deferral
from farmstead.protocol.errors import ServiceError, conflict, not_found
from farmstead.store import jobs, steps


def require_step(ctx: Context, farm_id: str, queue_id: str, job_id: str, step_id: str):
    job = require_job(ctx, farm_id, queue_id, job_id)
    row = steps.get(ctx.conn, job_id, step_id)
    if row is None:
        raise not_found("step", step_id)
    return job, row


def _resolved(status: str) -> str:
    return "RESOLVED" if status == "SUCCEEDED" else "UNRESOLVED"


def dependency_counts(ctx: Context, step_id: str) -> dict[str, int]:
    upstream = [_resolved(u.task_run_status) for u in steps.upstream_of(ctx.conn, step_id)]
    # A consumer's edge is resolved from its side once this step (its upstream) has succeeded.
    own = steps.get_status(ctx.conn, step_id)
    consumers = [_resolved(own) for _ in steps.consumers_of(ctx.conn, step_id)]
    return {"dependenciesResolved": upstream.count("RESOLVED"), "dependenciesUnresolved": upstream.count("UNRESOLVED"),
            "consumersResolved": consumers.count("RESOLVED"), "consumersUnresolved": consumers.count("UNRESOLVED")}


def step_summary(ctx: Context, row) -> dict[str, Any]:
    return {
        "stepId": row.step_id, "name": row.name, "lifecycleStatus": row.lifecycle_status,
        "lifecycleStatusMessage": row.lifecycle_status_message, "taskRunStatus": row.task_run_status,
        "taskRunStatusCounts": steps.counts_of(row), "taskFailureRetryCount": row.task_failure_retry_count,
        "targetTaskRunStatus": row.target_task_run_status, **audit_fields(row),
        "startedAt": row.started_at, "endedAt": row.ended_at, "dependencyCounts": dependency_counts(ctx, row.step_id),
    }


def required_capabilities(host_requirements: dict | None) -> dict[str, list] | None:
    if not host_requirements:
        return None
    return {
        "amounts": [{k: v for k, v in a.items() if k in ("name", "min", "max")}
                    for a in host_requirements.get("amounts", [])],
        "attributes": [{k: v for k, v in a.items() if k in ("name", "anyOf", "allOf")}
                       for a in host_requirements.get("attributes", [])],
    }


def step_output(ctx: Context, row) -> dict[str, Any]:
    return {**step_summary(ctx, row), "requiredCapabilities": required_capabilities(row.host_requirements),
            "parameterSpace": row.parameter_space, "description": row.description}


@operation("GetStep")
def get_step(ctx: Context, params: dict) -> dict:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    return step_output(ctx, row)


@operation("ListSteps")
def list_steps(ctx: Context, params: dict) -> dict:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    after, limit = ctx.page_request()
    rows = steps.page(ctx.conn, params["jobId"], after, limit)
    return ctx.page("steps", rows, limit, lambda r: step_summary(ctx, r), lambda r: r.step_index)


@operation("BatchGetStep", access="AUTHENTICATED")
def batch_get_step(ctx: Context, params: dict) -> dict:
    found, errors = [], []
    for ident in params["identifiers"]:
        key = {k: ident[k] for k in ("farmId", "queueId", "jobId", "stepId")}
        try:
            authorize(ctx.conn, ctx.caller, "BatchGetStep", "VIEWER", key)
            _, row = require_step(ctx, *key.values())
        except ServiceError as err:
            errors.append({**key, "code": err.code, "message": err.message})
            continue
        found.append({"farmId": key["farmId"], "queueId": key["queueId"], "jobId": key["jobId"],
                      **step_output(ctx, row)})
    return {"steps": found, "errors": errors}


def _edges(ctx: Context, params: dict, rows, key: str) -> dict:
    after, limit = ctx.page_request()
    start = int(after or 0)
    window = rows[start:start + limit + 1]
    return ctx.page(key, window, limit, lambda r: {"stepId": r.step_id, "status": _resolved(r.task_run_status)},
                    lambda _r: start + limit)


@operation("ListStepDependencies")
def list_step_dependencies(ctx: Context, params: dict) -> dict:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    return _edges(ctx, params, steps.upstream_of(ctx.conn, row.step_id), "dependencies")


@operation("ListStepConsumers")
def list_step_consumers(ctx: Context, params: dict) -> dict:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    own = row.task_run_status
    consumers = [type("Edge", (), {"step_id": c.step_id, "task_run_status": own}) for c in
                 steps.consumers_of(ctx.conn, row.step_id)]
    return _edges(ctx, params, consumers, "consumers")


@operation("UpdateStep", write=True, access="MANAGER")
def update_step(ctx: Context, params: dict) -> dict:
    job, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    if job.lifecycle_status not in UPDATABLE_LIFECYCLES:
        raise conflict("STATUS_CONFLICT", "job", job.job_id,
                       f"Job {job.job_id} is {job.lifecycle_status} and can't be updated.",
                       {"status": job.lifecycle_status})
    jobs.lock(ctx.conn, job.job_id)  # one request at a time queues changes for a job (PostgreSQL)
    refuse_while_archiving(ctx, job.job_id)
    target = params["targetTaskRunStatus"]
    deferral = Deferral(ctx.now)
    task_updates.apply_step_target(ctx.conn, job.job_id, row.step_id, target, ctx.now, ctx.who, deferral=deferral)
    if target in job_creation.REQUEUE_TARGETS:
        job_creation.check_requeued_job(ctx.conn, job.queue_id, job.job_id, ctx.now, deferral)
    if deferral.queued_jobs:
        ctx.signal("fan_out_queued")
    return {}


__all__ = ["TERMINAL", "require_step", "step_output"]
