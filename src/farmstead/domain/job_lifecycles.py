"""Which lifecycle statuses let a job be changed and run.

Owns: the lifecycle statuses of a job that was created and is not archived (LIVE): the only ones
UpdateJob, UpdateStep and UpdateTask accept and the only ones dispatch claims tasks of.
Must not: move a job's lifecycle (api/jobs.py and orchestration/ do) or read a job.
"""

from __future__ import annotations

from farmstead.domain.statuses import JobLifecycleStatus

L = JobLifecycleStatus

LIVE: tuple[JobLifecycleStatus, ...] = (L.CREATE_COMPLETE, L.UPDATE_IN_PROGRESS, L.UPDATE_SUCCEEDED, L.UPDATE_FAILED)
"""Created and not archived: its tasks may be changed and scheduled. A tuple: the store queries with it."""

CREATING = L.CREATE_IN_PROGRESS
"""Submitted, not yet materialized: its steps and tasks are being created (background/materializer.py)."""


def is_live(status: str) -> bool:
    return status in LIVE
