"""The monitor's changes to jobs, steps and tasks, over plain HTTP: requeueing the failed frames apart
from requeueing everything (with a warning about what reruns), resuming only what is suspended, and only
the buttons that apply to the item's state."""

from __future__ import annotations

import re

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from support.worker_jobs import finish_frames, served_queue, submit

FAILING = {3, 7, 11, 19}


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "actions-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="actions-admin-pw")[0] == 303
    return browser


@pytest.fixture
def farm(deadline, farm_id) -> dict:
    return served_queue(deadline, farm_id)


def _job_url(farm: dict, job_id: str) -> str:
    return f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{job_id}"


def _counts(deadline, farm: dict, job_id: str) -> dict[str, int]:
    job = deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
    return {k: v for k, v in job["taskRunStatusCounts"].items() if v}


def shown(body: str) -> dict[str, str | None]:
    """The change buttons of the page's own item (its `data-applies` toolbar) that are shown: action ->
    the question the button asks (None: the script's generic one)."""
    toolbar = re.search(r"<form[^>]*data-applies[^>]*>(.*?)</form>", body, re.S).group(1)
    found = {}
    for tag in re.findall(r"<button[^>]*>", toolbar):
        action = re.search(r'value="([^"]+)"', tag).group(1)
        if " hidden" not in tag and action != "priority":
            question = re.search(r'data-question="([^"]*)"', tag)
            found[action] = question.group(1).replace("&#39;", "'") if question else None
    return found


def _post(admin: Browser, page: str, **fields) -> str:
    items = fields.pop("items")
    form = [("csrf", admin.csrf(page)), ("back", page), ("confirmed", "1"), *fields.items(),
            *[("item", item) for item in items]]
    status, headers, _ = admin.request("/actions", form)
    assert (status, headers["location"]) == (303, page)
    return re.search(r'<p class="notice (?:ok|error)"[^>]*>(.*?)</p>', admin.request(page)[2], re.S).group(1)


@pytest.fixture
def failed_job(deadline, farm) -> str:
    job_id = submit(deadline, farm, "1-30", maxRetriesPerTask=1, maxFailedTasksCount=10)
    finish_frames(deadline, farm, FAILING)
    assert _counts(deadline, farm, job_id) == {"SUCCEEDED": 26, "FAILED": 4}
    return job_id


def test_a_failed_job_offers_requeue_failed_apart_from_requeue_all_which_warns_what_reruns(admin, farm, failed_job):
    buttons = shown(admin.request(_job_url(farm, failed_job))[2])
    assert set(buttons) == {"requeue_failed", "succeed", "requeue_all", "archive"}
    assert buttons["requeue_failed"].startswith("Requeue the 4 FAILED tasks of this job? 26 SUCCEEDED stay as")
    assert "maxRetriesPerTask is raised as far as that needs" in buttons["requeue_failed"]
    assert buttons["requeue_all"].startswith("Requeue all 30 tasks of this job? 26 SUCCEEDED tasks will run again.")


def test_requeue_failed_reruns_only_the_failed_frames_and_says_it_raised_the_retries(admin, deadline, farm,
                                                                                     failed_job):
    page = _job_url(farm, failed_job)
    notice = _post(admin, page, kind="job", action="requeue_failed", farm_id=farm["farmId"],
                   queue_id=farm["queueId"], items=[failed_job])
    assert "Requeue failed: 4 tasks (4 FAILED)" in notice
    assert "maxRetriesPerTask was raised from 1 to 2" in notice
    assert _counts(deadline, farm, failed_job) == {"SUCCEEDED": 26, "READY": 4}
    assert set(shown(admin.request(page)[2])) == {"suspend", "cancel", "fail", "succeed"}


def test_without_the_script_the_confirmation_page_asks_the_same_question(admin, farm, failed_job):
    page = _job_url(farm, failed_job)
    status, _, body = admin.request("/actions", {"csrf": admin.csrf(page), "kind": "job", "action": "requeue_all",
                                                 "item": failed_job, "farm_id": farm["farmId"],
                                                 "queue_id": farm["queueId"], "back": page})
    assert status == 200 and "26 SUCCEEDED tasks will run again" in body and 'value="1"' in body


