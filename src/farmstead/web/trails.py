"""Where a page under a queue sits: its job's address and the breadcrumbs above it.

Owns: the URL of a job's page and the Farms › farm › queue (› job) trail, shared by every page
below a queue (job, step, task, session, log, timeline, preview, resubmit pages).
Must not: render or call anything but the names the trail shows (through `Page.name_of`).
"""

from __future__ import annotations

from typing import Any

from farmstead.web.page import Page


def job_url(farm_id: str, queue_id: str, job_id: str) -> str:
    return f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"


def crumbs(page: Page, farm_id: str, queue_id: str, job: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Farms › farm › queue (› job): the breadcrumbs of the pages below a queue."""
    farm_name = page.name_of("GetFarm", farm_id, farmId=farm_id)
    queue_name = page.name_of("GetQueue", queue_id, farmId=farm_id, queueId=queue_id)
    trail = [("Farms", "/"), (farm_name, f"/farms/{farm_id}"), (queue_name, f"/farms/{farm_id}/queues/{queue_id}")]
    if job is not None:
        trail.append((job["name"], job_url(farm_id, queue_id, job["jobId"])))
    return trail
