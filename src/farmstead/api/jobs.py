"""Jobs: CreateJob, GetJob, ListJobs, BatchGetJob, UpdateJob, BatchUpdateJob, ListJobParameterDefinitions
(CopyJobTemplate is in job_template_copies.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.authorization import authorize
from farmstead.api.batches import each_item
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_queue
from farmstead.domain import job_dependencies, job_lifecycles, job_templates, rollup, task_states
from farmstead.domain.attachment_paths import attachment_path_problems
from farmstead.domain.statuses import CreateJobTargetTaskRunStatus, JobLifecycleStatus, UpdateJobLifecycleStatus
from farmstead.ids import new_id
from farmstead.orchestration import events, job_creation, task_updates
from farmstead.orchestration import fan_outs as job_fan_outs
from farmstead.orchestration.deferral import Deferral
from farmstead.protocol import shapes
from farmstead.protocol.errors import (
    ServiceError,
    access_denied,
    conflict,
    not_found,
    quota_exceeded,
    throttled,
    validation_error,
)
from farmstead.store import blocklists, fan_outs, jobs, memberships, tags
from farmstead.store import job_dependencies as job_dependency_rows
from farmstead.store.paging import position_of

#: What AWS clients send when the caller gives nothing (deadline-cloud's job-retry-and-failure-defaults).
DEFAULT_MAX_FAILED_TASKS = 20
DEFAULT_MAX_RETRIES_PER_TASK = 5


def require_job(ctx: Context, farm_id: str, queue_id: str, job_id: str) -> Row:
    # One query on the hit path (the job row carries its farm and queue); only a miss looks at the
    # parents, to name the outermost thing that is missing.
    row = jobs.get(ctx.conn, farm_id, queue_id, job_id)
    if row is None:
        require_queue(ctx, farm_id, queue_id)
        raise not_found("job", job_id)
    return row


def job_summary(row: Row) -> shapes.JobSummary:
    return {
        "jobId": row.job_id, "name": row.name, "lifecycleStatus": row.lifecycle_status,
        "lifecycleStatusMessage": row.lifecycle_status_message, "priority": row.priority,
        **audit_fields(row), "startedAt": row.started_at, "endedAt": row.ended_at,
        "taskRunStatus": row.task_run_status, "targetTaskRunStatus": row.target_task_run_status,
        "taskRunStatusCounts": jobs.counts_of(row), "taskFailureRetryCount": row.task_failure_retry_count,
        "maxFailedTasksCount": row.max_failed_tasks_count, "maxRetriesPerTask": row.max_retries_per_task,
        "maxWorkerCount": row.max_worker_count, "sourceJobId": row.source_job_id,
    }


def job_output(row: Row) -> shapes.GetJobResponse:
    return {**job_summary(row), "storageProfileId": row.storage_profile_id, "parameters": row.parameters,
            "attachments": row.attachments, "description": row.description}


# --- CreateJob ---------------------------------------------------------------------------------------
# Staged (api/registry.py): the template is parsed and the job planned in the prepare stage, in a
# worker thread with no transaction held, so a large template neither holds the write lock nor
# stops the event loop; the handler then stores the plan in one short write transaction.

@dataclass(frozen=True)
class _Submission:
    template_text: str
    template_type: str
    environments: list[dict]
    plan: job_templates.JobPlan
    source_attachments: Any


def _prepare_create_job(ctx: Context, params: shapes.CreateJobRequest) -> Callable[[], _Submission]:
    farm_id, queue_id = params["farmId"], params["queueId"]
    require_queue(ctx, farm_id, queue_id)
    source = None
    if "sourceJobId" in params:
        source = jobs.get(ctx.conn, farm_id, queue_id, params["sourceJobId"])
        if source is None:
            raise not_found("job", params["sourceJobId"])
    template_text, template_type = params.get("template"), params.get("templateType")
    if template_text is None:
        if source is None:
            raise validation_error("Either template or sourceJobId must be given.",
                                   [{"name": "template", "message": "Missing required member"}])
        template_text, template_type = source.template, source.template_type
    elif template_type is None:
        raise validation_error("templateType is required with template.",
                               [{"name": "templateType", "message": "Missing required member"}])
    if params.get("maxWorkerCount") == 0:
        raise validation_error("maxWorkerCount can't be 0; use -1 for no maximum.",
                               [{"name": "maxWorkerCount", "message": "Member must not be 0"}])
    _check_attachment_paths(params.get("attachments"))
    environments = job_creation.queue_environment_templates(ctx.conn, queue_id)
    parameters = params.get("parameters")
    if parameters is None and source is not None:
        parameters = _submitted_parameters(source)
    source_attachments = source.attachments if source else None
    max_tasks = ctx.settings.max_tasks_per_job

    def plan() -> _Submission:
        return _Submission(template_text, template_type, environments,
                           _plan(template_text, template_type, parameters or {}, environments, params, max_tasks),
                           source_attachments)
    return plan


def _check_attachment_paths(attachments: Mapping[str, Any] | None) -> None:
    problems = attachment_path_problems(attachments)
    if problems:
        raise validation_error(
            "Attachment paths must stay inside their root: " + "; ".join(f"{n}: {m}" for n, m in problems[:5]),
            [{"name": name, "message": message} for name, message in problems])


def _plan(template_text: str, template_type: str, parameters: dict, environments: list[dict],
          params: shapes.CreateJobRequest, max_tasks: int) -> job_templates.JobPlan:
    try:
        template = job_templates.parse_template(template_text, template_type)
    except job_templates.TemplateError as exc:
        raise validation_error(f"Invalid job template: {exc}", [{"name": "template", "message": str(exc)}]) from None
    try:
        return job_templates.plan_job(template, parameters, queue_environment_templates=environments,
                                      name_override=params.get("nameOverride"),
                                      description_override=params.get("descriptionOverride"), max_tasks=max_tasks)
    except job_templates.TemplateError as exc:
        raise validation_error(f"Invalid job template: {exc}", [{"name": "template", "message": str(exc)}]) from None
    except job_templates.ParameterError as exc:
        raise validation_error(f"Invalid job parameters: {exc}",
                               [{"name": exc.field_name, "message": str(exc)}]) from None
    except job_templates.TaskQuotaExceeded as exc:
        raise quota_exceeded("job", f"The job would have {exc.task_count} tasks; the quota is {exc.limit} per job.",
                             "deadline-tasks-per-job") from None


@operation("CreateJob", write=True, access="CONTRIBUTOR", prepare=_prepare_create_job)
def create_job(ctx: Context, params: shapes.CreateJobRequest) -> shapes.CreateJobResponse:
    farm_id, queue_id = params["farmId"], params["queueId"]
    submission: _Submission = ctx.prepared
    plan = submission.plan
    queue = require_queue(ctx, farm_id, queue_id)
    if job_creation.queue_environment_templates(ctx.conn, queue_id) != submission.environments:
        # The plan merged the queue's environments as they were a moment ago; planning again here
        # would hold the write lock for as long as planning takes. The client retries.
        raise throttled("The queue's environments changed while the job was being planned; retry.")
    source_storage_profile = None
    if "sourceJobId" in params:
        source = jobs.get(ctx.conn, farm_id, queue_id, params["sourceJobId"])
        if source is None:
            raise not_found("job", params["sourceJobId"])
        source_storage_profile = source.storage_profile_id
    storage_profile_id = params.get("storageProfileId", source_storage_profile)
    allowed = (queue.attributes or {}).get("allowedStorageProfileIds") or []
    if storage_profile_id is not None and storage_profile_id not in allowed:
        raise validation_error(f"Storage profile {storage_profile_id} is not allowed by queue {queue_id}.",
                               [{"name": "storageProfileId",
                                 "message": "Not one of the queue's allowed storage profiles"}])
    incompatible = job_creation.incompatible_steps(ctx.conn, queue_id, plan.steps)
    after = _upstream_jobs(ctx, farm_id, (params.get("tags") or {}).get(job_dependencies.AFTER_TAG), plan)
    job_id = new_id("job")
    target = params.get("targetTaskRunStatus", CreateJobTargetTaskRunStatus.READY)
    job_values = {
        "job_id": job_id, "farm_id": farm_id, "queue_id": queue_id, "name": plan.name,
        "description": plan.description, "priority": params["priority"], "target_task_run_status": target,
        "storage_profile_id": storage_profile_id,
        "max_failed_tasks_count": params.get("maxFailedTasksCount", DEFAULT_MAX_FAILED_TASKS),
        "max_retries_per_task": params.get("maxRetriesPerTask", DEFAULT_MAX_RETRIES_PER_TASK),
        "max_worker_count": params.get("maxWorkerCount"), "source_job_id": params.get("sourceJobId"),
        "template": submission.template_text, "template_type": submission.template_type,
        "parameters": plan.parameters, "parameter_definitions": plan.parameter_definitions,
        "queue_environments": submission.environments,
        "attachments": params.get("attachments", submission.source_attachments),
    }
    job_creation.store_job(ctx.conn, job_values=job_values, plan=plan, incompatible=incompatible,
                           suspended=target == CreateJobTargetTaskRunStatus.SUSPENDED, now=ctx.now, who=ctx.who,
                           waiting=after is not None and after[2] is job_dependencies.Verdict.WAIT)
    if after is not None:
        job_dependency_rows.insert(ctx.conn, job_id, after[1], after[0])
    if plan.task_count <= job_creation.INLINE_TASK_LIMIT:
        job_creation.materialize_inline(ctx.conn, job_id, plan, ctx.now)
    else:
        ctx.signal("job_created")
    tags.put(ctx.conn, ctx.arns.job(farm_id, queue_id, job_id), params.get("tags") or {})
    return {"jobId": job_id}


def _upstream_jobs(ctx: Context, farm_id: str, value: str | None, plan: job_templates.JobPlan
                   ) -> tuple[str, list[str], job_dependencies.Verdict] | None:
    """The reserved tag's (condition, upstream job ids, verdict now) (docs/self-managing.md, "Job
    dependencies"), or ValidationException: a bad value, a job this farm lacks or the caller can't
    see (the same answer, so it reveals nothing), a condition that can never hold. Cycles can't form:
    a job can only wait on jobs that exist before it, and the tag is read at CreateJob only."""
    if value is None:
        return None
    parsed = job_dependencies.parse(value)
    if isinstance(parsed, str):
        raise validation_error(parsed, [{"name": "tags", "message": parsed}])
    condition, upstream = parsed
    found = job_dependency_rows.jobs_in_farm(ctx.conn, farm_id, upstream)
    for job_id in upstream:
        row = found.get(job_id)
        try:
            if row is None:
                raise access_denied("")
            authorize(ctx.conn, ctx.caller, "GetJob", "VIEWER",
                      {"farmId": farm_id, "queueId": row.queue_id, "jobId": job_id})
        except ServiceError:
            message = f"Tag {job_dependencies.AFTER_TAG}: no job {job_id} in farm {farm_id} that you can see."
            raise validation_error(message, [{"name": "tags", "message": message}]) from None
    if condition == job_dependencies.Condition.FRAME:
        _check_frame_steps(ctx, upstream[0], found[upstream[0]].lifecycle_status, plan)
    verdict = job_dependencies.verdict(condition, [found[job_id].task_run_status for job_id in upstream])
    if verdict is job_dependencies.Verdict.NEVER:
        message = (f"Tag {job_dependencies.AFTER_TAG}: {condition} can never hold: "
                   + ", ".join(f"{job_id} is {found[job_id].task_run_status}" for job_id in upstream) + ".")
        raise validation_error(message, [{"name": "tags", "message": message}])
    return condition, upstream, verdict


def _check_frame_steps(ctx: Context, upstream_job_id: str, lifecycle_status: str,
                       plan: job_templates.JobPlan) -> None:
    """frame:JOB: each of the new job's steps without upstream steps must follow a step of the
    upstream job (domain/job_dependencies.followed_step), whose tasks must all exist already."""
    def refuse(message: str) -> None:
        raise validation_error(message, [{"name": "tags", "message": message}])
    if lifecycle_status == JobLifecycleStatus.CREATE_IN_PROGRESS:
        refuse(f"Tag {job_dependencies.AFTER_TAG}: frame: {upstream_job_id} is still being created; "
               "retry when its lifecycleStatus is CREATE_COMPLETE.")
    names = job_dependency_rows.step_names(ctx.conn, upstream_job_id)
    for step in plan.steps:
        if not step.dependencies and job_dependencies.followed_step(step.name, names) is None:
            refuse(f"Tag {job_dependencies.AFTER_TAG}: frame: step {step.name!r} follows no step of "
                   f"{upstream_job_id}, which has no step of that name and {len(names)} steps; name the "
                   "steps alike or wait on a job with one step.")
    job_dependency_rows.set_has_frame_dependents(ctx.conn, upstream_job_id)


def _submitted_parameters(source) -> dict:
    """A copied job reuses the source's values (defaults were resolved into them at submission)."""
    return dict(source.parameters or {})


