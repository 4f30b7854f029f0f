"""Output previews as pages see them: the newest frame of a job and a task's output image (previews.py
finds them and thumbnails.py makes them small).

Owns: the three answers. `preview` (a job's or a task's) is JSON for the page's script (the picture's
address, which frame it is, or why there is none), or without the script a small page with the picture;
`thumbnail.jpg` is the picture itself. Each asks the API as the signed-in user (GetJob or GetTask first).
Must not: read the bucket or decode images itself.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

from farmstead.web import previews
from farmstead.web.page import Page
from farmstead.web.rendering import task_label
from farmstead.web.thumbnails import NoPreview
from farmstead.web.trails import crumbs


def job_preview(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    job = page.call("GetJob", **ids)
    try:
        found = previews.job_image(page, ids)
        task = page.call("GetTask", stepId=found.step_id, taskId=found.task_id, **ids)
        answer = _described(ids, found, task)
    except NoPreview as why:
        answer = {"reason": str(why), "hide": isinstance(why, previews.NoAttachments)}
    return _answer(page, answer, f"{job['name']}: newest frame", crumbs(page, farm_id, queue_id, job))


def task_preview(page: Page, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    task = page.call("GetTask", stepId=step_id, taskId=task_id, **ids)
    try:
        answer = _described(ids, previews.task_image(page, ids, {**task, "stepId": step_id}), task)
    except NoPreview as why:
        answer = {"reason": str(why), "hide": isinstance(why, previews.NoAttachments)}
    return _answer(page, answer, f"Task {task_label(task)}: output", crumbs(page, farm_id, queue_id))


def task_thumbnail(page: Page, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    task = page.call("GetTask", stepId=step_id, taskId=task_id, **ids)
    try:
        found = previews.task_image(page, ids, {**task, "stepId": step_id})
        data = previews.thumbnail_of(page, ids, found)
    except NoPreview as why:
        return PlainTextResponse(f"No preview: {why}", status_code=404, headers={"cache-control": "no-store"})
    # The user's own copy for a few minutes: the same task's picture on the next poll costs no request.
    return Response(data, media_type="image/jpeg", headers={"cache-control": "private, max-age=300"})


def _described(ids: dict[str, str], found: previews.Found, task: dict[str, Any]) -> dict[str, Any]:
    task_url = (f"/farms/{ids['farmId']}/queues/{ids['queueId']}/jobs/{ids['jobId']}/steps/{found.step_id}"
                f"/tasks/{found.task_id}")
    return {"src": f"{task_url}/thumbnail.jpg", "taskUrl": task_url, "label": task_label(task), "file": found.name,
            "size": found.size}


def _answer(page: Page, answer: dict[str, Any], title: str, crumbs: list[tuple[str, str]]) -> Response:
    if page.request.headers.get("x-requested-with") == "fetch":
        return JSONResponse(answer, headers={"cache-control": "no-store"})
    return page.html("preview.html", title=title, preview=answer, crumbs=crumbs)
