"""`farmstead job requeue/resume`: the failed frames of a job run again without the succeeded ones (its
maxRetriesPerTask raised as far as needed, and said so), a suspended job resumes without re-rendering what
was finished, and `--all` reruns everything only after saying how many succeeded tasks that is."""

from __future__ import annotations

import pytest

from support.worker_jobs import finish_frames, frames_ran, submit

FAILING = {3, 7, 11, 19}


def _job(deadline, farm: dict, job_id: str) -> dict:
    return deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)


def _counts(deadline, farm: dict, job_id: str) -> dict[str, int]:
    return {k: v for k, v in _job(deadline, farm, job_id)["taskRunStatusCounts"].items() if v}


@pytest.fixture
def failed_job(deadline, ready_queue) -> str:
    """30 frames, 4 of which fail twice (one retry each) and end FAILED; 26 SUCCEEDED."""
    job_id = submit(deadline, ready_queue, "1-30", maxRetriesPerTask=1, maxFailedTasksCount=10)
    finish_frames(deadline, ready_queue, FAILING)
    assert _counts(deadline, ready_queue, job_id) == {"SUCCEEDED": 26, "FAILED": 4}
    return job_id


def _job_command(farmstead, api_env, farm: dict, *args: str):
    return farmstead("job", *args, "--farm-id", farm["farmId"], "--queue-id", farm["queueId"], env=api_env)


def test_requeue_runs_exactly_the_failed_frames_again_raising_max_retries_as_far_as_needed(
        farmstead, api_env, deadline, ready_queue, failed_job):
    done = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", failed_job)
    assert done.returncode == 0, done.stderr
    assert "Requeued: 4 tasks (4 FAILED)" in done.stdout
    assert "maxRetriesPerTask was raised from 1 to 2" in done.stdout
    assert _counts(deadline, ready_queue, failed_job) == {"SUCCEEDED": 26, "READY": 4}
    assert _job(deadline, ready_queue, failed_job)["maxRetriesPerTask"] == 2
    worker = finish_frames(deadline, ready_queue)  # the frames are fixed: they succeed now
    assert sorted(frames_ran(worker)) == sorted(FAILING)
    assert _counts(deadline, ready_queue, failed_job) == {"SUCCEEDED": 30}


def test_requeue_of_chosen_tasks_leaves_the_other_failed_ones(farmstead, api_env, deadline, ready_queue, failed_job):
    ids = {"farmId": ready_queue["farmId"], "queueId": ready_queue["queueId"], "jobId": failed_job}
    step = deadline.list_steps(**ids)["steps"][0]["stepId"]
    tasks = deadline.list_tasks(**ids, stepId=step, maxResults=100)["tasks"]
    frame = {int(t["parameters"]["Frame"]["int"]): t["taskId"] for t in tasks}
    done = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", failed_job,
                        "--task-id", frame[3], "--task-id", frame[7], "--task-id", frame[1])
    assert done.returncode == 0, done.stderr
    assert "Requeued: 2 tasks (2 FAILED)" in done.stdout and "1 SUCCEEDED stay as they are" in done.stdout
    assert _counts(deadline, ready_queue, failed_job) == {"SUCCEEDED": 26, "READY": 2, "FAILED": 2}


def test_requeue_with_canceled_also_brings_back_what_the_failure_limit_canceled(farmstead, api_env, deadline,
                                                                                 ready_queue):
    job_id = submit(deadline, ready_queue, "1-10", maxRetriesPerTask=0, maxFailedTasksCount=0)
    finish_frames(deadline, ready_queue, {1})  # the first failure stops the job: the rest is canceled
    counts = _counts(deadline, ready_queue, job_id)
    assert counts["FAILED"] == 1 and counts.get("CANCELED", 0) >= 1
    only_failed = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", job_id)
    assert only_failed.returncode == 0 and "(1 FAILED)" in only_failed.stdout, only_failed.stderr
    assert _counts(deadline, ready_queue, job_id).get("CANCELED") == counts["CANCELED"]
    also = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", job_id, "--canceled")
    assert also.returncode == 0 and f"{counts['CANCELED']} CANCELED" in also.stdout, also.stderr
    assert "CANCELED" not in _counts(deadline, ready_queue, job_id)


def test_resume_brings_back_the_suspended_tasks_only(farmstead, api_env, deadline, ready_queue):
    job_id = submit(deadline, ready_queue, "1-50", targetTaskRunStatus="SUSPENDED")
    ids = {"farmId": ready_queue["farmId"], "queueId": ready_queue["queueId"], "jobId": job_id}
    step = deadline.list_steps(**ids)["steps"][0]["stepId"]
    for task in deadline.list_tasks(**ids, stepId=step, maxResults=20)["tasks"]:  # 20 frames were finished
        deadline.update_task(**ids, stepId=step, taskId=task["taskId"], targetRunStatus="SUCCEEDED")
    assert _counts(deadline, ready_queue, job_id) == {"SUCCEEDED": 20, "SUSPENDED": 30}
    done = _job_command(farmstead, api_env, ready_queue, "resume", "--job-id", job_id)
    assert done.returncode == 0, done.stderr
    assert "Resumed: 30 tasks (30 SUSPENDED); 20 SUCCEEDED stay as they are." in done.stdout
    assert _counts(deadline, ready_queue, job_id) == {"SUCCEEDED": 20, "READY": 30}
    worker = finish_frames(deadline, ready_queue)
    assert sorted(frames_ran(worker)) == list(range(21, 51))


def test_requeue_all_says_how_many_succeeded_tasks_rerun_and_asks_first(farmstead, api_env, deadline, ready_queue,
                                                                        failed_job):
    refused = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", failed_job, "--all")
    assert refused.returncode != 0 and "26 SUCCEEDED tasks will run again" in refused.stdout
    assert _counts(deadline, ready_queue, failed_job) == {"SUCCEEDED": 26, "FAILED": 4}
    done = _job_command(farmstead, api_env, ready_queue, "requeue", "--job-id", failed_job, "--all", "--yes")
    assert done.returncode == 0, done.stderr
    # Every task, the failed ones too: their retries were raised first.
    assert _counts(deadline, ready_queue, failed_job) == {"READY": 30}
    assert "maxRetriesPerTask was raised from 1 to 2" in done.stdout
