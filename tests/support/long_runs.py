"""A job whose step has three short finished runs and one task running far longer: the set-up the
"running longest" tests share (docs/self-managing.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit, task_runs


def one_long_run(deadline, farm_id: str) -> tuple[dict, str, str]:
    """(farm ids, job id, the long-running task's id): three runs of 0.1 s, then one running for 1 s."""
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"], host_name="slow-node")
    done = 0
    response = worker.poll()
    while done < 3:
        (action, *_) = task_runs(response)
        worker.reports = {action["sessionActionId"]: {"startedAt": datetime.now(UTC)}}
        worker.poll()
        time.sleep(0.1)
        worker.reports = {action["sessionActionId"]: {"endedAt": datetime.now(UTC), "completedStatus": "SUCCEEDED",
                                                      "processExitCode": 0}}
        response = worker.poll()
        done += 1
    (action, *_) = task_runs(response)
    worker.reports = {action["sessionActionId"]: {"startedAt": datetime.now(UTC)}}
    worker.poll()
    time.sleep(1.0)
    return farm, job_id, action["definition"]["taskRun"]["taskId"]
