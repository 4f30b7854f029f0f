"""Steps: GetStep, ListSteps, BatchGetStep, UpdateStep, ListStepDependencies, ListStepConsumers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.batches import each_item
from farmstead.api.context import Context, NextToken
from farmstead.api.jobs import refuse_while_archiving, require_job
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields
from farmstead.domain import job_lifecycles, task_states
from farmstead.domain.statuses import DependencyConsumerResolutionStatus, TaskRunStatus
from farmstead.orchestration import job_creation, task_updates
from farmstead.orchestration.deferral import Deferral
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict, not_found
from farmstead.store import blocklists, jobs, steps


def require_step(ctx: Context, farm_id: str, queue_id: str, job_id: str, step_id: str) -> tuple[Row, Row]:
    job = require_job(ctx, farm_id, queue_id, job_id)
    row = steps.get(ctx.conn, job_id, step_id)
    if row is None:
        raise not_found("step", step_id)
    return job, row


R = DependencyConsumerResolutionStatus


def _resolved(status: str) -> DependencyConsumerResolutionStatus:
    return R.RESOLVED if status == TaskRunStatus.SUCCEEDED else R.UNRESOLVED


def dependency_counts(ctx: Context, step_id: str) -> shapes.DependencyCounts:
    upstream = [_resolved(u.task_run_status) for u in steps.upstream_of(ctx.conn, step_id)]
    # A consumer's edge is resolved from its side once this step (its upstream) has succeeded.
    own = steps.get_status(ctx.conn, step_id)
    consumers = [_resolved(own) for _ in steps.consumers_of(ctx.conn, step_id)]
    return {"dependenciesResolved": upstream.count(R.RESOLVED), "dependenciesUnresolved": upstream.count(R.UNRESOLVED),
            "consumersResolved": consumers.count(R.RESOLVED), "consumersUnresolved": consumers.count(R.UNRESOLVED)}


def step_summary(ctx: Context, row: Row) -> shapes.StepSummary:
    return {
        "stepId": row.step_id, "name": row.name, "lifecycleStatus": row.lifecycle_status,
        "lifecycleStatusMessage": row.lifecycle_status_message, "taskRunStatus": row.task_run_status,
        "taskRunStatusCounts": steps.counts_of(row), "taskFailureRetryCount": row.task_failure_retry_count,
        "targetTaskRunStatus": row.target_task_run_status, **audit_fields(row),
        "startedAt": row.started_at, "endedAt": row.ended_at, "dependencyCounts": dependency_counts(ctx, row.step_id),
    }


def required_capabilities(host_requirements: Mapping[str, Any] | None) -> shapes.StepRequiredCapabilities | None:
    if not host_requirements:
        return None
    amounts: list[shapes.StepAmountCapability] = []
    for given in host_requirements.get("amounts", []):
        amount: shapes.StepAmountCapability = {"name": given["name"]}
        if "min" in given:
            amount["min"] = given["min"]
        if "max" in given:
            amount["max"] = given["max"]
        amounts.append(amount)
    attributes: list[shapes.StepAttributeCapability] = []
    for given in host_requirements.get("attributes", []):
        attribute: shapes.StepAttributeCapability = {"name": given["name"]}
        if "anyOf" in given:
            attribute["anyOf"] = given["anyOf"]
        if "allOf" in given:
            attribute["allOf"] = given["allOf"]
        attributes.append(attribute)
    return {"amounts": amounts, "attributes": attributes}


def step_output(ctx: Context, row: Row) -> shapes.GetStepResponse:
    output: shapes.GetStepResponse = {**step_summary(ctx, row), "parameterSpace": row.parameter_space,
                                      "description": row.description}
    capabilities = required_capabilities(row.host_requirements)
    if capabilities is not None:
        output["requiredCapabilities"] = capabilities
    return output


@operation("GetStep")
def get_step(ctx: Context, params: shapes.GetStepRequest) -> shapes.GetStepResponse:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    return step_output(ctx, row)


@operation("ListSteps")
def list_steps(ctx: Context, params: shapes.ListStepsRequest) -> shapes.ListStepsResponse:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    after, limit = ctx.page_request()
    rows = steps.page(ctx.conn, params["jobId"], after, limit)
    items, more = ctx.paged(rows, limit, lambda r: step_summary(ctx, r), lambda r: r.step_index)
    return {"steps": items, **more}


@operation("BatchGetStep", access="AUTHENTICATED")
def batch_get_step(ctx: Context, params: shapes.BatchGetStepRequest) -> shapes.BatchGetStepResponse:
    def found(key: dict[str, str], _item: Mapping[str, Any]) -> shapes.BatchGetStepItem:
        _, row = require_step(ctx, *key.values())
        return {"farmId": key["farmId"], "queueId": key["queueId"], "jobId": key["jobId"], **step_output(ctx, row)}

    steps_found, errors = each_item(ctx, params["identifiers"], ("farmId", "queueId", "jobId", "stepId"), "VIEWER",
                                    found, error_codes=shapes.BatchGetStepErrorCode, resource_type="step")
    return {"steps": steps_found, "errors": errors}


def _edges(ctx: Context, edges: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], NextToken]:
    """A page of (stepId, resolution status) edges."""
    after, limit = ctx.page_request()
    start = int(after or 0)
    return ctx.paged(edges[start:start + limit + 1], limit, lambda edge: edge, lambda _edge: start + limit)


@operation("ListStepDependencies")
def list_step_dependencies(ctx: Context,
                           params: shapes.ListStepDependenciesRequest) -> shapes.ListStepDependenciesResponse:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    upstream = steps.upstream_of(ctx.conn, row.step_id)
    edges, more = _edges(ctx, [(u.step_id, _resolved(u.task_run_status)) for u in upstream])
    return {"dependencies": [{"stepId": step_id, "status": status} for step_id, status in edges], **more}


@operation("ListStepConsumers")
def list_step_consumers(ctx: Context, params: shapes.ListStepConsumersRequest) -> shapes.ListStepConsumersResponse:
    _, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    # A consumer's edge is resolved once this step (what it waits for) has succeeded.
    own = _resolved(row.task_run_status)
    edges, more = _edges(ctx, [(c.step_id, own) for c in steps.consumers_of(ctx.conn, row.step_id)])
    return {"consumers": [{"stepId": step_id, "status": status} for step_id, status in edges], **more}


@operation("UpdateStep", write=True, access="MANAGER")
def update_step(ctx: Context, params: shapes.UpdateStepRequest) -> shapes.UpdateStepResponse:
    job, row = require_step(ctx, params["farmId"], params["queueId"], params["jobId"], params["stepId"])
    if not job_lifecycles.is_live(job.lifecycle_status):
        raise conflict("STATUS_CONFLICT", "job", job.job_id,
                       f"Job {job.job_id} is {job.lifecycle_status} and can't be updated.",
                       {"status": job.lifecycle_status})
    jobs.lock(ctx.conn, job.job_id)  # one request at a time queues changes for a job (PostgreSQL)
    refuse_while_archiving(ctx, job.job_id)
    target = params["targetTaskRunStatus"]
    deferral = Deferral(ctx.now)
    task_updates.apply_step_target(ctx.conn, job.job_id, row.step_id, target, ctx.now, ctx.who, deferral=deferral)
    if target in task_states.REQUEUE_TARGETS:
        blocklists.clear_job(ctx.conn, job.job_id)  # a requeue starts afresh (docs/self-managing.md)
        job_creation.check_requeued_job(ctx.conn, job.queue_id, job.job_id, ctx.now, deferral)
    if deferral.queued_jobs:
        ctx.signal("fan_out_queued")
    return {}


__all__ = ["require_step", "step_output"]
