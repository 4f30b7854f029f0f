"""Bad workers (docs/self-managing.md): "fail a task once", per-job blocklists after N failures,
blocklisted workers usable when idle, requeue clearing the blocklist; driven by protocol-level
workers through UpdateWorkerSchedule, as the official agent would."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker, now

ROLE = "arn:aws:iam::000000000000:role/fleet"
BLOCKLIST_AFTER = "farmstead:blocklistAfterFailures"
USABLE_WHEN_IDLE = "farmstead:blocklistedUsableWhenIdle"


def frames(count: int) -> str:
    return json.dumps({
        "specificationVersion": "jobtemplate-2023-09", "name": "frames",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT",
                                                                    "range": f"1-{count}"}]},
                   "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}]})


class Worker(ScriptedWorker):
    """A scripted worker driven one heartbeat at a time: each `beat` delivers the reports of the last
    one and runs the first action it was given, as the agent does; once a taskRun of a session
    failed, the session's later taskRuns are NEVER_ATTEMPTED (the agent's rule)."""

    def __init__(self, client, farm, outcome: str) -> None:
        super().__init__(client, farm["farm_id"], farm["fleet_id"])
        self.outcome = outcome
        self.done: set[str] = set()
        self.failed_sessions: set[str] = set()
        self.task_runs: list[tuple[str, str]] = []  # (task id, outcome)
        # The official agent's race: a run queued behind a failed one in its session is reported
        # FAILED ("Session must be in the READY state to run a task"), not NEVER_ATTEMPTED.
        self.fails_runs_behind_a_failure = False
        self.failed_behind: list[str] = []  # sessions it reported such a run FAILED in

    def beat(self) -> bool:
        """One heartbeat; whether it ran an action."""
        actions = [(s, a) for s, a in self.pending_actions(self.poll()) if a["sessionActionId"] not in self.done]
        if not actions:
            return False
        session_id, action = actions[0]
        self.done.add(action["sessionActionId"])
        run = action["definition"].get("taskRun")
        if run is None:
            status = "SUCCEEDED"
        elif session_id in self.failed_sessions and self.fails_runs_behind_a_failure:
            self.failed_behind.append(session_id)
            self.reports[action["sessionActionId"]] = {"completedStatus": "FAILED", "startedAt": now(),
                                                       "endedAt": now()}
            return True
        elif session_id in self.failed_sessions:
            status = "NEVER_ATTEMPTED"
        else:
            status = self.outcome
            self.task_runs.append((run["taskId"], status))
            if self.fails_runs_behind_a_failure:
                # The agent says the run started while it runs, and the server queues the next task
                # behind it in that heartbeat's answer.
                self.reports[action["sessionActionId"]] = {"startedAt": now()}
                self.poll()
            if status == "FAILED":
                self.failed_sessions.add(session_id)
        report: dict[str, Any] = {"completedStatus": status}
        if status != "NEVER_ATTEMPTED":
            # Ten seconds a run: the server queues no more than two tasks ahead, so both workers get work.
            report.update(startedAt=now() - timedelta(seconds=10), endedAt=now(),
                          processExitCode=0 if status == "SUCCEEDED" else 1)
        self.reports[action["sessionActionId"]] = report
        return True

    def failures(self) -> int:
        return sum(1 for _, status in self.task_runs if status == "FAILED")


def make_farm(deadline, farm_id, **queue_tags: str):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q",
                                     **({"tags": queue_tags} if queue_tags else {}))["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farm_id": farm_id, "queue_id": queue_id, "fleet_id": fleet_id}


def submit(deadline, farm, count: int, **kwargs) -> str:
    return deadline.create_job(farmId=farm["farm_id"], queueId=farm["queue_id"], priority=50, templateType="JSON",
                               template=frames(count), maxRetriesPerTask=kwargs.pop("maxRetriesPerTask", 20),
                               maxFailedTasksCount=kwargs.pop("maxFailedTasksCount", 100), **kwargs)["jobId"]


def get_job(deadline, farm, job_id):
    return deadline.get_job(farmId=farm["farm_id"], queueId=farm["queue_id"], jobId=job_id)


def run_until_finished(deadline, farm, job_id, workers: list[Worker], max_rounds: int = 200) -> dict:
    for _ in range(max_rounds):
        busy = [worker.beat() for worker in workers]
        job = get_job(deadline, farm, job_id)
        if job["taskRunStatus"] in ("SUCCEEDED", "FAILED") and not any(busy):
            return job
    raise AssertionError(f"the job never finished: {get_job(deadline, farm, job_id)['taskRunStatusCounts']}")


def test_a_worker_is_not_handed_the_task_it_just_failed_while_another_worker_exists(deadline, farm_id):
    farm = make_farm(deadline, farm_id)
    job_id = submit(deadline, farm, 1)
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    assert bad.beat()  # it takes the only task and fails it
    for _ in range(3):
        bad.beat()  # the failure is reported; the task is READY again, but not for this worker
    assert bad.task_runs == [(bad.task_runs[0][0], "FAILED")]
    assert get_job(deadline, farm, job_id)["taskRunStatusCounts"]["READY"] == 1
    assert good.beat()
    assert good.task_runs == [(bad.task_runs[0][0], "SUCCEEDED")]


def test_the_only_worker_retries_the_task_it_failed(deadline, farm_id):
    farm = make_farm(deadline, farm_id)
    job_id = submit(deadline, farm, 1, maxRetriesPerTask=1, maxFailedTasksCount=0)
    worker = Worker(deadline, farm, "FAILED")
    run_until_finished(deadline, farm, job_id, [worker])
    assert worker.failures() == 2  # one run plus its retry: "fail a task once" never stalls a lone worker


def test_a_worker_failing_three_runs_of_a_job_is_blocklisted_and_the_job_succeeds_on_the_others(deadline, farm_id):
    farm = make_farm(deadline, farm_id)
    job_id = submit(deadline, farm, 20)  # enough that the good worker can't finish before the third failure
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    job = run_until_finished(deadline, farm, job_id, [bad, good])
    assert job["taskRunStatus"] == "SUCCEEDED"
    assert bad.failures() == 3  # the default: blocklisted after 3 failures, handed nothing of the job since
    assert len({task_id for task_id, _ in bad.task_runs}) == 3  # three different tasks: fail a task once


def test_runs_failed_behind_a_failed_run_in_one_session_count_as_one_failure(deadline, farm_id):
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "2"})
    job_id = submit(deadline, farm, 20)
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    bad.fails_runs_behind_a_failure = True
    assert run_until_finished(deadline, farm, job_id, [bad, good])["taskRunStatus"] == "SUCCEEDED"
    assert bad.failed_behind  # the server had queued a run behind a failed one, and it came back FAILED
    # Blocklisted after two sessions that failed, not after one session's failure and what it dragged along.
    assert bad.failures() == 2 and len(bad.failed_sessions) == 2


def test_a_failed_run_and_the_run_failed_behind_it_reported_in_one_call_count_as_one_failure(deadline, farm_id,
                                                                                               server):
    """Farmstead's worker batches reports that finish close together: the failed run and the run the
    server had queued behind it (FAILED at once: its session can only wind down) came in one call,
    and the second was counted as a second failure, since the first was not in the rows yet."""
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "2"})
    job_id = submit(deadline, farm, 20)
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    (first,) = [action["sessionActionId"] for _, action in worker.pending_actions(worker.poll())]
    worker.reports[first] = {"startedAt": now()}
    listed = [action["sessionActionId"] for _, action in worker.pending_actions(worker.poll())]
    behind = next(action_id for action_id in listed if action_id != first)  # queued ahead while it runs
    failed = {"completedStatus": "FAILED", "startedAt": now(), "endedAt": now(), "processExitCode": 1}
    worker.reports = {first: failed, behind: dict(failed)}
    worker.poll()
    assert worker.worker_id not in server.cli("blocklist", "list", "--job-id", job_id)


def test_the_queue_tag_sets_how_many_failures_blocklist_a_worker(deadline, farm_id):
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "1"})
    job_id = submit(deadline, farm, 4)
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    assert run_until_finished(deadline, farm, job_id, [bad, good])["taskRunStatus"] == "SUCCEEDED"
    assert bad.failures() == 1


def test_a_blocklist_threshold_of_zero_turns_blocklisting_off(deadline, farm_id):
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "0"})
    job_id = submit(deadline, farm, 12)
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    assert run_until_finished(deadline, farm, job_id, [bad, good])["taskRunStatus"] == "SUCCEEDED"
    assert bad.failures() > 3


def test_a_blocklisted_worker_takes_the_job_when_no_other_worker_exists(deadline, farm_id):
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "1"})
    job_id = submit(deadline, farm, 2)
    worker = Worker(deadline, farm, "FAILED")
    worker.beat()
    worker.beat()  # the failure is reported: blocklisted on the job, yet the only worker there is
    worker.outcome = "SUCCEEDED"
    assert run_until_finished(deadline, farm, job_id, [worker])["taskRunStatus"] == "SUCCEEDED"


def test_a_job_whose_only_worker_is_blocklisted_waits_instead_of_failing_until_it_is_requeued(deadline, farm_id):
    farm = make_farm(deadline, farm_id, **{BLOCKLIST_AFTER: "1", USABLE_WHEN_IDLE: "false"})
    job_id = submit(deadline, farm, 2)
    worker = Worker(deadline, farm, "FAILED")
    worker.beat()
    for _ in range(3):
        assert not worker.beat()  # blocklisted, and the queue keeps blocklisted workers off when idle
    job = get_job(deadline, farm, job_id)
    assert job["taskRunStatus"] == "READY" and job["taskRunStatusCounts"]["READY"] == 2  # waiting, not FAILED
    deadline.update_job(farmId=farm["farm_id"], queueId=farm["queue_id"], jobId=job_id, targetTaskRunStatus="READY")
    worker.outcome = "SUCCEEDED"
    assert run_until_finished(deadline, farm, job_id, [worker])["taskRunStatus"] == "SUCCEEDED"


@pytest.mark.parametrize(("key", "value"), [(BLOCKLIST_AFTER, "three"), (BLOCKLIST_AFTER, "-1"),
                                            (USABLE_WHEN_IDLE, "sometimes")])
def test_a_setting_tag_with_a_value_it_cannot_take_is_refused(deadline, farm_id, key, value):
    with pytest.raises(ClientError) as error:
        deadline.create_queue(farmId=farm_id, displayName="bad settings", tags={key: value})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert key in error.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def rules_off(tmp_path_factory):
    """A server with the bad-worker rules off (FARMSTEAD_BAD_WORKER_RULES=0), as bench self_managing_cost runs one."""
    from farmstead.testing.live_server import LiveServer

    live = LiveServer(tmp_path_factory.mktemp("rules-off"), extra_env={"FARMSTEAD_BAD_WORKER_RULES": "0"}).start()
    yield live
    live.stop()


def test_with_the_rules_off_a_worker_gets_the_task_it_just_failed_again(rules_off):
    client = rules_off.client()
    farm = make_farm(client, client.create_farm(displayName="rules off")["farmId"])
    submit(client, farm, 1)
    bad, good = Worker(client, farm, "FAILED"), Worker(client, farm, "SUCCEEDED")
    assert bad.beat() and bad.beat()  # fails it, then is handed it again at once
    assert [status for _, status in bad.task_runs] == ["FAILED", "FAILED"] and good.task_runs == []


def test_a_fleet_rule_disables_a_worker_failing_across_jobs_and_says_why(server, deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET,
                                     tags={"farmstead:disableAfterFailures": "2"})["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    farm = {"farm_id": farm_id, "queue_id": queue_id, "fleet_id": fleet_id}
    for _ in range(3):
        submit(deadline, farm, 1)
    bad, good = Worker(deadline, farm, "FAILED"), Worker(deadline, farm, "SUCCEEDED")
    assert bad.beat()  # the first job's task fails
    assert bad.beat()  # reported; it takes the second job (the first one's task it just failed)
    bad.beat()  # the second failure reported: two across jobs, the fleet's limit: disabled
    for _ in range(3):
        assert not bad.beat()
    assert bad.failures() == 2
    listed = server.cli("workers", "list", "--fleet-id", fleet_id)
    row = next(line for line in listed.splitlines() if line.startswith(bad.worker_id))
    assert "\tDISABLE\t" in row and "2 failed runs within 3600 s" in row
    server.cli("workers", "enable", "--fleet-id", fleet_id, "--worker-id", bad.worker_id)
    assert "\tDISABLE\t" not in server.cli("workers", "list", "--fleet-id", fleet_id)
    assert good.beat()
