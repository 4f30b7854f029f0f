"""Search: SearchJobs, SearchSteps, SearchTasks, SearchWorkers (docs/search.md).

Owns: the order of the checks (the query's fields and operators, then access to every queue or
fleet named, then their existence), resolving userJobsFirst's user to createdBy values, the
search summaries, and offset paging (`itemOffset`, `pageSize`, `nextItemOffset`).
Must not: hold SQL (store/search.py) or decide the field vocabulary (domain/search.py).

Access: the handlers are registered AUTHENTICATED and check VIEWER per queue (or fleet) named in
`queueIds` (`fleetIds`): the registry's check only sees the farmId, which would leave out members
of a single queue, whom AWS's queue-level managed policy lets search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from sqlalchemy.engine import Row

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.jobs import job_summary
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_farm, require_fleet
from farmstead.api.workers import worker_output
from farmstead.domain import search as domain
from farmstead.domain.search import Resource, SearchQuery, SearchRefused
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import identity, jobs, queues, steps
from farmstead.store import search as store
from farmstead.store import workers as worker_store
from farmstead.store.search import Scope

DEFAULT_PAGE_SIZE = 100


@operation("SearchJobs", access="AUTHENTICATED")
def search_jobs(ctx: Context, params: shapes.SearchJobsRequest) -> shapes.SearchJobsResponse:
    items, page = _search(ctx, params, Resource.JOBS, _each(_job_item))
    return {"jobs": items, **page}


@operation("SearchSteps", access="AUTHENTICATED")
def search_steps(ctx: Context, params: shapes.SearchStepsRequest) -> shapes.SearchStepsResponse:
    items, page = _search(ctx, params, Resource.STEPS, _each(_step_item))
    return {"steps": items, **page}


@operation("SearchTasks", access="AUTHENTICATED")
def search_tasks(ctx: Context, params: shapes.SearchTasksRequest) -> shapes.SearchTasksResponse:
    items, page = _search(ctx, params, Resource.TASKS, _each(_task_item))
    return {"tasks": items, **page}


@operation("SearchWorkers", access="AUTHENTICATED")
def search_workers(ctx: Context, params: shapes.SearchWorkersRequest) -> shapes.SearchWorkersResponse:
    items, page = _search(ctx, params, Resource.WORKERS, _worker_items)
    return {"workers": items, **page}


# --- the shared path ---------------------------------------------------------------------------------

Item = TypeVar("Item")


class _Page(TypedDict):
    """A Search answer's members beside its items."""

    totalResults: int
    nextItemOffset: NotRequired[int]


def _search(ctx: Context, params: Mapping[str, Any], resource: Resource,
            to_items: Callable[[Context, list[Row]], list[Item]]) -> tuple[list[Item], _Page]:
    """(the page's items, the answer's totalResults and nextItemOffset): `{resource.value: items, **page}`."""
    query = _query(resource, params)
    scope = _fleet_scope(ctx, params) if resource is Resource.WORKERS else _scope(ctx, params)
    query = domain.identify_creators(query, lambda user: _created_by_values(ctx, user))
    offset, size = params["itemOffset"], params.get("pageSize", DEFAULT_PAGE_SIZE)
    rows, total = store.search(ctx.conn, resource, scope, query, offset, size)
    items = to_items(ctx, rows)
    page: _Page = {"totalResults": total}
    following = offset + len(rows)
    if rows and following < total:
        page["nextItemOffset"] = following
    return items, page


def _query(resource: Resource, params: Mapping[str, Any]) -> SearchQuery:
    try:
        return domain.parse(resource, params.get("filterExpressions"), params.get("sortExpressions"))
    except SearchRefused as refused:
        raise validation_error(f"The search can't be run: {refused}",
                               [{"name": name, "message": message} for name, message in refused.problems]) from None


def _created_by_values(ctx: Context, user_identity_id: str) -> tuple[str, ...]:
    """How the user appears in createdBy: as given, and as the ARN requests signed by them carry
    (executor.py writes it so) when the id or name is one of this server's principals."""
    principal = identity.find_principal(ctx.conn, user_identity_id)
    if principal is None:
        return (user_identity_id,)
    return (user_identity_id, f"arn:aws:iam::{ctx.settings.account_id}:user/{principal.name}")


