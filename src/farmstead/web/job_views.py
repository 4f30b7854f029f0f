"""Pages about one job: the job with its steps and sessions, a step's tasks, a task's attempts, a
session's actions and its log (with a live tail).

Progress always comes from the job's and steps' counter columns (GetJob, ListSteps), never from
counting tasks, and task lists are paged by the API's own tokens, so a 100,000-task step costs the
same per page as a 10-task one.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from farmstead import job_control
from farmstead.domain import rollup
from farmstead.domain.statuses import JobLifecycleStatus, SessionActionStatus, TaskRunStatus
from farmstead.protocol.errors import ServiceError
from farmstead.web import grid_views, log_views, run_details
from farmstead.web.actions import MAX_TASKS, requeue_question
from farmstead.web.page import Page
from farmstead.web.rendering import TASK_STATUSES, task_label
from farmstead.web.task_maps import maps
from farmstead.web.trails import crumbs, job_url

TASK_PAGE_SIZE = 100
LOG_PAGE_EVENTS = 1000


#: A job in one of these may be archived (the API's rule: the job's run has ended).
ARCHIVABLE = rollup.TERMINAL


def controls(kind: str, item: dict[str, Any], job: dict[str, Any] | None = None) -> dict[str, Any]:
    """Which change buttons apply to this job, step or task now, and the question each asks: the page
    shows only these, and its script updates them as the live part changes."""
    if (job or item).get("lifecycleStatus") == JobLifecycleStatus.ARCHIVED:
        return {"applicable": [], "questions": {}}
    if kind == "task":
        return {"applicable": job_control.actions_for_task(item.get("runStatus", "")), "questions": {}}
    counts = item.get("taskRunStatusCounts") or {}
    applicable = job_control.actions_for_counts(counts, item.get("taskRunStatus"))
    if kind == "job":
        applicable.append("priority")
        if item.get("taskRunStatus") in ARCHIVABLE:
            applicable.append("archive")
    questions = {action: requeue_question(action, kind, counts) for action in applicable
                 if action.startswith("requeue")}
    return {"applicable": applicable, "questions": questions}


def job(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    info = page.call("GetJob", **ids)
    etag, same = page.unchanged(info)
    if same is not None and page.wants_fragment:
        return same  # nothing moved since the last poll: one GetJob (one row) was all it cost
    steps = page.api.all_pages(page.caller, "ListSteps", "steps", **ids)
    sessions = page.call("ListSessions", maxResults=100, **ids).get("sessions", [])
    # Frame times and time left come from the job's task map (the frame grid's): a small job's is brought
    # up to date here, a large one's in a thread, so this page never waits on reading a large job's tasks.
    estimated = grid_views.step_estimates(maps.current(page.call, ids, steps), steps)
    context: dict[str, Any] = dict(farm_id=farm_id, queue_id=queue_id, job=info, steps=steps, sessions=sessions,
                   estimated=estimated, max_picked=MAX_TASKS,
                   base=job_url(farm_id, queue_id, job_id), can_manage=page.can_manage(farm_id, queue_id, job_id),
                   controls=controls("job", info), **_job_runs(page, ids, info, sessions))
    if page.wants_fragment:
        return page.fragment("job_live.html", etag=etag, **context)
    names = {s["stepId"]: s["name"] for s in steps}
    depends: dict[str, list[dict]] = {}
    for item in steps:
        counts = item.get("dependencyCounts") or {}
        if counts.get("dependenciesResolved", 0) + counts.get("dependenciesUnresolved", 0):
            found = page.api.all_pages(page.caller, "ListStepDependencies", "dependencies", stepId=item["stepId"],
                                       **ids)
            depends[item["stepId"]] = [{**d, "name": names.get(d["stepId"], d["stepId"])} for d in found]
    return page.html("job.html", title=info["name"], depends=depends,
                     blocklisted=page.api.job_blocklist(page.caller, farm_id, queue_id, job_id),
                     job_links=page.api.job_links(page.caller, farm_id, queue_id, job_id),
                     longest=page.api.running_longest(page.caller, farm_id, queue_id, job_id),
                     crumbs=crumbs(page, farm_id, queue_id), **context)


def _job_runs(page: Page, ids: dict[str, str], job: dict, sessions: list[dict]) -> dict[str, Any]:
    """The job page's view of how it ran: each step's most recent failure (its exit code and last lines),
    which sessions ended a task FAILED, and the host of each session's worker; batched reads only."""
    failed: set[str] = set()
    latest_failure: dict[str, dict] = {}
    if (job.get("taskRunStatusCounts") or {}).get(TaskRunStatus.FAILED):
        failed, failed_tasks = run_details.failed_sessions(page, ids)
        for item in failed_tasks:  # most recent first
            latest_failure.setdefault(item["stepId"], item)
    attempts = run_details.latest_attempts(page, ids, list(latest_failure.values()))
    return dict(failed_sessions=failed, step_failures={step: (item, attempts.get(item["taskId"]))
                                                       for step, item in latest_failure.items()},
                excerpts=run_details.last_lines(page, ids["farmId"], ids["queueId"], list(attempts.values())),
                hosts=run_details.host_names(page, ids["farmId"], {(s.get("fleetId", ""), s.get("workerId", ""))
                                                                   for s in sessions}))


