"""Frame-by-frame job dependencies (docs/self-managing.md, "Job dependencies"): `farmstead:after =
frame:JOB` releases each task of the waiting job as soon as the upstream job's task with the same
parameters succeeds, in the transaction of that report; driven by a protocol-level worker."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.worker_jobs import served_queue, submit

AFTER = "farmstead:after"


@pytest.fixture
def farm(deadline, farm_id) -> dict:
    return served_queue(deadline, farm_id)


def frames_by_status(deadline, farm, job_id) -> dict[int, str]:
    step_id = deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)["steps"][0]["stepId"]
    listed = deadline.list_tasks(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, stepId=step_id)
    return {int(task["parameters"]["Frame"]["int"]): task["runStatus"] for task in listed["tasks"]}


def comp_template(frames: str, step: str = "Comp") -> str:
    return json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "comp", "steps": [{
        "name": step,
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": frames}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}]})


def submit_comp(deadline, farm, frames: str, upstream: str, **kwargs) -> str:
    return deadline.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=kwargs.pop("priority", 40),
                               templateType="JSON", template=comp_template(frames, **kwargs),
                               tags={AFTER: f"frame:{upstream}"})["jobId"]


def frame_of(action) -> tuple[str, int] | None:
    run = action["definition"].get("taskRun")
    return (run["stepId"], int(run["parameters"]["Frame"]["int"])) if run else None


def test_each_comp_frame_is_ready_right_after_its_render_frame_succeeds(deadline, farm):
    render = submit(deadline, farm, "1-10")  # priority 50: the worker takes render frames first
    comp = submit_comp(deadline, farm, "1-10", render)
    assert set(frames_by_status(deadline, farm, comp).values()) == {"PENDING"}
    render_step = deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"],
                                      jobId=render)["steps"][0]["stepId"]
    seen: list[dict[int, str]] = []

    def outcome(action) -> str:
        ran = frame_of(action)
        if ran and ran[0] == render_step and ran[1] > 1:
            # Frame N-1's success came with the poll that handed out frame N.
            comp_now, render_now = frames_by_status(deadline, farm, comp), frames_by_status(deadline, farm, render)
            assert all(comp_now[f] == "READY" for f in range(1, ran[1]))
            assert all(comp_now[f] == "PENDING" for f in range(ran[1], 11))
            # ...while render frames N to 10 are handed out, not yet done
            # (the session queues the step's tasks ahead: ASSIGNED).
            assert all(render_now[f] in ("ASSIGNED", "RUNNING", "READY") for f in range(ran[1], 11))
            seen.append(comp_now)
        return "SUCCEEDED"
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    worker.run(outcome=outcome)
    assert len(seen) == 9
    assert set(frames_by_status(deadline, farm, comp).values()) == {"SUCCEEDED"}


def test_a_failed_upstream_frame_cancels_only_its_downstream_frame(deadline, farm):
    render = submit(deadline, farm, "1-10", maxRetriesPerTask=0)
    comp = submit_comp(deadline, farm, "1-10", render)
    render_step = deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"],
                                      jobId=render)["steps"][0]["stepId"]

    def outcome(action) -> str:
        return "FAILED" if frame_of(action) == (render_step, 3) else "SUCCEEDED"
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run(outcome=outcome)
    comp_frames = frames_by_status(deadline, farm, comp)
    assert comp_frames[3] == "CANCELED"
    assert all(status == "SUCCEEDED" for frame, status in comp_frames.items() if frame != 3)


def test_a_queue_can_leave_the_frame_waiting_when_its_upstream_frame_failed(deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="keeps waiting",
                                     tags={"farmstead:dependencyNeverSatisfied": "wait"})["queueId"]
    fleet_id = served_queue(deadline, farm_id)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    farm = {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
    render = submit(deadline, farm, "1-3", maxRetriesPerTask=0)
    comp = submit_comp(deadline, farm, "1-3", render)
    render_step = deadline.list_steps(farmId=farm_id, queueId=queue_id, jobId=render)["steps"][0]["stepId"]
    ScriptedWorker(deadline, farm_id, fleet_id).run(
        outcome=lambda action: "FAILED" if frame_of(action) == (render_step, 2) else "SUCCEEDED")
    assert frames_by_status(deadline, farm, comp) == {1: "SUCCEEDED", 2: "PENDING", 3: "SUCCEEDED"}


def test_frames_the_upstream_job_lacks_run_at_once_and_succeeded_ones_are_not_waited_for(deadline, farm):
    render = submit(deadline, farm, "1-2")
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run()
    comp = submit_comp(deadline, farm, "1-4", render)
    assert set(frames_by_status(deadline, farm, comp).values()) == {"READY"}
    later = submit(deadline, farm, "1-2", nameOverride="later")
    waits = submit_comp(deadline, farm, "1-4", later)
    assert frames_by_status(deadline, farm, waits) == {1: "PENDING", 2: "PENDING", 3: "READY", 4: "READY"}


def test_a_step_follows_the_upstream_step_of_its_own_name(deadline, farm):
    render = submit(deadline, farm, "1-2", second_step=True)  # steps Render and Encode
    comp = submit_comp(deadline, farm, "1-2", render, step="Render")
    assert set(frames_by_status(deadline, farm, comp).values()) == {"PENDING"}


def test_createjob_refuses_a_step_that_follows_no_upstream_step(deadline, farm):
    render = submit(deadline, farm, "1-2", second_step=True)  # steps Render and Encode, no Comp
    with pytest.raises(ClientError) as error:
        submit_comp(deadline, farm, "1-2", render)
    response = error.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Error"]["Message"] == (
        f"Tag farmstead:after: frame: step 'Comp' follows no step of {render}, which has no step of that "
        "name and 2 steps; name the steps alike or wait on a job with one step.")
    assert response["fieldList"] == [{"name": "tags", "message": response["Error"]["Message"]}]


def test_frame_names_one_upstream_job(deadline, farm):
    first, second = submit(deadline, farm, "1-1"), submit(deadline, farm, "1-1")
    with pytest.raises(ClientError) as error:
        submit_comp(deadline, farm, "1-1", f"{first},{second}")
    assert error.value.response["Error"]["Message"] == "Tag farmstead:after: frame names one job, not 2."


def test_frames_waiting_on_a_canceled_upstream_job_are_canceled_and_one_marked_succeeded_is_released(deadline, farm):
    render = submit(deadline, farm, "1-3")
    comp = submit_comp(deadline, farm, "1-3", render)
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": render}
    step_id = deadline.list_steps(**ids)["steps"][0]["stepId"]
    frame_one = next(t["taskId"] for t in deadline.list_tasks(**ids, stepId=step_id)["tasks"]
                     if t["parameters"]["Frame"]["int"] == "1")
    deadline.update_task(**ids, stepId=step_id, taskId=frame_one, targetRunStatus="SUCCEEDED")
    assert frames_by_status(deadline, farm, comp) == {1: "READY", 2: "PENDING", 3: "PENDING"}
    deadline.update_job(**ids, targetTaskRunStatus="CANCELED")
    assert frames_by_status(deadline, farm, comp) == {1: "READY", 2: "CANCELED", 3: "CANCELED"}


def test_an_upstream_frame_that_fails_and_is_retried_releases_its_frame_once_it_succeeds(deadline, farm):
    render = submit(deadline, farm, "1-3", maxRetriesPerTask=2)
    comp = submit_comp(deadline, farm, "1-3", render)
    render_step = deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"],
                                      jobId=render)["steps"][0]["stepId"]
    tries: list[int] = []

    def outcome(action) -> str:
        if frame_of(action) == (render_step, 2):
            tries.append(2)
            if len(tries) == 1:
                assert frames_by_status(deadline, farm, comp)[2] == "PENDING"
                return "FAILED"  # retries left: the task goes READY again, its waiter keeps waiting
        return "SUCCEEDED"
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run(outcome=outcome)
    assert len(tries) == 2
    assert frames_by_status(deadline, farm, comp) == {1: "SUCCEEDED", 2: "SUCCEEDED", 3: "SUCCEEDED"}


def test_a_job_materialized_in_the_background_waits_frame_by_frame_too(deadline, farm):
    render = submit(deadline, farm, "1-3")
    comp = submit_comp(deadline, farm, "1-2500", render)  # beyond CreateJob's inline limit
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": comp}
    wait_until(lambda: deadline.get_job(**ids)["lifecycleStatus"] == "CREATE_COMPLETE", 60,
               "the comp job to be materialized")
    assert deadline.get_job(**ids)["taskRunStatusCounts"]["PENDING"] == 3
    assert deadline.get_job(**ids)["taskRunStatusCounts"]["READY"] == 2497
