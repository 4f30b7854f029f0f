"""`farmstead blocklist`: list a job's blocklisted workers, the jobs that blocked a worker, clear one
(docs/self-managing.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from support.worker_jobs import ROLE, submit


def _blocked_worker(deadline, farm_id) -> tuple[str, ScriptedWorker, str]:
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q",
                                     tags={"farmstead:blocklistAfterFailures": "1"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    job_id = submit(deadline, {"farmId": farm_id, "queueId": queue_id}, "1-2", maxRetriesPerTask=3,
                    nameOverride="cli blocked")
    bad = ScriptedWorker(deadline, farm_id, fleet_id, host_name="cli-bad-node")
    ScriptedWorker(deadline, farm_id, fleet_id, host_name="cli-good-node")
    (session,) = bad.poll()["assignedSessions"].values()
    action = session["sessionActions"][0]
    ended = datetime.now(UTC)
    bad.reports = {action["sessionActionId"]: {"startedAt": ended - timedelta(seconds=1), "endedAt": ended,
                                               "completedStatus": "FAILED", "processExitCode": 3}}
    bad.poll()
    return job_id, bad, action["definition"]["taskRun"]["taskId"]


def test_blocklist_lists_clears_and_says_which_jobs_blocked_a_worker(server, deadline, farm_id):
    job_id, bad, task_id = _blocked_worker(deadline, farm_id)
    listed = server.cli("blocklist", "list", "--job-id", job_id)
    assert bad.worker_id in listed and "cli-bad-node" in listed and f"{task_id} (3)" in listed
    assert "cli blocked" in server.cli("blocklist", "worker", "--worker-id", bad.worker_id)
    assert "may take" in server.cli("blocklist", "clear", "--job-id", job_id, "--worker-id", bad.worker_id)
    assert "No worker is blocklisted" in server.cli("blocklist", "list", "--job-id", job_id)
    again = server.admin("blocklist", "clear", "--job-id", job_id, "--worker-id", bad.worker_id)
    assert again.exit_code != 0 and "not blocklisted" in again.output
    assigned = bad.poll()["assignedSessions"]
    assert [s["jobId"] for s in assigned.values()] == [job_id]