def step(page: Page, farm_id: str, queue_id: str, job_id: str, step_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    info = page.call("GetStep", stepId=step_id, **ids)
    etag, same = page.unchanged(info, str(page.request.url.query))
    if same is not None and page.wants_fragment:
        return same
    status = page.request.query_params.get("status", "")
    token = page.request.query_params.get("token") or None
    next_link = None
    if status in TASK_STATUSES:
        offset = _int(page.request.query_params.get("offset"), 0, 10_000)
        found = page.call("SearchTasks", farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=offset,
                          pageSize=TASK_PAGE_SIZE, filterExpressions={"operator": "AND", "filters": [
                              {"stringFilter": {"name": "STEP_ID", "operator": "EQUAL", "value": step_id}},
                              {"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL", "value": status}}]})
        tasks = found.get("tasks", [])
        if found.get("nextItemOffset") is not None:
            next_link = f"?status={status}&offset={found['nextItemOffset']}"
    else:
        status = ""
        listed = page.call("ListTasks", stepId=step_id, maxResults=TASK_PAGE_SIZE, nextToken=token, **ids)
        tasks = listed.get("tasks", [])
        if listed.get("nextToken"):
            from urllib.parse import quote
            next_link = f"?token={quote(listed['nextToken'])}"
    job_info = page.call("GetJob", **ids)
    base = f"{job_url(farm_id, queue_id, job_id)}/steps/{step_id}"
    context: dict[str, Any] = dict(farm_id=farm_id, queue_id=queue_id, job_id=job_id, step=info, tasks=tasks,
                   **_how_they_ran(page, ids, tasks), base=base, status_filter=status, statuses=TASK_STATUSES,
                   next_link=next_link, paged=bool(token),
                   job_base=job_url(farm_id, queue_id, job_id), can_manage=page.can_manage(farm_id, queue_id, job_id),
                   controls=controls("step", info, job_info))
    if page.wants_fragment:
        return page.fragment("step_live.html", etag=etag, **context)
    return page.html("step.html", title=info["name"], job=job_info,
                     crumbs=crumbs(page, farm_id, queue_id, job_info), **context)


def _how_they_ran(page: Page, ids: dict[str, str], tasks: list[dict]) -> dict[str, Any]:
    """For a page of tasks: each one's latest attempt, the session and host it ran on, and the last lines
    of the failed ones; a handful of batched calls (run_details.py), whatever the page's size."""
    attempts = run_details.latest_attempts(page, ids, tasks)
    sessions = run_details.workers_of_sessions(page, ids, {a.get("sessionId", "") for a in attempts.values()})
    hosts = run_details.host_names(page, ids["farmId"], {(s["fleetId"], s["workerId"]) for s in sessions.values()})
    excerpts = run_details.last_lines(page, ids["farmId"], ids["queueId"], list(attempts.values()))
    return dict(attempts=attempts, sessions_of_tasks=sessions, hosts=hosts, excerpts=excerpts)


