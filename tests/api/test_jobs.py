"""Jobs from OpenJD templates through a real boto3 client: CreateJob, GetJob field by field, updates."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

RENDER = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "Render {{Param.Scene}}",
    "description": "A frame range render",
    "parameterDefinitions": [
        {"name": "Scene", "type": "STRING", "default": "shot010"},
        {"name": "Frames", "type": "STRING", "default": "1-10"},
        {"name": "Quality", "type": "INT", "default": 5, "minValue": 1, "maxValue": 10},
    ],
    "steps": [
        {"name": "Render",
         "parameterSpace": {"taskParameterDefinitions": [
             {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}]},
         "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}},
        {"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
         "script": {"actions": {"onRun": {"command": "echo", "args": ["encode"]}}}},
    ],
}
ALL_STATUSES = {"PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING", "RUNNING", "SUSPENDED",
                "CANCELED", "FAILED", "SUCCEEDED", "NOT_COMPATIBLE"}


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="jobs")["queueId"]


@pytest.fixture
def compatible_queue_id(deadline, farm_id, queue_id) -> str:
    fleet_id = deadline.create_fleet(
        farmId=farm_id, displayName="linux", roleArn="arn:aws:iam::000000000000:role/fleet", maxWorkerCount=4,
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return queue_id


def submit(deadline, farm_id, queue_id, template=RENDER, **kwargs) -> str:
    return deadline.create_job(farmId=farm_id, queueId=queue_id, priority=kwargs.pop("priority", 50),
                               templateType="JSON", template=json.dumps(template), **kwargs)["jobId"]


def test_get_job_returns_every_documented_field(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-4"}})
    job = deadline.get_job(farmId=farm_id, queueId=compatible_queue_id, jobId=job_id)
    assert job["jobId"] == job_id
    assert job["name"] == "Render shot010"
    assert job["description"] == "A frame range render"
    assert job["lifecycleStatus"] == "CREATE_COMPLETE"
    assert job["lifecycleStatusMessage"] == "Job creation completed successfully"
    assert job["priority"] == 50
    assert job["createdBy"].endswith("user/admin")
    assert job["taskRunStatus"] == "READY"
    assert job["targetTaskRunStatus"] == "READY"
    assert set(job["taskRunStatusCounts"]) == ALL_STATUSES
    assert job["taskRunStatusCounts"]["READY"] == 4 and job["taskRunStatusCounts"]["PENDING"] == 1
    assert sum(job["taskRunStatusCounts"].values()) == 5
    assert job["taskFailureRetryCount"] == 0
    assert (job["maxFailedTasksCount"], job["maxRetriesPerTask"]) == (20, 5)
    assert job["parameters"] == {"Scene": {"string": "shot010"}, "Frames": {"string": "1-4"},
                                 "Quality": {"int": "5"}}
    for absent in ("maxWorkerCount", "updatedAt", "updatedBy", "startedAt", "endedAt", "sourceJobId",
                   "storageProfileId", "attachments"):
        assert absent not in job, absent


def test_steps_and_tasks_follow_the_template(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-3"}})
    ids = {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id}
    steps = deadline.list_steps(**ids)["steps"]
    assert [s["name"] for s in steps] == ["Render", "Encode"]
    render, encode = steps
    assert render["taskRunStatus"] == "READY" and encode["taskRunStatus"] == "PENDING"
    assert encode["dependencyCounts"] == {"dependenciesResolved": 0, "dependenciesUnresolved": 1,
                                          "consumersResolved": 0, "consumersUnresolved": 0}
    tasks = deadline.list_tasks(**ids, stepId=render["stepId"])["tasks"]
    assert [t["parameters"] for t in tasks] == [{"Frame": {"int": str(i)}} for i in (1, 2, 3)]
    assert all(t["taskId"].startswith("task-" + render["stepId"][5:]) for t in tasks)
    task = deadline.get_task(**ids, stepId=render["stepId"], taskId=tasks[0]["taskId"])
    assert task["runStatus"] == "READY" and task["failureRetryCount"] == 0
    step = deadline.get_step(**ids, stepId=render["stepId"])
    assert step["parameterSpace"]["parameters"] == [{"name": "Frame", "type": "INT"}]
    deps = deadline.list_step_dependencies(**ids, stepId=encode["stepId"])["dependencies"]
    assert deps == [{"stepId": render["stepId"], "status": "UNRESOLVED"}]
    consumers = deadline.list_step_consumers(**ids, stepId=render["stepId"])["consumers"]
    assert consumers == [{"stepId": encode["stepId"], "status": "UNRESOLVED"}]


def test_job_without_a_compatible_fleet_is_not_compatible(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id)
    job = deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)
    assert job["taskRunStatus"] == "NOT_COMPATIBLE"
    assert "endedAt" in job


def test_suspended_submission_starts_suspended(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, targetTaskRunStatus="SUSPENDED")
    job = deadline.get_job(farmId=farm_id, queueId=compatible_queue_id, jobId=job_id)
    assert job["taskRunStatus"] == "SUSPENDED" and job["targetTaskRunStatus"] == "SUSPENDED"


def test_template_error_is_validation_exception_and_stores_nothing(deadline, farm_id, compatible_queue_id):
    bad = {**RENDER, "specificationVersion": "jobtemplate-1999-01"}
    with pytest.raises(ClientError) as caught:
        submit(deadline, farm_id, compatible_queue_id, template=bad)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["fieldList"][0]["name"] == "template"
    assert deadline.list_jobs(farmId=farm_id, queueId=compatible_queue_id)["jobs"] == []


def test_yaml_given_as_json_is_validation_exception(deadline, farm_id, compatible_queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.create_job(farmId=farm_id, queueId=compatible_queue_id, priority=50, templateType="JSON",
                            template="specificationVersion: jobtemplate-2023-09\nname: x\n")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("parameters", [
    {"Quality": {"int": "11"}},
    {"Quality": {"string": "5"}},
    {"Nonsense": {"string": "x"}},
])
def test_bad_parameters_are_validation_exceptions(deadline, farm_id, compatible_queue_id, parameters):
    with pytest.raises(ClientError) as caught:
        submit(deadline, farm_id, compatible_queue_id, parameters=parameters)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_unknown_job_is_resource_not_found(deadline, farm_id, compatible_queue_id):
    missing = "job-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.get_job(farmId=farm_id, queueId=compatible_queue_id, jobId=missing)
    assert caught.value.response["resourceId"] == missing
    assert caught.value.response["resourceType"] == "job"


def test_cancel_then_requeue_moves_every_task(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-5"}})
    ids = {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id}
    deadline.update_job(**ids, targetTaskRunStatus="CANCELED")
    job = deadline.get_job(**ids)
    assert job["taskRunStatus"] == "CANCELED" and job["taskRunStatusCounts"]["CANCELED"] == 6
    assert "endedAt" in job and job["updatedBy"].endswith("user/admin")
    deadline.update_job(**ids, targetTaskRunStatus="READY")
    job = deadline.get_job(**ids)
    assert job["taskRunStatus"] == "READY"
    assert job["taskRunStatusCounts"]["READY"] == 5 and job["taskRunStatusCounts"]["PENDING"] == 1
    assert "endedAt" not in job


def test_succeeding_a_step_releases_its_consumers(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-2"}})
    ids = {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id}
    render, encode = deadline.list_steps(**ids)["steps"]
    deadline.update_step(**ids, stepId=render["stepId"], targetTaskRunStatus="SUCCEEDED")
    assert deadline.get_step(**ids, stepId=encode["stepId"])["taskRunStatus"] == "READY"
    assert deadline.list_step_dependencies(**ids, stepId=encode["stepId"])["dependencies"][0]["status"] == "RESOLVED"


def test_update_task_changes_one_task_and_the_counts(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-3"}})
    ids = {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id}
    render = deadline.list_steps(**ids)["steps"][0]
    task_id = deadline.list_tasks(**ids, stepId=render["stepId"])["tasks"][0]["taskId"]
    deadline.update_task(**ids, stepId=render["stepId"], taskId=task_id, targetRunStatus="SUSPENDED")
    task = deadline.get_task(**ids, stepId=render["stepId"], taskId=task_id)
    assert task["runStatus"] == "SUSPENDED" and task["targetRunStatus"] == "SUSPENDED"
    counts = deadline.get_job(**ids)["taskRunStatusCounts"]
    assert counts["SUSPENDED"] == 1 and counts["READY"] == 2


def test_archiving_a_running_job_is_a_status_conflict(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id)
    ids = {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id}
    with pytest.raises(ClientError) as caught:
        deadline.update_job(**ids, lifecycleStatus="ARCHIVED")
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    deadline.update_job(**ids, targetTaskRunStatus="CANCELED")
    deadline.update_job(**ids, lifecycleStatus="ARCHIVED")
    assert deadline.get_job(**ids)["lifecycleStatus"] == "ARCHIVED"
    with pytest.raises(ClientError) as caught:
        deadline.update_job(**ids, priority=10)
    assert caught.value.response["reason"] == "STATUS_CONFLICT"


def test_copy_of_a_job_keeps_template_and_parameters(deadline, farm_id, compatible_queue_id):
    source = submit(deadline, farm_id, compatible_queue_id, parameters={"Scene": {"string": "shot020"}})
    copy = deadline.create_job(farmId=farm_id, queueId=compatible_queue_id, priority=60, sourceJobId=source,
                               nameOverride="retake")["jobId"]
    job = deadline.get_job(farmId=farm_id, queueId=compatible_queue_id, jobId=copy)
    assert job["name"] == "retake" and job["sourceJobId"] == source
    assert job["parameters"]["Scene"] == {"string": "shot020"}


def test_batch_get_job_reports_missing_ones_as_errors(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id)
    missing = "job-" + "f" * 32
    answer = deadline.batch_get_job(identifiers=[
        {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": job_id},
        {"farmId": farm_id, "queueId": compatible_queue_id, "jobId": missing}])
    assert [j["jobId"] for j in answer["jobs"]] == [job_id]
    assert answer["errors"][0]["jobId"] == missing and answer["errors"][0]["code"] == "ResourceNotFoundException"


def test_large_job_is_accepted_at_once_and_completes_in_the_background(deadline, farm_id, compatible_queue_id):
    job_id = submit(deadline, farm_id, compatible_queue_id, parameters={"Frames": {"string": "1-20000"}})
    waiter = deadline.get_waiter("job_create_complete")
    waiter.wait(farmId=farm_id, queueId=compatible_queue_id, jobId=job_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    job = deadline.get_job(farmId=farm_id, queueId=compatible_queue_id, jobId=job_id)
    assert job["taskRunStatusCounts"]["READY"] == 20000


def test_deleting_a_queue_deletes_its_jobs(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id)
    deadline.delete_queue(farmId=farm_id, queueId=queue_id)
    with pytest.raises(ClientError) as caught:
        deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_queue_with_an_active_job_is_scheduling(deadline, farm_id, compatible_queue_id):
    assert deadline.get_queue(farmId=farm_id, queueId=compatible_queue_id)["status"] == "IDLE"
    submit(deadline, farm_id, compatible_queue_id)
    deadline.get_waiter("queue_scheduling").wait(farmId=farm_id, queueId=compatible_queue_id,
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_requeue_checks_fleet_compatibility_again(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id)
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    assert deadline.get_job(**ids)["taskRunStatus"] == "NOT_COMPATIBLE"
    deadline.update_job(**ids, targetTaskRunStatus="READY")
    assert deadline.get_job(**ids)["taskRunStatus"] == "NOT_COMPATIBLE"
    fleet_id = deadline.create_fleet(
        farmId=farm_id, displayName="late", roleArn="arn:aws:iam::000000000000:role/fleet", maxWorkerCount=1,
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    deadline.update_job(**ids, targetTaskRunStatus="READY")
    assert deadline.get_job(**ids)["taskRunStatus"] == "READY"
