"""Jobs waiting on jobs (docs/self-managing.md, "Job dependencies"): CreateJob's reserved tag
farmstead:after, with Slurm's conditions; driven by a protocol-level worker, with no client polling."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import REGION
from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit

AFTER = "farmstead:after"


@pytest.fixture
def farm(deadline, farm_id) -> dict:
    return served_queue(deadline, farm_id)


def job(deadline, farm, job_id) -> dict:
    return deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)


def refused(deadline, farm, after: str) -> str:
    with pytest.raises(ClientError) as error:
        submit(deadline, farm, "1-1", tags={AFTER: after})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["fieldList"][0]["name"] == "tags"
    return error.value.response["Error"]["Message"]


def test_a_chain_of_three_jobs_runs_in_order_with_no_polling_by_the_client(deadline, farm):
    sim = submit(deadline, farm, "1-2", nameOverride="sim")
    render = submit(deadline, farm, "1-2", nameOverride="render", tags={AFTER: sim})
    encode = submit(deadline, farm, "1-1", nameOverride="encode", tags={AFTER: f"afterok:{render}"})
    waiting = job(deadline, farm, encode)
    assert waiting["taskRunStatus"] == "PENDING" and waiting["taskRunStatusCounts"]["PENDING"] == 1
    assert render in waiting["lifecycleStatusMessage"] and "to succeed" in waiting["lifecycleStatusMessage"]
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    worker.run()
    order = [action["definition"]["taskRun"]["stepId"] for action in worker.ran if "taskRun" in action["definition"]]
    steps = {j: deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"], jobId=j)["steps"][0]["stepId"]
             for j in (sim, render, encode)}
    assert order == [steps[sim]] * 2 + [steps[render]] * 2 + [steps[encode]]
    assert all(job(deadline, farm, j)["taskRunStatus"] == "SUCCEEDED" for j in (sim, render, encode))
    assert job(deadline, farm, render)["lifecycleStatusMessage"].startswith("Released")


def test_a_waiting_job_is_canceled_when_afterok_can_no_longer_hold(deadline, farm):
    upstream = submit(deadline, farm, "1-1", maxRetriesPerTask=0)
    downstream = submit(deadline, farm, "1-1", tags={AFTER: upstream})
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run(outcome=lambda action: "FAILED")
    canceled = job(deadline, farm, downstream)
    assert canceled["taskRunStatus"] == "CANCELED"
    assert "can no longer hold" in canceled["lifecycleStatusMessage"] and upstream in canceled["lifecycleStatusMessage"]


def test_afterany_runs_after_an_upstream_failure_and_afternotok_only_after_one(deadline, farm):
    upstream = submit(deadline, farm, "1-1", maxRetriesPerTask=0)
    any_end = submit(deadline, farm, "1-1", tags={AFTER: f"afterany:{upstream}"})
    on_failure = submit(deadline, farm, "1-1", tags={AFTER: f"afternotok:{upstream}"})
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    worker.run(outcome=lambda action: "FAILED" if action["definition"].get("taskRun", {}).get("stepId") ==
               deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"],
                                   jobId=upstream)["steps"][0]["stepId"] else "SUCCEEDED")
    assert job(deadline, farm, upstream)["taskRunStatus"] == "FAILED"
    assert job(deadline, farm, any_end)["taskRunStatus"] == "SUCCEEDED"
    assert job(deadline, farm, on_failure)["taskRunStatus"] == "SUCCEEDED"


def test_afternotok_is_canceled_when_the_upstream_succeeds(deadline, farm):
    upstream = submit(deadline, farm, "1-1")
    on_failure = submit(deadline, farm, "1-1", tags={AFTER: f"afternotok:{upstream}"})
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run()
    assert job(deadline, farm, on_failure)["taskRunStatus"] == "CANCELED"


def test_a_queue_can_leave_a_job_waiting_when_its_condition_can_no_longer_hold(deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="keeps waiting",
                                     tags={"farmstead:dependencyNeverSatisfied": "wait"})["queueId"]
    fleet_id = served_queue(deadline, farm_id)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    farm = {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
    upstream = submit(deadline, farm, "1-1", maxRetriesPerTask=0)
    downstream = submit(deadline, farm, "1-1", tags={AFTER: upstream})
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run(outcome=lambda action: "FAILED")
    waiting = job(deadline, farm, downstream)
    assert waiting["taskRunStatus"] == "PENDING" and "can no longer hold" in waiting["lifecycleStatusMessage"]


def test_a_job_whose_upstream_already_succeeded_runs_at_once(deadline, farm):
    upstream = submit(deadline, farm, "1-1")
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run()
    downstream = submit(deadline, farm, "1-1", tags={AFTER: upstream})
    assert job(deadline, farm, downstream)["taskRunStatus"] == "READY"


def test_unknown_unseen_and_malformed_upstream_jobs_are_refused(deadline, farm, farm_id):
    unknown = "job-" + "0" * 32
    assert f"no job {unknown} in farm {farm_id}" in refused(deadline, farm, unknown)
    other_farm = served_queue(deadline, deadline.create_farm(displayName="elsewhere")["farmId"])
    elsewhere = submit(deadline, other_farm, "1-1")
    assert f"no job {elsewhere}" in refused(deadline, farm, elsewhere)
    assert "unknown condition" in refused(deadline, farm, f"afterwards:{elsewhere}")
    assert "is not a job id" in refused(deadline, farm, "render-job")


def test_an_afterok_on_a_failed_job_is_refused_as_it_can_never_hold(deadline, farm):
    upstream = submit(deadline, farm, "1-1", maxRetriesPerTask=0)
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run(outcome=lambda action: "FAILED")
    assert "can never hold" in refused(deadline, farm, upstream)


def test_the_reserved_tag_cannot_be_added_after_creation_so_no_cycle_can_form(deadline, farm, farm_id):
    first = submit(deadline, farm, "1-1")
    second = submit(deadline, farm, "1-1", tags={AFTER: first})
    arn = f"arn:aws:deadline:{REGION}:000000000000:farm/{farm_id}/queue/{farm['queueId']}/job/{first}"
    with pytest.raises(ClientError) as error:
        deadline.tag_resource(resourceArn=arn, tags={AFTER: second})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "only be given to CreateJob" in error.value.response["Error"]["Message"]