def task(page: Page, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    info = page.call("GetTask", stepId=step_id, taskId=task_id, **ids)
    etag, same = page.unchanged(info)
    if same is not None and page.wants_fragment:
        return same
    listed = page.api.all_pages(page.caller, "ListSessionActions", "sessionActions", taskId=task_id, **ids)
    # Each attempt with its exit code and message (GetSessionAction's fields), in one batched read.
    detailed = run_details.actions_by_id(page, ids, [a["sessionActionId"] for a in listed])
    attempts = [detailed.get(a["sessionActionId"], a) for a in listed]
    sessions = run_details.workers_of_sessions(page, ids, {a.get("sessionId", "") for a in attempts})
    job_info = page.call("GetJob", **ids)
    context: dict[str, Any] = dict(task=info, attempts=attempts, job_base=job_url(farm_id, queue_id, job_id),
                   controls=controls("task", info, job_info), sessions_of_tasks=sessions,
                   hosts=run_details.host_names(page, farm_id, {(s["fleetId"], s["workerId"])
                                                               for s in sessions.values()}),
                   excerpts=run_details.last_lines(page, farm_id, queue_id, attempts))
    if page.wants_fragment:
        return page.fragment("task_live.html", etag=etag, **context)
    step_info = page.call("GetStep", stepId=step_id, **ids)
    trail = crumbs(page, farm_id, queue_id, job_info) + [
        (step_info["name"], f"{job_url(farm_id, queue_id, job_id)}/steps/{step_id}")]
    return page.html("task.html", title=f"Task {task_label(info)}", step=step_info, job=job_info, farm_id=farm_id,
                     queue_id=queue_id, job_id=job_id, crumbs=trail,
                     can_manage=page.can_manage(farm_id, queue_id, job_id), **context)


def session(page: Page, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    info = page.call("GetSession", sessionId=session_id, **ids)
    actions = page.api.all_pages(page.caller, "ListSessionActions", "sessionActions", sessionId=session_id, **ids)
    # Why the failed ones failed (exit code, message): GetSessionAction's fields, in one batched read.
    details = run_details.actions_by_id(page, ids, [a["sessionActionId"] for a in actions
                                                  if a["status"] == SessionActionStatus.FAILED])
    actions = [details.get(a["sessionActionId"], a) for a in actions]
    context: dict[str, Any] = dict(session=info, actions=actions, farm_id=farm_id,
                                   job_base=job_url(farm_id, queue_id, job_id))
    if page.wants_fragment:
        return page.fragment("session_live.html", **context)
    job_info = page.call("GetJob", **ids)
    try:
        log = _log_page(page, info, None)
    except ServiceError as err:
        # Logs are read by queue membership (docs/logs.md); a member of only the job still sees the session.
        if err.code != "AccessDeniedException":
            raise
        log = {"lines": [], "next": None, "missing": False, "refused": err.message}
    query = page.request.query_params.get("q", "").strip()
    searched = log_views.session_search(page, farm_id, queue_id, session_id, query) if query else None
    error = log_views.first_error(page, farm_id, queue_id, session_id) \
        if page.request.query_params.get("error") == "1" and not log.get("refused") else None
    return page.html("session.html", title=f"Session {session_id}", job=job_info, log=log, searched=searched,
                     error=error, error_words=log_views.ERROR_WORDS, query=query,
                     asked_error=page.request.query_params.get("error") == "1",
                     base=f"{job_url(farm_id, queue_id, job_id)}/sessions/{session_id}", queue_id=queue_id,
                     job_id=job_id, crumbs=crumbs(page, farm_id, queue_id, job_info), **context)


def session_log(page: Page, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Response:
    """New log lines after `token` (the previous answer's `next`): the live tail polls this."""
    info = page.call("GetSession", farmId=farm_id, queueId=queue_id, jobId=job_id, sessionId=session_id)
    log = _log_page(page, info, page.request.query_params.get("token") or None)
    return JSONResponse({"lines": log["lines"], "next": log["next"], "ended": "endedAt" in info},
                        headers={"cache-control": "no-store"})


def _log_page(page: Page, info: dict[str, Any], token: str | None) -> dict[str, Any]:
    options = (info.get("log") or {}).get("options") or {}
    group, stream = options.get("logGroupName"), options.get("logStreamName")
    if not group or not stream:
        return {"lines": [], "next": None, "missing": True}
    try:
        answer = page.api.logs(page.caller, "GetLogEvents", logGroupName=group, logStreamName=stream,
                               startFromHead=True, nextToken=token, limit=LOG_PAGE_EVENTS)
    except ServiceError as err:
        if err.code == "ResourceNotFoundException":  # no line written yet: the stream appears with the first
            return {"lines": [], "next": token, "missing": False}
        raise
    lines = [e["message"] for e in answer.get("events", [])]
    return {"lines": lines, "next": answer.get("nextForwardToken") or token, "missing": False}


def _int(text: str | None, low: int, high: int) -> int:
    try:
        return max(low, min(int(text or low), high))
    except ValueError:
        return low
