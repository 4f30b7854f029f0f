"""The frame grid's data: a job's tasks as one letter of status each (task_maps.py), the details of one
task when the pointer or the keyboard rests on its cell, and each step's frame times and time left.

Owns: the two JSON answers static/frame_grid.js asks for, and the estimates the job page shows. Each
answer asks GetJob as the signed-in user before it reads a map, so it shows nothing the API would not.
Must not: read the store, or read tasks one call each: the map is kept by task_maps.py, and a task's
details are four calls (GetTask, then its latest attempt, session and worker, batched as run_details does).
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.responses import JSONResponse, Response

from farmstead.web import estimates, run_details
from farmstead.web.page import Page
from farmstead.web.rendering import duration, parameters_label
from farmstead.web.task_maps import CODES, JobMap, StepMap, maps


def grid(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    job = page.call("GetJob", **ids)  # the user may read this job: what follows is the job's, as ListTasks gives it
    steps = page.api.all_pages(page.caller, "ListSteps", "steps", **ids)
    job_map = maps.current(page.call, ids, steps)
    parts = []
    for step in steps:
        step_map = job_map.steps.get(step["stepId"])
        codes = step_map.codes.decode() if step_map else ""
        parts.append({"stepId": step["stepId"], "name": step["name"], "total": len(codes), "codes": codes,
                      "counts": {k: v for k, v in (step.get("taskRunStatusCounts") or {}).items() if v}})
    body = {"jobId": job_id, "status": job.get("taskRunStatus"), "steps": parts, "codes": CODES,
            "refreshing": job_map.passing, "error": job_map.error}
    etag = '"' + hashlib.sha256(repr(body).encode()).hexdigest()[:32] + '"'
    if page.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag, "cache-control": "no-store"})
    return JSONResponse(body, headers={"etag": etag, "cache-control": "no-store"})


def grid_task(page: Page, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Response:
    """What a cell's tooltip says: the frame, its status, where and how long its latest attempt ran."""
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    task = page.call("GetTask", stepId=step_id, taskId=task_id, **ids)
    attempts = run_details.latest_attempts(page, ids, [task])
    attempt = attempts.get(task_id)
    host = None
    if attempt:
        sessions = run_details.workers_of_sessions(page, ids, {attempt.get("sessionId", "")})
        session = sessions.get(attempt.get("sessionId", ""))
        if session:
            host = run_details.host_names(page, farm_id, {(session["fleetId"], session["workerId"])}).get(
                session["workerId"], session["workerId"])
    return JSONResponse({
        "taskId": task_id, "label": parameters_label(task.get("parameters")) or task_id,
        "status": task.get("runStatus"), "attempts": task.get("failureRetryCount", 0) + (1 if attempt else 0),
        "worker": host, "runTime": duration(attempt.get("startedAt"), attempt.get("endedAt")) if attempt else None,
        "url": f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/steps/{step_id}/tasks/{task_id}",
    }, headers={"cache-control": "no-store"})


def step_estimates(job_map: JobMap | None, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Per step: frame times and time left; for the job: time left. Nothing is read here: a map not
    built yet (a large job's first visit) gives no figures until the grid's next poll has one."""
    per_step: dict[str, dict[str, Any]] = {}
    inputs = []
    for step in steps:
        counts = step.get("taskRunStatusCounts") or {}
        step_map = job_map.steps.get(step["stepId"]) if job_map else None
        times = _times(step_map)
        inputs.append((counts, times))
        per_step[step["stepId"]] = {
            "times": times,
            "left": estimates.seconds_left(estimates.work_left_ms(counts, times), estimates.running(counts)),
        }
    return {"steps": per_step, "job_left": estimates.job_seconds_left(inputs) if steps else None}


def _times(step_map: StepMap | None) -> estimates.FrameTimes | None:
    if step_map is None or not step_map.read_fully:
        return None
    if step_map.times is not None and step_map.times[0] == step_map.version:
        return step_map.times[1]
    times = estimates.frame_times(step_map.run_times())
    step_map.times = (step_map.version, times)
    return times
