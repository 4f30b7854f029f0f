"""An auto-scaling fleet's jobs for the scaler's end-to-end tests: tasks held until the test releases
them, and what the workers and tasks are doing."""

from __future__ import annotations

from farmstead.testing.scripted_worker import LINUX_FLEET
from support.worker_farms import Farm

AUTO = {"customerManaged": {**LINUX_FLEET["customerManaged"], "mode": "EVENT_BASED_AUTO_SCALING"}}


def held_frames(out, frames: str) -> dict:
    """Tasks that mark their start, wait for `out/release`, then mark their end."""
    script = (f"touch {out}/start-{{{{Task.Param.Frame}}}}-$$; while [ ! -e {out}/release ]; do sleep 0.2; done; "
              f"touch {out}/done-{{{{Task.Param.Frame}}}}")
    return {"specificationVersion": "jobtemplate-2023-09", "name": "scaled", "steps": [{
        "name": "Work",
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": frames}]},
        "script": {"actions": {"onRun": {"command": "bash", "args": ["-c", script]}}}}]}


def working(farm: Farm) -> list[dict]:
    return [w for w in farm.workers() if w["status"] not in ("STOPPED", "STOPPING")]


def started_frames(farm: Farm) -> set[str]:
    return {path.name.split("-")[1] for path in farm.out.glob("start-*")}