# --- reads -----------------------------------------------------------------------------------------

@operation("GetJob")
def get_job(ctx: Context, params: shapes.GetJobRequest) -> shapes.GetJobResponse:
    return job_output(require_job(ctx, params["farmId"], params["queueId"], params["jobId"]))


@operation("ListJobs")
def list_jobs(ctx: Context, params: shapes.ListJobsRequest) -> shapes.ListJobsResponse:
    require_queue(ctx, params["farmId"], params["queueId"])
    after, limit = ctx.page_request()
    created_by = None
    if params.get("principalId"):
        # "Only jobs this member can see": a farm/queue member sees the queue's jobs; otherwise none.
        levels = memberships.levels_on(ctx.conn, params["principalId"], [params["farmId"], params["queueId"]])
        if not levels:
            return {"jobs": []}
    rows = jobs.page(ctx.conn, params["queueId"], after, limit, created_by)
    items, more = ctx.paged(rows, limit, job_summary, lambda r: position_of(r.created_at, r.job_id))
    return {"jobs": items, **more}


_KEYS = ("farmId", "queueId", "jobId")


@operation("BatchGetJob", access="AUTHENTICATED")
def batch_get_job(ctx: Context, params: shapes.BatchGetJobRequest) -> shapes.BatchGetJobResponse:
    def found(key: dict[str, str], _item: Mapping[str, Any]) -> shapes.BatchGetJobItem:
        row = require_job(ctx, *key.values())
        return {"farmId": row.farm_id, "queueId": row.queue_id, **job_output(row)}

    jobs_found, errors = each_item(ctx, params["identifiers"], _KEYS, "VIEWER", found,
                                   error_codes=shapes.BatchGetJobErrorCode, resource_type="job")
    return {"jobs": jobs_found, "errors": errors}


