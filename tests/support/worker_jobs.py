"""A farm whose queue a Linux fleet serves, and frame-range jobs for scripted workers to take: the
set-up the worker-protocol tests share (keys as the API spells them: farmId, queueId, fleetId)."""

from __future__ import annotations

import json

from farmstead.testing.scripted_worker import LINUX_FLEET

ROLE = "arn:aws:iam::000000000000:role/fleet"


def frames_template(frames: str, *, second_step: bool = False, amounts: list[dict] | None = None) -> str:
    """Step Render over `Frame` in `frames` (with host requirement `amounts` when given), and with
    `second_step` a step Encode that depends on it."""
    render = {"name": "Render",
              "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": frames}]},
              "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}
    if amounts:
        render["hostRequirements"] = {"amounts": amounts}
    steps = [render]
    if second_step:
        steps.append({"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
                      "script": {"actions": {"onRun": {"command": "true"}}}})
    return json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "frames", "steps": steps})


def served_queue(deadline, farm_id: str) -> dict[str, str]:
    """A queue and a Linux fleet (10 workers at most) associated in the farm."""
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def submit(deadline, farm: dict, frames: str, *, second_step: bool = False, amounts: list[dict] | None = None,
           **kwargs) -> str:
    return deadline.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                               template=frames_template(frames, second_step=second_step, amounts=amounts),
                               **kwargs)["jobId"]


def task_runs(response: dict) -> list[dict]:
    """The taskRun actions an UpdateWorkerSchedule answer lists, in order."""
    return [action for session in response["assignedSessions"].values() for action in session["sessionActions"]
            if "taskRun" in action["definition"]]


def finish_frames(deadline, farm: dict, failing: set[int] = frozenset(), max_polls: int = 1000):
    """A scripted worker of the farm's fleet runs every task it is given: frames in `failing` fail (each
    try), the others succeed. Returns the worker (its `ran` lists every action it was given)."""
    from farmstead.testing.scripted_worker import ScriptedWorker

    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])

    def outcome(action: dict) -> str:
        run = action["definition"].get("taskRun")
        return "FAILED" if run and int(run["parameters"]["Frame"]["int"]) in failing else "SUCCEEDED"
    worker.run(outcome=outcome, max_polls=max_polls)
    return worker


def frames_ran(worker) -> list[int]:
    """The frames of the taskRun actions `worker` was given, in order."""
    return [int(a["definition"]["taskRun"]["parameters"]["Frame"]["int"]) for a in worker.ran
            if "taskRun" in a["definition"]]
