"""The job list's rows (the queue page): each job of a SearchJobs answer as its row shows it.

Owns: what each cell of a job row says, written once per row in Python. The template then reads plain
attributes; looking each member up in SearchJobs' dicts (Jinja tries an attribute first, then the key)
and running a filter per cell was a quarter of a row's rendering (docs/web.md, "Speed").
Must not: call the API, or hold markup (queue_live.html does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from farmstead.domain.statuses import JobLifecycleStatus
from farmstead.domain.statuses import TaskRunStatus as S
from farmstead.web.rendering import user_of, when


@dataclass(frozen=True, slots=True)
class JobRow:
    job_id: str
    name: str
    archived: bool
    status: str
    #: taskRunStatusCounts, for the progress bar.
    counts: dict[str, int]
    failed: int
    retries: int
    priority: int | str  # "" when absent, as the template showed it
    submitter: str
    submitted: str
    started: str
    ended: str


def job_rows(jobs: Iterable[dict[str, Any]]) -> list[JobRow]:
    """`jobs`: JobSearchSummary dicts as the monitor's calls return them (absent members left out)."""
    rows = []
    for job in jobs:
        counts = job.get("taskRunStatusCounts") or {}
        rows.append(JobRow(
            job_id=job["jobId"], name=job.get("name", ""),
            archived=job.get("lifecycleStatus") == JobLifecycleStatus.ARCHIVED, status=job.get("taskRunStatus", ""),
            counts=counts, failed=counts.get(S.FAILED, 0), retries=job.get("taskFailureRetryCount") or 0,
            priority=job.get("priority", ""),
            submitter=user_of(job.get("createdBy")), submitted=when(job.get("createdAt")),
            started=when(job.get("startedAt")), ended=when(job.get("endedAt"))))
    return rows