@operation("ListJobParameterDefinitions")
def list_job_parameter_definitions(
        ctx: Context, params: shapes.ListJobParameterDefinitionsRequest,
) -> shapes.ListJobParameterDefinitionsResponse:
    row = require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    after, limit = ctx.page_request()
    start = int(after or 0)
    definitions = list(row.parameter_definitions or [])[start:start + limit + 1]
    items, more = ctx.paged(definitions, limit, lambda d: d, lambda _d: start + limit)
    return {"jobParameterDefinitions": items, **more}


# --- updates ---------------------------------------------------------------------------------------

@operation("UpdateJob", write=True, access="MANAGER")
def update_job(ctx: Context, params: shapes.UpdateJobRequest) -> shapes.UpdateJobResponse:
    row = require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    apply_job_update(ctx, row, params)
    return {}


def apply_job_update(ctx: Context, row: Row, params: Mapping[str, Any]) -> None:
    if not job_lifecycles.is_live(row.lifecycle_status):  # ARCHIVED, or not created
        raise conflict("STATUS_CONFLICT", "job", row.job_id,
                       f"Job {row.job_id} is {row.lifecycle_status} and can't be updated.",
                       {"status": row.lifecycle_status})
    if params.get("maxWorkerCount") == 0:
        raise validation_error("maxWorkerCount can't be 0; use -1 for no maximum.",
                               [{"name": "maxWorkerCount", "message": "Member must not be 0"}])
    changes: dict[str, Any] = {}
    for member, column in (("priority", "priority"), ("maxFailedTasksCount", "max_failed_tasks_count"),
                           ("maxRetriesPerTask", "max_retries_per_task"), ("maxWorkerCount", "max_worker_count"),
                           ("name", "name"), ("description", "description")):
        if member in params:
            changes[column] = params[member]
    target = params.get("targetTaskRunStatus")
    archive = params.get("lifecycleStatus") == UpdateJobLifecycleStatus.ARCHIVED
    row = jobs.lock(ctx.conn, row.job_id)  # one request at a time queues changes for a job (PostgreSQL)
    refuse_while_archiving(ctx, row.job_id)
    queued_before = fan_outs.has_pending(ctx.conn, row.job_id)
    if archive and target is None and not queued_before and not rollup.is_terminal(row.task_run_status):
        raise conflict("STATUS_CONFLICT", "job", row.job_id,
                       f"Only a job that is {', '.join(rollup.TERMINAL_IN_WAITER_ORDER)} can be archived; "
                       f"this one is {row.task_run_status}.",
                       {"status": row.task_run_status})
    jobs.update(ctx.conn, row.job_id, **changes, updated_at=ctx.now, updated_by=ctx.who,
                lifecycle_status=JobLifecycleStatus.UPDATE_SUCCEEDED,
                lifecycle_status_message="Job update completed successfully")
    lifecycle = JobLifecycleStatus.UPDATE_SUCCEEDED  # where the update leaves it: one event (docs/events.md)
    deferral = Deferral(ctx.now)
    queued = False
    if target is not None:
        jobs.update(ctx.conn, row.job_id, target_task_run_status=target)
        if archive and not queued_before and deferral.defers(ctx.conn, row.job_id, row.task_count) \
                and not job_fan_outs.archive_would_succeed(row, target):
            raise conflict("STATUS_CONFLICT", "job", row.job_id,
                           f"Only a finished or suspended job can be archived; with targetTaskRunStatus {target} "
                           "this one would not be (tasks on workers go INTERRUPTING first).",
                           {"status": row.task_run_status})
        queued = task_updates.apply_job_target(ctx.conn, row.job_id, target, ctx.now, ctx.who, deferral)
        if target in task_states.REQUEUE_TARGETS:
            blocklists.clear_job(ctx.conn, row.job_id)  # a requeue starts afresh (docs/self-managing.md)
            job_creation.check_requeued_job(ctx.conn, row.queue_id, row.job_id, ctx.now, deferral)
    if archive:
        if queued or fan_outs.has_pending(ctx.conn, row.job_id):
            # Decided once the queued changes are applied: ARCHIVED, or UPDATE_FAILED with the reason.
            deferral.queue(ctx.conn, row.job_id, {"kind": "archive"})
        else:
            status = jobs.get_existing(ctx.conn, row.job_id).task_run_status
            if not rollup.is_terminal(status):
                raise conflict("STATUS_CONFLICT", "job", row.job_id,
                               f"Only a finished or suspended job can be archived; this one is {status}.",
                               {"status": status})
            jobs.update(ctx.conn, row.job_id, lifecycle_status=JobLifecycleStatus.ARCHIVED,
                        lifecycle_status_message="Job archived")
            lifecycle = JobLifecycleStatus.ARCHIVED
    if fan_outs.has_pending(ctx.conn, row.job_id):
        # Truthful meanwhile: the counts are the tasks as they are; this says they are on their way.
        jobs.update(ctx.conn, row.job_id, lifecycle_status=JobLifecycleStatus.UPDATE_IN_PROGRESS,
                    lifecycle_status_message=f"Applying targetTaskRunStatus {target or row.target_task_run_status} "
                                             f"to the job's {row.task_count} tasks")
        lifecycle = JobLifecycleStatus.UPDATE_IN_PROGRESS
        ctx.signal("fan_out_queued")
    events.job_lifecycle_changed(ctx.conn, row.job_id, row.lifecycle_status, lifecycle, ctx.now)


def refuse_while_archiving(ctx: Context, job_id: str) -> None:
    """An archive waiting for the job's queued changes: the job is as good as archived already."""
    if fan_outs.archive_queued(ctx.conn, job_id):
        raise conflict("STATUS_CONFLICT", "job", job_id,
                       f"Job {job_id} is being archived once its queued changes are applied; it can't be updated.",
                       {"status": JobLifecycleStatus.UPDATE_IN_PROGRESS})


@operation("BatchUpdateJob", write=True, access="AUTHENTICATED")
def batch_update_job(ctx: Context, params: shapes.BatchUpdateJobRequest) -> shapes.BatchUpdateJobResponse:
    def update(key: dict[str, str], item: Mapping[str, Any]) -> None:
        apply_job_update(ctx, require_job(ctx, *key.values()), item)

    _, errors = each_item(ctx, params["jobs"], _KEYS, "MANAGER", update, write=True,
                          error_codes=shapes.BatchUpdateJobErrorCode, resource_type="job")
    return {"errors": errors}