def test_resume_brings_back_the_suspended_tasks_and_the_finished_ones_stay(admin, deadline, farm):
    job_id = submit(deadline, farm, "1-50", targetTaskRunStatus="SUSPENDED")
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}
    step = deadline.list_steps(**ids)["steps"][0]["stepId"]
    for task in deadline.list_tasks(**ids, stepId=step, maxResults=20)["tasks"]:
        deadline.update_task(**ids, stepId=step, taskId=task["taskId"], targetRunStatus="SUCCEEDED")
    page = _job_url(farm, job_id)
    buttons = shown(admin.request(page)[2])
    assert "resume" in buttons and "suspend" not in buttons and "requeue_all" not in buttons
    notice = _post(admin, page, kind="job", action="resume", farm_id=farm["farmId"], queue_id=farm["queueId"],
                   items=[job_id])
    assert "Resume: 30 tasks (30 SUSPENDED); 20 SUCCEEDED stay as they are." in notice
    assert _counts(deadline, farm, job_id) == {"SUCCEEDED": 20, "READY": 30}
    # A job with work to do offers no Resume, and a running one would not either.
    assert set(shown(admin.request(page)[2])) == {"suspend", "cancel", "fail", "succeed"}


def test_a_step_requeues_its_failed_tasks_and_chosen_tasks_only_those_that_failed(admin, deadline, farm,
                                                                                  failed_job):
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": failed_job}
    step = deadline.list_steps(**ids)["steps"][0]["stepId"]
    page = f"{_job_url(farm, failed_job)}/steps/{step}"
    body = admin.request(page)[2]
    assert {"requeue_failed", "requeue_all"} <= set(shown(body)) and "resume" not in shown(body)
    tasks = {int(t["parameters"]["Frame"]["int"]): t["taskId"]
             for t in deadline.list_tasks(**ids, stepId=step, maxResults=100)["tasks"]}
    notice = _post(admin, page, kind="task", action="requeue", farm_id=farm["farmId"], queue_id=farm["queueId"],
                   job_id=failed_job, step_id=step, items=[tasks[3], tasks[1]])
    assert "Requeue: 1 task (1 FAILED)" in notice and "1 SUCCEEDED stay as they are" in notice
    assert _counts(deadline, farm, failed_job) == {"SUCCEEDED": 26, "FAILED": 3, "READY": 1}
    notice = _post(admin, page, kind="step", action="requeue_failed", farm_id=farm["farmId"],
                   queue_id=farm["queueId"], job_id=failed_job, items=[step])
    assert "3 tasks (3 FAILED)" in notice
    assert _counts(deadline, farm, failed_job) == {"SUCCEEDED": 26, "READY": 4}


def test_a_succeeded_task_offers_no_requeue_and_a_failed_one_does(admin, deadline, farm, failed_job):
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": failed_job}
    step = deadline.list_steps(**ids)["steps"][0]["stepId"]
    tasks = {int(t["parameters"]["Frame"]["int"]): t["taskId"]
             for t in deadline.list_tasks(**ids, stepId=step, maxResults=100)["tasks"]}
    base = f"{_job_url(farm, failed_job)}/steps/{step}/tasks"
    assert shown(admin.request(f"{base}/{tasks[1]}")[2]) == {}
    assert set(shown(admin.request(f"{base}/{tasks[3]}")[2])) == {"requeue", "succeed"}


def test_a_not_compatible_job_offers_requeue_the_way_aws_reruns_it(admin, deadline, farm_id):
    queue = deadline.create_queue(farmId=farm_id, displayName="no fleet yet")["queueId"]
    farm = {"farmId": farm_id, "queueId": queue}
    job_id = submit(deadline, farm, "1-3")
    assert deadline.get_job(farmId=farm_id, queueId=queue, jobId=job_id)["taskRunStatus"] == "NOT_COMPATIBLE"
    assert "requeue_all" in shown(admin.request(_job_url(farm, job_id))[2])


def test_an_archived_job_offers_no_change(admin, deadline, farm):
    job_id = submit(deadline, farm, "1-2", targetTaskRunStatus="SUSPENDED")
    deadline.update_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, lifecycleStatus="ARCHIVED")
    body = admin.request(_job_url(farm, job_id))[2]
    assert shown(body) == {} and "Archived: it takes no more changes." in body