def _scope(ctx: Context, params: Mapping[str, Any]) -> Scope:
    """The queues (and job) to search, once the caller may view each and each exists in the farm.

    Access comes first, so a caller without it learns nothing about what exists.
    """
    farm_id, job_id = params["farmId"], params.get("jobId")
    queue_ids = tuple(dict.fromkeys(params["queueIds"]))
    for queue_id in queue_ids:
        scope = {"farmId": farm_id, "queueId": queue_id, **({"jobId": job_id} if job_id else {})}
        authorize(ctx.conn, ctx.caller, ctx.operation, "VIEWER", scope)
    require_farm(ctx, farm_id)
    for queue_id in queue_ids:
        if queues.get(ctx.conn, farm_id, queue_id) is None:
            raise not_found("queue", queue_id)
    if job_id is not None:
        job = jobs.get_by_id(ctx.conn, job_id)
        if job is None or job.farm_id != farm_id or job.queue_id not in queue_ids:
            raise not_found("job", job_id, f"No job {job_id} in queues {', '.join(queue_ids)} of farm {farm_id}.")
    return Scope(farm_id, queue_ids, job_id)


def _fleet_scope(ctx: Context, params: Mapping[str, Any]) -> Scope:
    """The fleets to search, once the caller may view each and each exists in the farm (access first)."""
    farm_id, fleet_ids = params["farmId"], tuple(dict.fromkeys(params["fleetIds"]))
    for fleet_id in fleet_ids:
        authorize(ctx.conn, ctx.caller, ctx.operation, "VIEWER", {"farmId": farm_id, "fleetId": fleet_id})
    for fleet_id in fleet_ids:
        require_fleet(ctx, farm_id, fleet_id)
    return Scope(farm_id, fleet_ids=fleet_ids)


# --- summaries: exactly the members of JobSearchSummary, StepSearchSummary, TaskSearchSummary,
# --- WorkerSearchSummary -----------------------------------------------------------------------------

def _each(to_item: Callable[[Row], Item]) -> Callable[[Context, list[Row]], list[Item]]:
    return lambda ctx, rows: [to_item(row) for row in rows]


def _job_item(row) -> shapes.JobSearchSummary:
    return {**job_summary(row), "queueId": row.queue_id, "jobParameters": row.parameters}


def _step_item(row) -> shapes.StepSearchSummary:
    return {
        "stepId": row.step_id, "jobId": row.job_id, "queueId": row.queue_id, "name": row.name,
        "lifecycleStatus": row.lifecycle_status, "lifecycleStatusMessage": row.lifecycle_status_message,
        "taskRunStatus": row.task_run_status, "targetTaskRunStatus": row.target_task_run_status,
        "taskRunStatusCounts": steps.counts_of(row), "taskFailureRetryCount": row.task_failure_retry_count,
        **audit_fields(row), "startedAt": row.started_at, "endedAt": row.ended_at,
        "parameterSpace": row.parameter_space,
    }


def _task_item(row) -> shapes.TaskSearchSummary:
    return {
        "taskId": row.task_id, "stepId": row.step_id, "jobId": row.job_id, "queueId": row.queue_id,
        "runStatus": row.run_status, "targetRunStatus": row.target_run_status, "parameters": row.parameters,
        "failureRetryCount": row.failure_retry_count, "startedAt": row.started_at, "endedAt": row.ended_at,
        "updatedAt": row.updated_at, "updatedBy": row.updated_by, "latestSessionActionId": row.latest_session_action_id,
    }


#: WorkerSearchSummary's members: GetWorker's output without farmId and log.
_WORKER_SUMMARY_KEYS = ("fleetId", "workerId", "status", "hostProperties",
                        "createdBy", "createdAt", "updatedBy", "updatedAt")


def _worker_items(ctx: Context, rows: list[Row]) -> list[shapes.WorkerSearchSummary]:
    # GetWorker's own output and status, read in the same transaction as the search, so an item's
    # status is the one its STATUS filter matched (store/search.py derives it the same way in SQL).
    busy = worker_store.busy_worker_ids(ctx.conn, [row.worker_id for row in rows])
    # The summary is GetWorker's output filtered to the members named above, which mypy can't follow.
    return [cast(shapes.WorkerSearchSummary,
                 {key: value for key, value in worker_output(row, busy).items() if key in _WORKER_SUMMARY_KEYS})
            for row in rows]
