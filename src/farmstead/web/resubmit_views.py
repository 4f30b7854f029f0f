"""Resubmit with edits: a new job from a job's stored template, with changed parameters (the frame range
among them, where the template takes it as a parameter, as submitters write them), name, priority,
retry and failure limits, and whether it starts suspended.

Owns: the form (ListJobParameterDefinitions gives each parameter's type, limits and allowed values;
GetJob the values the job ran with) and the one CreateJob it makes, as the signed-in user, with
`sourceJobId`: the API copies the template, attachments and storage profile, and checks the new
values against the template's definitions (a refusal comes back on the form, with the API's message).
A frame range written into a step of the template itself can't be changed here: the API gives no way
to read a job's template back (CopyJobTemplate writes it to S3, outside the job attachment roots).
Must not: build templates, or keep anything between the form and its post.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from farmstead.domain.statuses import CreateJobTargetTaskRunStatus
from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page, set_notice
from farmstead.web.trails import crumbs

#: The API's parameter value members, by OpenJD parameter type.
VALUE_KEYS = {"INT": "int", "FLOAT": "float", "STRING": "string", "PATH": "path"}


def resubmit(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    job = page.call("GetJob", **ids)
    definitions = page.api.all_pages(page.caller, "ListJobParameterDefinitions", "jobParameterDefinitions", **ids)
    fields = [_field(d, (job.get("parameters") or {}).get(d.get("name", ""))) for d in definitions
              if isinstance(d, dict) and d.get("type") in VALUE_KEYS]
    error = None
    if page.request.method == "POST":
        form = page.form
        try:
            created = page.call("CreateJob", farmId=farm_id, queueId=queue_id, sourceJobId=job_id,
                                priority=_number(form.get("priority"), job["priority"]),
                                nameOverride=(form.get("name") or "").strip() or None,
                                maxRetriesPerTask=_number(form.get("maxRetriesPerTask"), job.get("maxRetriesPerTask")),
                                maxFailedTasksCount=_number(form.get("maxFailedTasksCount"),
                                                            job.get("maxFailedTasksCount")),
                                targetTaskRunStatus=_target(form),
                                parameters={f["name"]: {f["key"]: form.get(f"param:{f['name']}", f["value"])}
                                            for f in fields})
        except ServiceError as err:
            error = err.message
            for f in fields:
                f["value"] = page.form.get(f"param:{f['name']}", f["value"])
        else:
            target = f"/farms/{farm_id}/queues/{queue_id}/jobs/{created['jobId']}"
            return set_notice(RedirectResponse(target, 303), "ok",
                              f"Submitted as a new job, a copy of {job['name']} ({job_id}) with your changes.")
    base = f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"
    return page.html("resubmit.html", title=f"Resubmit {job['name']}", job=job, fields=fields, base=base,
                     error=error, form=page.form, farm_id=farm_id, queue_id=queue_id,
                     crumbs=crumbs(page, farm_id, queue_id, job), status=400 if error else 200)


def _field(definition: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    kind = definition["type"]
    value = next(iter(current.values())) if isinstance(current, dict) and current else definition.get("default", "")
    return {"name": definition["name"], "type": kind, "key": VALUE_KEYS[kind], "value": str(value),
            "description": definition.get("description", ""), "allowed": definition.get("allowedValues"),
            "min": definition.get("minValue"), "max": definition.get("maxValue"),
            "label": (definition.get("userInterface") or {}).get("label") or definition["name"]}


def _number(text: str | None, fallback: Any) -> Any:
    try:
        return int(text) if text not in (None, "") else fallback
    except ValueError:
        return fallback


def _target(form) -> CreateJobTargetTaskRunStatus:
    """The status the copy's tasks start in: SUSPENDED when the form asks for it, else READY."""
    suspended = form.get("suspended") == "1"
    return CreateJobTargetTaskRunStatus.SUSPENDED if suspended else CreateJobTargetTaskRunStatus.READY
