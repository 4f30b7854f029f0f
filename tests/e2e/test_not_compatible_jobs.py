"""A NOT_COMPATIBLE job stays so until it is requeued; a requeue, at any level, checks the fleets again.

AWS checks a job against the fleets associated with its queue when it is created, and documents
requeueing as the way to run it again. Associating a compatible fleet later does not start it by
itself. A requeue (UpdateJob, UpdateStep or UpdateTask to PENDING or READY; the official CLI's
`deadline job requeue-tasks` uses UpdateTask) runs it when a fleet can now run every step, and
leaves it NOT_COMPATIBLE when none can yet. Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import json

import pytest
from e2e.test_deadline_cli import cli_env, ok, run_cli  # noqa: F401

from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET, ScriptedWorker

pytestmark = pytest.mark.official_clients

ROLE = "arn:aws:iam::000000000000:role/f"
WINDOWS_ONLY = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "windows render",
    "steps": [
        {"name": "Render",
         "hostRequirements": {"attributes": [{"name": "attr.worker.os.family", "anyOf": ["windows"]}]},
         "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-2"}]},
         "script": {"actions": {"onRun": {"command": "render.exe", "args": ["{{Task.Param.Frame}}"]}}}},
        {"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
         "script": {"actions": {"onRun": {"command": "encode.exe"}}}},
    ],
})
WINDOWS_FLEET = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "WINDOWS", "cpuArchitectureType": "x86_64"}}}
WINDOWS_WORKER = {**CAPABILITIES, "attributes": [{"name": "attr.worker.os.family", "values": ["windows"]},
                                                 {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}]}


@pytest.fixture
def linux_queue(deadline) -> dict[str, str]:
    farm_id = deadline.create_farm(displayName="compatibility")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q", jobRunAsUser={"runAs": "WORKER_AGENT_USER"})[
        "queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="linux", roleArn=ROLE, maxWorkerCount=1,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id}


def statuses(deadline, ids) -> tuple[str, dict[str, str]]:
    return (deadline.get_job(**ids)["taskRunStatus"],
            {step["name"]: step["taskRunStatus"] for step in deadline.list_steps(**ids)["steps"]})


def requeue_with_the_cli(run_cli, ids) -> str:
    return ok(run_cli("job", "requeue-tasks", "--farm-id", ids["farmId"], "--queue-id", ids["queueId"],
                      "--job-id", ids["jobId"], "--run-status", "NOT_COMPATIBLE", "--run-status", "CANCELED", "--yes"))


def test_a_cli_requeue_runs_a_not_compatible_job_once_a_compatible_fleet_is_associated(deadline, run_cli,
                                                                                      linux_queue):
    ids = {**linux_queue, "jobId": deadline.create_job(**linux_queue, priority=50, templateType="JSON",
                                                       template=WINDOWS_ONLY)["jobId"]}
    assert statuses(deadline, ids) == ("NOT_COMPATIBLE", {"Render": "NOT_COMPATIBLE", "Encode": "CANCELED"})

    # Requeued while still no fleet can run Render: it is NOT_COMPATIBLE again, not a READY job
    # that no worker will ever take.
    assert "Requeued a total of 3 tasks." in requeue_with_the_cli(run_cli, ids)
    assert statuses(deadline, ids) == ("NOT_COMPATIBLE", {"Render": "NOT_COMPATIBLE", "Encode": "CANCELED"})

    fleet_id = deadline.create_fleet(farmId=ids["farmId"], displayName="windows", roleArn=ROLE, maxWorkerCount=1,
                                     configuration=WINDOWS_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=ids["farmId"], queueId=ids["queueId"], fleetId=fleet_id)
    # Associating the fleet does not rerun the job by itself.
    assert statuses(deadline, ids) == ("NOT_COMPATIBLE", {"Render": "NOT_COMPATIBLE", "Encode": "CANCELED"})

    requeue_with_the_cli(run_cli, ids)
    assert statuses(deadline, ids) == ("READY", {"Render": "READY", "Encode": "PENDING"})
    ScriptedWorker(deadline, ids["farmId"], fleet_id, capabilities=WINDOWS_WORKER).run()
    assert statuses(deadline, ids) == ("SUCCEEDED", {"Render": "SUCCEEDED", "Encode": "SUCCEEDED"})


@pytest.mark.parametrize("level", ["job", "step"])
def test_a_job_or_step_requeue_of_a_not_compatible_job_checks_the_fleets_again(deadline, linux_queue, level):
    ids = {**linux_queue, "jobId": deadline.create_job(**linux_queue, priority=50, templateType="JSON",
                                                       template=WINDOWS_ONLY)["jobId"]}

    def requeue():
        if level == "job":  # the requeue AWS documents: UpdateJob targetTaskRunStatus PENDING
            deadline.update_job(**ids, targetTaskRunStatus="PENDING")
        else:
            for step in deadline.list_steps(**ids)["steps"]:
                deadline.update_step(**ids, stepId=step["stepId"], targetTaskRunStatus="PENDING")

    requeue()
    assert statuses(deadline, ids) == ("NOT_COMPATIBLE", {"Render": "NOT_COMPATIBLE", "Encode": "CANCELED"})
    fleet_id = deadline.create_fleet(farmId=ids["farmId"], displayName="windows", roleArn=ROLE, maxWorkerCount=1,
                                     configuration=WINDOWS_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=ids["farmId"], queueId=ids["queueId"], fleetId=fleet_id)
    requeue()
    assert statuses(deadline, ids) == ("READY", {"Render": "READY", "Encode": "PENDING"})
