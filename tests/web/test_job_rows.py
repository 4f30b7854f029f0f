"""What each cell of the job list's row says (web/job_rows.py), from a SearchJobs summary as the monitor gets it."""

from __future__ import annotations

from datetime import UTC, datetime

from farmstead.web.job_rows import JobRow, job_rows

SUBMITTED = datetime(2026, 12, 7, 0, 30, 5, 123456, tzinfo=UTC)


def test_a_row_says_the_submitters_name_the_failures_and_retries_and_a_dash_for_times_not_reached():
    summary = {"jobId": "job-1", "name": "shot 010", "lifecycleStatus": "ARCHIVED", "taskRunStatus": "FAILED",
               "taskRunStatusCounts": {"FAILED": 2, "SUCCEEDED": 8}, "taskFailureRetryCount": 3, "priority": 70,
               "createdBy": "arn:aws:iam::000000000000:user/alice", "createdAt": SUBMITTED}
    assert job_rows([summary]) == [JobRow(
        job_id="job-1", name="shot 010", archived=True, status="FAILED", counts={"FAILED": 2, "SUCCEEDED": 8},
        failed=2, retries=3, priority=70, submitter="alice", submitted="2026-12-07 00:30:05 UTC", started="—",
        ended="—")]


def test_a_row_of_a_summary_without_counts_or_retries_shows_none():
    row = job_rows([{"jobId": "job-2", "name": "n", "lifecycleStatus": "CREATE_COMPLETE", "taskRunStatus": "READY",
                     "priority": 50, "createdBy": "someone", "createdAt": SUBMITTED}])[0]
    assert (row.archived, row.counts, row.failed, row.retries, row.submitter) == (False, {}, 0, 0, "someone")
