"""Pages about farms, queues, fleets and workers: what each shows and which API calls it makes.

Each view runs in a worker thread with a signed-in `Page` and reads through `page.call` (the API
executor, as that user). A view asked with `?live=1` renders only its live part, which the page's
script polls: that part is built from the same single cheap call every time, whatever the farm's size.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from farmstead.domain import worker_sessions, worker_states
from farmstead.domain.host_stats import HostStats
from farmstead.domain.statuses import JobLifecycleStatus
from farmstead.domain.statuses import WorkerStatus as W
from farmstead.protocol.errors import ServiceError
from farmstead.web.job_rows import job_rows
from farmstead.web.page import Page
from farmstead.web.rendering import TASK_STATUSES

JOB_PAGE_SIZE = 50
JOB_STATUSES = TASK_STATUSES  # a job is filtered on its taskRunStatus
JOB_SORTS = {"submitted": "CREATED_AT", "name": "NAME", "status": "TASK_RUN_STATUS", "priority": "PRIORITY",
             "started": "STARTED_AT", "ended": "ENDED_AT"}
# A worker silent this long is shown as late even before the sweeper marks it NOT_RESPONDING.
HEARTBEAT_LATE_SECONDS = 60


def farms(page: Page) -> Response:
    items = page.api.all_pages(page.caller, "ListFarms", "farms")
    return page.html("farms.html", title="Farms", farms=items, crumbs=[])


def farm(page: Page, farm_id: str) -> Response:
    info = {"farmId": farm_id, "displayName": page.name_of("GetFarm", farm_id, farmId=farm_id)}
    # A member of only a queue (or only a fleet) may list those and not the others: one refusal empties
    # its list, both refusals are the page's answer.
    lists, refusal = {}, None
    for operation, key in (("ListQueues", "queues"), ("ListFleets", "fleets")):
        try:
            lists[key] = page.api.all_pages(page.caller, operation, key, farmId=farm_id)
        except ServiceError as err:
            if err.code != "AccessDeniedException" or refusal is not None:
                raise
            refusal, lists[key] = err, []
    queues, fleets = lists["queues"], lists["fleets"]
    return page.html("farm.html", title=info["displayName"], farm=info, queues=queues, fleets=fleets,
                     crumbs=[("Farms", "/")])


def queue(page: Page, farm_id: str, queue_id: str) -> Response:
    query = _job_query(page.request.query_params)
    result = page.call("SearchJobs", farmId=farm_id, queueIds=[queue_id], itemOffset=query["offset"],
                       pageSize=JOB_PAGE_SIZE, sortExpressions=[{"fieldSort": {
                           "name": JOB_SORTS[query["sort"]], "sortOrder": query["order"]}}],
                       filterExpressions=_job_filters(query))
    base = f"/farms/{farm_id}/queues/{queue_id}"
    context: dict[str, Any] = dict(farm_id=farm_id, queue_id=queue_id, jobs=job_rows(result.get("jobs", [])),
                   query=query,
                   total=result.get("totalResults", 0), next_offset=result.get("nextItemOffset"),
                   page_size=JOB_PAGE_SIZE, base=base, can_manage=page.can_manage(farm_id, queue_id),
                   statuses=JOB_STATUSES, sorts=JOB_SORTS, link=_link(base, query))
    if page.wants_fragment:
        return page.fragment("queue_live.html", **context)
    info = page.call("GetQueue", farmId=farm_id, queueId=queue_id)
    farm_name = page.name_of("GetFarm", farm_id, farmId=farm_id)
    return page.html("queue.html", title=info["displayName"], queue=info, **context,
                     dependency_graph=page.api.queue_dependency_graph(page.caller, farm_id, queue_id),
                     crumbs=[("Farms", "/"), (farm_name, f"/farms/{farm_id}")])


def _job_query(params) -> dict[str, Any]:
    status = params.get("status", "")
    sort = params.get("sort", "submitted")
    try:
        offset = max(0, min(int(params.get("offset", "0")), 10_000))
    except ValueError:
        offset = 0
    return {"status": status if status in JOB_STATUSES else "", "q": params.get("q", "").strip()[:200],
            "sort": sort if sort in JOB_SORTS else "submitted",
            "order": "ASCENDING" if params.get("order") == "ASCENDING" else "DESCENDING", "offset": offset,
            "archived": "1" if params.get("archived") == "1" else ""}


def _job_filters(query: dict[str, Any]) -> dict[str, Any] | None:
    filters: list[dict[str, Any]] = []
    if not query["archived"]:  # archived jobs are done with: shown only when asked for
        filters.append({"stringFilter": {"name": "LIFECYCLE_STATUS", "operator": "NOT_EQUAL",
                                         "value": JobLifecycleStatus.ARCHIVED}})
    if query["status"]:
        filters.append({"stringFilter": {"name": "TASK_RUN_STATUS", "operator": "EQUAL", "value": query["status"]}})
    if query["q"]:
        filters.append({"searchTermFilter": {"searchTerm": query["q"], "matchType": "CONTAINS"}})
    return {"filters": filters, "operator": "AND"} if filters else None


def _link(base: str, query: dict[str, Any]):
    """A URL of this job list with some of its query changed (sorting, paging, filtering)."""
    from urllib.parse import urlencode

    def link(**changes: Any) -> str:
        merged = {**query, **changes}
        kept = {k: v for k, v in merged.items() if v not in ("", None) and not (k == "offset" and v == 0)}
        return f"{base}?{urlencode(kept)}" if kept else base
    return link


#: The statuses a worker is shown with, in the order the filter lists them (a STARTED one shows RUNNING or IDLE).
WORKER_STATUSES = (W.CREATED, W.STARTED, W.RUNNING, W.IDLE, W.STOPPING, W.STOPPED, W.NOT_RESPONDING, W.NOT_COMPATIBLE)
WORKER_SORTS = ("host", "status", "heartbeat", "joined")


def fleet(page: Page, farm_id: str, fleet_id: str) -> Response:
    query = _worker_query(page.request.query_params)
    workers = page.api.all_pages(page.caller, "ListWorkers", "workers", limit=500, farmId=farm_id, fleetId=fleet_id)
    listed = len(workers)
    workers = [w for w in workers if _worker_matches(w, query)]
    details = page.api.worker_details(page.caller, farm_id, fleet_id)
    now = datetime.now(UTC)
    rows = []
    for worker in workers:
        busy = worker["status"] == worker_states.SHOWN_BUSY
        current = _current_session(page, farm_id, fleet_id, worker) if busy else None
        extra = details.get(worker["workerId"], {})
        seen = extra.get("lastSeenAt")
        rows.append({"worker": worker, "current": current, "capabilities": extra.get("capabilities", {}),
                     "blocked_on": extra.get("blockedOn", []), "hold": extra.get("hold"),
                     "hold_reason": extra.get("holdReason"), "host_use": _host_use(extra.get("hostStats"), now),
                     "last_seen": seen, "silent_seconds": int((now - seen).total_seconds()) if seen else None})
    rows.sort(key=_worker_key(query["sort"]), reverse=query["order"] == "DESCENDING")
    base = f"/farms/{farm_id}/fleets/{fleet_id}"
    context: dict[str, Any] = dict(farm_id=farm_id, fleet_id=fleet_id, rows=rows, now=now,
                                   late_seconds=HEARTBEAT_LATE_SECONDS, query=query, listed=listed,
                                   statuses=WORKER_STATUSES, base=base, link=_link(base, query),
                                   can_manage=page.can_manage_fleet(farm_id, fleet_id))
    if page.wants_fragment:
        return page.fragment("fleet_live.html", **context)
    info = page.call("GetFleet", farmId=farm_id, fleetId=fleet_id)
    farm_name = page.name_of("GetFarm", farm_id, farmId=farm_id)
    cost, own_cost = page.api.worker_hour_cost(page.caller, farm_id, fleet_id)
    return page.html("fleet.html", title=info["displayName"], fleet=info, cost=cost, own_cost=own_cost, **context,
                     crumbs=[("Farms", "/"), (farm_name, f"/farms/{farm_id}")])


def _host_use(stats: HostStats | None, now: datetime) -> dict[str, Any] | None:
    """The host statistics column: CPU, memory, disk and GPU use as short texts, and how old they are."""
    if stats is None:
        return None
    gib = 1024 ** 3
    parts = []
    if stats.cpu_percent is not None:
        parts.append(f"CPU {stats.cpu_percent:.0f} %")
    if stats.memory_percent is not None and stats.memory_total_bytes:
        parts.append(f"memory {stats.memory_percent:.0f} % of {stats.memory_total_bytes / gib:.1f} GiB")
    if stats.disk_percent is not None and stats.disk_total_bytes:
        parts.append(f"disk {stats.disk_percent:.0f} % of {stats.disk_total_bytes / gib:.0f} GiB")
    if stats.gpu_percent is not None:
        memory = f", its memory {stats.gpu_memory_percent:.0f} %" if stats.gpu_memory_percent is not None else ""
        parts.append(f"GPU {stats.gpu_percent:.0f} %{memory}")
    return {"parts": parts, "age_seconds": max(0, int(now.timestamp() - stats.at_ms / 1000))}


def _worker_query(params) -> dict[str, Any]:
    status, sort = params.get("status", ""), params.get("sort", "host")
    return {"status": status if status in WORKER_STATUSES else "", "q": params.get("q", "").strip()[:200],
            "sort": sort if sort in WORKER_SORTS else "host",
            "order": "DESCENDING" if params.get("order") == "DESCENDING" else "ASCENDING"}


def _worker_matches(worker: dict, query: dict[str, Any]) -> bool:
    """The host table's filters (at most 500 workers, filtered here): status, and text in the host name,
    an address or the worker id."""
    if query["status"] and worker.get("status") != query["status"]:
        return False
    if query["q"]:
        props = worker.get("hostProperties") or {}
        texts = [worker["workerId"], props.get("hostName", ""),
                 *((props.get("ipAddresses") or {}).get("ipV4Addresses") or [])]
        return any(query["q"].lower() in text.lower() for text in texts)
    return True


def _worker_key(sort: str):
    def key(row: dict) -> tuple:
        worker = row["worker"]
        host = ((worker.get("hostProperties") or {}).get("hostName") or worker["workerId"]).lower()
        if sort == "status":
            return (worker.get("status", ""), host)
        if sort == "heartbeat":
            return (row["last_seen"] or datetime.min.replace(tzinfo=UTC), host)
        if sort == "joined":
            return (worker.get("createdAt") or datetime.min.replace(tzinfo=UTC), host)
        return (host,)
    return key


def _current_session(page: Page, farm_id: str, fleet_id: str, worker: dict) -> dict | None:
    """The worker's open session and the task it is running, if any (only asked of RUNNING workers)."""
    sessions = page.call("ListSessionsForWorker", farmId=farm_id, fleetId=fleet_id, workerId=worker["workerId"],
                         maxResults=100).get("sessions", [])
    open_sessions = [s for s in sessions if "endedAt" not in s]
    if not open_sessions:
        return None
    current = open_sessions[-1]
    try:
        actions = page.call("ListSessionActions", farmId=farm_id, queueId=current["queueId"], jobId=current["jobId"],
                            sessionId=current["sessionId"]).get("sessionActions", [])
    except ServiceError as err:
        # A member of only the fleet may see its workers and sessions but not the queue's work (docs/access.md).
        if err.code != "AccessDeniedException":
            raise
        return {**current, "taskId": None, "stepId": None}
    running = [a for a in actions if a["status"] in worker_sessions.UNFINISHED]
    task_run = (running[-1]["definition"].get("taskRun") if running else None) or {}
    return {**current, "taskId": task_run.get("taskId"), "stepId": task_run.get("stepId"),
            "taskParameters": task_run.get("parameters")}
