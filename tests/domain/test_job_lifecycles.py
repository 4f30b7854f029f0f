"""Which job lifecycle statuses let a job be changed and scheduled (docs/jobs.md, "Lifecycle")."""

from __future__ import annotations

import pytest

from farmstead.domain import job_lifecycles
from farmstead.domain.statuses import JobLifecycleStatus


@pytest.mark.parametrize(("status", "live"), [
    ("CREATE_IN_PROGRESS", False),
    ("CREATE_FAILED", False),
    ("CREATE_COMPLETE", True),
    ("UPLOAD_IN_PROGRESS", False),
    ("UPLOAD_FAILED", False),
    ("UPDATE_IN_PROGRESS", True),
    ("UPDATE_FAILED", True),
    ("UPDATE_SUCCEEDED", True),
    ("ARCHIVED", False),
])
def test_only_a_created_unarchived_job_is_live(status, live):
    assert job_lifecycles.is_live(status) is live


def test_the_table_covers_every_lifecycle_status():
    assert len(JobLifecycleStatus) == 9
