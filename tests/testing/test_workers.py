"""A real `farmstead worker` started from a ReadyFarm runs a job's commands, its session log comes back
through the logs API, and it stops on SIGTERM as STOPPED, also when the test forgets to stop it."""

from __future__ import annotations

import json

from farmstead.testing.waiting import wait_until

TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "greet", "steps": [{
    "name": "Greet",
    "parameterSpace": {"taskParameterDefinitions": [{"name": "Who", "type": "STRING", "range": ["moon", "sun"]}]},
    "script": {"actions": {"onRun": {"command": "bash", "args": ["-c", "echo hello {{Task.Param.Who}}"]}}}}]}


def _submit(farm) -> str:
    return farm.deadline.create_job(farmId=farm.farm_id, queueId=farm.queue_id, priority=50, templateType="JSON",
                                    template=json.dumps(TEMPLATE))["jobId"]


def test_a_real_worker_runs_the_jobs_commands_and_its_log_comes_back(farmstead):
    worker = farmstead.start_worker()
    job_id = _submit(farmstead)
    job = farmstead.wait_for_job(job_id)
    assert job["taskRunStatus"] == "SUCCEEDED", worker.output()
    log = wait_until(lambda: (text := farmstead.job_log(job_id)) and "hello sun" in text and text, 30,
                     "the session log to come back")
    assert "hello moon" in log and "hello sun" in log
    sessions = farmstead.deadline.list_sessions(farmId=farmstead.farm_id, queueId=farmstead.queue_id,
                                                jobId=job_id)["sessions"]
    assert {session["workerId"] for session in sessions} == {worker.worker_id}


def test_the_farm_stops_its_workers_and_they_say_they_stopped(farmstead):
    first, second = farmstead.start_worker("first"), farmstead.start_worker("second")
    wait_until(lambda: first.worker_id and second.worker_id, 30, "both workers to register")
    farmstead.close()
    assert not first.running and not second.running
    assert (first.process.returncode, second.process.returncode) == (0, 0), first.output() + second.output()
    for worker in (first, second):
        status = farmstead.deadline.get_worker(farmId=farmstead.farm_id, fleetId=farmstead.fleet_id,
                                               workerId=worker.worker_id)["status"]
        assert status == "STOPPED", worker.output()
