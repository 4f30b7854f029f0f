"""BatchGetJobEntity: what a worker needs to run the actions it was given.

Entities carry exactly the fields the official agent accepts (docs/compatibility.md,
BatchGetJobEntity): its validator rejects unknown keys, `dependencies` is always sent, and
`jobRunAsUser.posix` is left out when jobs run as the agent's own user. `extensions` go out only for
a template that enables some (agents from 0.33 accept them and need them for e.g. TASK_CHUNKING; 0.28
rejected the key, so plain jobs omit it),
on stepDetails and environmentDetails alike (a queue environment's are its own template's).
`resolvedSymbolTable` goes out, on the same terms, for templates that enable EXPR: the step's scope
(with its template-scope `let` values) on stepDetails and step environments, the job's scope on
queue and job environments (domain/symbol_tables.py). A job's template, parameters and queue
environments never change, so each job's tables are made once per process and kept (a few hundred).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, cast

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.workers import WORKER_ACCESS, require_worker
from farmstead.domain import job_environments, job_templates, log_names, path_mapping, symbol_tables
from farmstead.protocol import shapes
from farmstead.store import fleets, jobs, queues, sessions, steps, storage_profiles
from farmstead.store.rows import existing

SCHEMA = job_environments.JOB_TEMPLATE_SCHEMA
_JOB_PARAMETER_TYPES = ("string", "path", "int", "float")
#: Jobs whose symbol tables are kept: a worker asks for a job's entities once per session.
_KEPT_TABLES = 256
_tables: OrderedDict[str, symbol_tables.SymbolTables] = OrderedDict()
_tables_lock = threading.Lock()


class _EntityError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@operation("BatchGetJobEntity", access=WORKER_ACCESS)
def batch_get_job_entity(ctx: Context, params: shapes.BatchGetJobEntityRequest) -> shapes.BatchGetJobEntityResponse:
    worker = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    assigned_jobs = {s.job_id for s in sessions.open_for_worker(ctx.conn, worker.worker_id)}
    entities: list[shapes.JobEntity] = []
    errors: list[shapes.GetJobEntityError] = []
    # An identifier is a one-member union (jobDetails, stepDetails, ...): its member's name picks the
    # builder and names the entity or error answered, which mypy can't follow through the name; hence the casts.
    for identifier in params["identifiers"]:
        (kind, member), = identifier.items()
        key = cast(dict[str, str], member)
        try:
            if key["jobId"] not in assigned_jobs:
                raise _EntityError("AccessDeniedException",
                                   "The worker must have an assignment on a job to fetch its details.")
            job = jobs.get_by_id(ctx.conn, key["jobId"])
            if job is None:
                raise _EntityError("ResourceNotFoundException", f"Job {key['jobId']} does not exist.")
            entities.append(cast(shapes.JobEntity, {kind: _ENTITY[kind](ctx, job, key, worker)}))
        except _EntityError as err:
            errors.append(cast(shapes.GetJobEntityError, {kind: {**key, "code": err.code, "message": err.message}}))
    return {"entities": entities, "errors": errors}


def _job_details(ctx: Context, job, key: dict, worker) -> dict[str, Any]:
    queue = existing(queues.get(ctx.conn, job.farm_id, job.queue_id), f"queue {job.queue_id}")  # the job's own
    attributes = queue.attributes or {}
    details: dict[str, Any] = {
        "jobId": job.job_id, "logGroupName": log_names.session_log_group(job.farm_id, job.queue_id),
        "schemaVersion": SCHEMA,
        "parameters": {name: value for name, value in (job.parameters or {}).items()
                       if len(value) == 1 and next(iter(value)) in _JOB_PARAMETER_TYPES},
    }
    run_as = attributes.get("jobRunAsUser")
    if run_as:
        if run_as.get("runAs") == "WORKER_AGENT_USER":
            run_as = {"runAs": "WORKER_AGENT_USER"}
        details["jobRunAsUser"] = run_as
    if attributes.get("jobAttachmentSettings"):
        details["jobAttachmentSettings"] = attributes["jobAttachmentSettings"]
    if queue.role_arn:
        details["queueRoleArn"] = queue.role_arn
    extensions = _extensions(job)
    if extensions:
        details["extensions"] = extensions
    mapping = _path_mapping_rules(ctx, job, worker)
    if mapping:
        details["pathMappingRules"] = mapping
    return details


def _path_mapping_rules(ctx: Context, job, worker) -> list[dict[str, str]]:
    """From the job's storage profile (the submitting host's) to the worker's fleet's, when both exist."""
    if not job.storage_profile_id:
        return []
    fleet = fleets.get(ctx.conn, job.farm_id, worker.fleet_id)
    fleet_profile_id = ((fleet.configuration or {}).get("customerManaged") or {}).get("storageProfileId") \
        if fleet is not None else None
    if not fleet_profile_id or fleet_profile_id == job.storage_profile_id:
        return []
    source = storage_profiles.get(ctx.conn, job.farm_id, job.storage_profile_id)
    destination = storage_profiles.get(ctx.conn, job.farm_id, fleet_profile_id)
    if source is None or destination is None:
        return []
    return path_mapping.rules(source.os_family, source.file_system_locations or [],
                              destination.os_family, destination.file_system_locations or [])


def _extensions(job) -> list[str]:
    return list(job_templates.parse_template(job.template, job.template_type).get("extensions") or [])


def _step_details(ctx: Context, job, key: dict, worker) -> dict[str, Any]:
    step = steps.get(ctx.conn, job.job_id, key["stepId"])
    if step is None:
        raise _EntityError("ResourceNotFoundException", f"Step {key['stepId']} does not exist.")
    details = {"jobId": job.job_id, "stepId": step.step_id, "schemaVersion": SCHEMA, "template": step.template,
               "dependencies": [u.step_id for u in steps.upstream_of(ctx.conn, step.step_id)]}
    extensions = _extensions(job)
    if extensions:
        details["extensions"] = extensions
    tables = _symbol_tables(job)
    if tables is not None:
        details["resolvedSymbolTable"] = tables.steps[step.name]
    return details


def _environment_details(ctx: Context, job, key: dict, worker) -> dict[str, Any]:
    environment_id = key["environmentId"]
    step_rows = steps.of_job(ctx.conn, job.job_id)
    # A queue environment's template declares its own extensions; job and step environments have the job's.
    extensions_of = {f"JOB:{job.job_id}:{(q.get('environment') or {}).get('name')}": q.get("extensions")
                     for q in job.queue_environments or [] if "environment" in q}
    for candidate_id, template, schema in environments(job, step_rows):
        if candidate_id == environment_id:
            details = {"jobId": job.job_id, "environmentId": environment_id, "schemaVersion": schema,
                       "template": template}
            # The agent parses the environment with these: an EXPR expression in it fails without them.
            extensions = extensions_of[candidate_id] if candidate_id in extensions_of else _extensions(job)
            if extensions:
                details["extensions"] = list(extensions)
            tables = _symbol_tables(job)
            if tables is not None:
                scope = next((row.name for row in step_rows if candidate_id.startswith(f"STEP:{row.step_id}:")), None)
                details["resolvedSymbolTable"] = tables.job if scope is None else tables.steps[scope]
            return details
    raise _EntityError("ResourceNotFoundException", f"Environment {environment_id} does not exist in {job.job_id}.")


def _symbol_tables(job) -> symbol_tables.SymbolTables | None:
    """The job's resolved symbol tables when its template enables EXPR, else None."""
    with _tables_lock:
        kept = _tables.get(job.job_id)
        if kept is not None:
            _tables.move_to_end(job.job_id)
            return kept
    template = job_templates.parse_template(job.template, job.template_type)
    if not symbol_tables.uses_expr(template):
        return None
    try:
        made = symbol_tables.resolved_tables(template, job.parameters or {}, job.queue_environments or [])
    except (job_templates.TemplateError, job_templates.ParameterError) as err:
        raise _EntityError("ValidationException", f"The job's symbol tables cannot be made: {err}") from None
    with _tables_lock:
        _tables[job.job_id] = made
        while len(_tables) > _KEPT_TABLES:
            _tables.popitem(last=False)
    return made


def environments(job, step_rows):
    """(environmentId, template, schemaVersion) of the job's environments, in entering order: queue
    environments, job environments, then each given step's environments."""
    yield from job_environments.of_queue(job.job_id, job.queue_environments)
    # Parsed only when asked past the queue's environments (a lookup may stop there).
    template = job_templates.parse_template(job.template, job.template_type)
    yield from job_environments.of_template(job.job_id, template, [(step.step_id, step.template) for step in step_rows])


def _attachment_details(ctx: Context, job, key: dict, worker) -> dict[str, Any]:
    if not job.attachments:
        raise _EntityError("ResourceNotFoundException", f"Job {job.job_id} has no attachments.")
    return {"jobId": job.job_id, "attachments": job.attachments}


_ENTITY = {"jobDetails": _job_details, "stepDetails": _step_details,
           "environmentDetails": _environment_details, "jobAttachmentDetails": _attachment_details}
