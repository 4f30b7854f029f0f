"""The Batch* operations answer each item on its own: found items, and per-item errors naming the item's
ids with the code and message a single call would get (AccessDeniedException only where the operation's
error codes have it); the items it may change are changed, the others are left as they were."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

STORE = "d-0123456789"
MISSING_JOB = "job-" + "0" * 32


def _frames(count: int) -> str:
    return json.dumps({
        "specificationVersion": "jobtemplate-2023-09", "name": "frames",
        "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "echo"}}},
                   "parameterSpace": {"taskParameterDefinitions": [
                       {"name": "F", "type": "INT", "range": f"1-{count}"}]}}]})


def _job(deadline, farm_id: str, queue_id: str) -> SimpleNamespace:
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=_frames(2))["jobId"]
    key = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    (step,) = deadline.list_steps(**key)["steps"]
    tasks = deadline.list_tasks(**key, stepId=step["stepId"])["tasks"]
    return SimpleNamespace(key=key, step_key={**key, "stepId": step["stepId"]},
                           task_keys=[{**key, "stepId": step["stepId"], "taskId": t["taskId"]} for t in tasks])


@pytest.fixture
def setup(server, deadline, farm_id):
    """A job on a queue the user manages, and one on a queue the user has no membership on."""
    mine = deadline.create_queue(farmId=farm_id, displayName="mine")["queueId"]
    theirs = deadline.create_queue(farmId=farm_id, displayName="theirs")["queueId"]
    principal_id, key_id, secret = server.new_user(f"batch-manager-{farm_id[-8:]}")
    deadline.associate_member_to_queue(farmId=farm_id, queueId=mine, principalId=principal_id, principalType="USER",
                                       identityStoreId=STORE, membershipLevel="MANAGER")
    return SimpleNamespace(user=server.client(key_id=key_id, secret=secret), mine=_job(deadline, farm_id, mine),
                           theirs=_job(deadline, farm_id, theirs), missing={"farmId": farm_id, "queueId": mine,
                                                                            "jobId": MISSING_JOB})


def _denied(operation: str) -> str:
    return f"is not authorized to perform: deadline:{operation} on this resource."


def test_batch_get_job_answers_found_missing_and_denied_items_apart(setup):
    answer = setup.user.batch_get_job(identifiers=[setup.mine.key, setup.missing, setup.theirs.key])
    assert [(j["farmId"], j["queueId"], j["jobId"]) for j in answer["jobs"]] == [tuple(setup.mine.key.values())]
    missing, denied = answer["errors"]
    assert missing == {**setup.missing, "code": "ResourceNotFoundException",
                       "message": f"Resource of type job with id {MISSING_JOB} does not exist."}
    assert {k: denied[k] for k in ("farmId", "queueId", "jobId", "code")} == {**setup.theirs.key,
                                                                              "code": "AccessDeniedException"}
    assert denied["message"].endswith(_denied("BatchGetJob"))


def test_batch_get_step_and_task_answer_per_item(setup):
    steps = setup.user.batch_get_step(identifiers=[setup.mine.step_key, setup.theirs.step_key])
    assert [s["stepId"] for s in steps["steps"]] == [setup.mine.step_key["stepId"]]
    assert steps["steps"][0]["jobId"] == setup.mine.key["jobId"]
    assert [(e["stepId"], e["code"]) for e in steps["errors"]] == [
        (setup.theirs.step_key["stepId"], "AccessDeniedException")]
    tasks = setup.user.batch_get_task(identifiers=[*setup.mine.task_keys, setup.theirs.task_keys[0]])
    assert [(t["stepId"], t["taskId"]) for t in tasks["tasks"]] == [
        (k["stepId"], k["taskId"]) for k in setup.mine.task_keys]
    (error,) = tasks["errors"]
    assert {k: error[k] for k in ("taskId", "code")} == {"taskId": setup.theirs.task_keys[0]["taskId"],
                                                         "code": "AccessDeniedException"}
    assert error["message"].endswith(_denied("BatchGetTask"))


def test_batch_update_job_applies_the_items_it_may_and_lists_the_others(setup, deadline):
    answer = setup.user.batch_update_job(jobs=[{**setup.mine.key, "priority": 70},
                                               {**setup.missing, "priority": 70},
                                               {**setup.theirs.key, "priority": 70}])
    assert [(e["jobId"], e["code"]) for e in answer["errors"]] == [
        (MISSING_JOB, "ResourceNotFoundException"), (setup.theirs.key["jobId"], "AccessDeniedException")]
    assert deadline.get_job(**setup.mine.key)["priority"] == 70
    assert deadline.get_job(**setup.theirs.key)["priority"] == 50


def test_batch_update_task_applies_the_items_it_may_and_leaves_the_others_as_they_were(setup, deadline):
    first, second = setup.mine.task_keys
    before = {k["taskId"]: deadline.get_task(**k)["runStatus"] for k in (second, setup.theirs.task_keys[0])}
    answer = setup.user.batch_update_task(tasks=[
        {**first, "targetRunStatus": "SUSPENDED"},
        {**setup.theirs.task_keys[0], "targetRunStatus": "SUSPENDED"},
        {**second, "stepId": setup.theirs.step_key["stepId"], "targetRunStatus": "SUSPENDED"}])
    assert [e["code"] for e in answer["errors"]] == ["AccessDeniedException", "ResourceNotFoundException"]
    assert deadline.get_task(**first)["runStatus"] == "SUSPENDED"
    assert {k["taskId"]: deadline.get_task(**k)["runStatus"] for k in (second, setup.theirs.task_keys[0])} == before
