"""job_control: which changes apply to what, and that a change costs calls per step or per 100 tasks,
never one per task (a resume of a 2,000-task step that is wholly suspended is one UpdateStep)."""

from __future__ import annotations

from botocore import xform_name

from farmstead import job_control
from support.worker_jobs import served_queue, submit


def test_actions_offered_follow_the_counts_of_a_job_or_step():
    assert job_control.actions_for_counts({"RUNNING": 2, "READY": 5}, "RUNNING") == [
        "suspend", "cancel", "fail", "succeed"]
    assert "resume" not in job_control.actions_for_counts({"RUNNING": 2}, "RUNNING")
    assert job_control.actions_for_counts({"SUCCEEDED": 26, "FAILED": 4}, "FAILED") == [
        "requeue_failed", "succeed", "requeue_all"]
    assert job_control.actions_for_counts({"SUCCEEDED": 80, "SUSPENDED": 120}, "SUSPENDED") == [
        "resume", "cancel", "fail", "succeed"]
    assert job_control.actions_for_counts({"SUCCEEDED": 3}, "SUCCEEDED") == ["requeue_all"]
    assert job_control.actions_for_counts({"NOT_COMPATIBLE": 3, "CANCELED": 2}, "NOT_COMPATIBLE") == [
        "requeue_failed_canceled", "fail", "succeed", "requeue_all"]


def test_actions_offered_for_a_task_follow_its_status():
    assert job_control.actions_for_task("SUCCEEDED") == []
    assert job_control.actions_for_task("FAILED") == ["requeue", "succeed"]
    assert job_control.actions_for_task("RUNNING") == ["suspend", "cancel", "fail", "succeed"]
    assert job_control.actions_for_task("SUSPENDED") == ["resume", "cancel", "fail", "succeed"]


def test_resuming_a_wholly_suspended_step_is_one_update_and_a_mixed_one_is_paged(deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
    calls: list[str] = []

    def call(operation: str, **params):
        calls.append(operation)
        return getattr(deadline, xform_name(operation))(**params)

    whole = submit(deadline, farm, "1-2000", targetTaskRunStatus="SUSPENDED")
    outcome = job_control.resume(call, {**ids, "jobId": whole})
    assert outcome.count == 2000 and calls == ["ListSteps", "UpdateStep"]

    mixed = submit(deadline, farm, "1-250", targetTaskRunStatus="SUSPENDED")
    step = deadline.list_steps(**ids, jobId=mixed)["steps"][0]["stepId"]
    first = deadline.list_tasks(**ids, jobId=mixed, stepId=step, maxResults=1)["tasks"][0]["taskId"]
    deadline.update_task(**ids, jobId=mixed, stepId=step, taskId=first, targetRunStatus="SUCCEEDED")
    calls.clear()
    outcome = job_control.resume(call, {**ids, "jobId": mixed})
    assert outcome.count == 249 and outcome.kept == {"SUCCEEDED": 1}
    # 3 pages of SearchTasks to find them, 3 BatchUpdateTask of at most 100 to resume them.
    assert calls.count("SearchTasks") == 3 and calls.count("BatchUpdateTask") == 3 and len(calls) == 7
