"""The farm-wide gauges of GET /metrics, black-box: a real server, boto3 making the farm, then a scrape.

Every figure is the store's (the jobs' counters, the worker and session rows), filtered here by the
test's own queue or fleet, so tests sharing a server never see each other's numbers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.scrapes import scrape
from support.worker_jobs import ROLE, finish_frames, frames_template, served_queue, submit, task_runs


def _ready(deadline, farm: dict, job_id: str) -> None:
    wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")


def test_tasks_and_jobs_by_status_per_queue_follow_the_work(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    job_id = submit(deadline, farm, "1-4")
    _ready(deadline, farm, job_id)
    queue = {"farm_id": farm_id, "queue_id": farm["queueId"]}

    waiting = scrape(server.endpoint)
    assert waiting.value("farmstead_tasks", **queue, status="READY") == 4
    assert waiting.value("farmstead_jobs", **queue, status="READY") == 1

    finish_frames(deadline, farm)
    done = scrape(server.endpoint)
    assert done.value("farmstead_tasks", **queue, status="SUCCEEDED") == 4
    assert done.value("farmstead_tasks", **queue, status="READY") == 0
    assert done.value("farmstead_jobs", **queue, status="SUCCEEDED") == 1
    assert done.value("farmstead_jobs", **queue, status="READY") == 0


def test_workers_by_status_and_open_sessions_per_fleet(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    fleet = {"farm_id": farm_id, "fleet_id": farm["fleetId"]}
    assert scrape(server.endpoint).value("farmstead_sessions_open", **fleet) == 0
    job_id = submit(deadline, farm, "1-2")
    _ready(deadline, farm, job_id)

    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    ScriptedWorker(deadline, farm_id, farm["fleetId"])  # started, never polls: no session
    assert task_runs(worker.poll())  # a session opened with work in it
    working = scrape(server.endpoint)
    assert working.value("farmstead_workers", **fleet, status="STARTED") == 2
    assert working.value("farmstead_sessions_open", **fleet) == 1

    deadline.update_worker(**worker.ids, status="STOPPED")
    stopped = scrape(server.endpoint)
    assert stopped.value("farmstead_workers", **fleet, status="STARTED") == 1
    assert stopped.value("farmstead_workers", **fleet, status="STOPPED") == 1


def test_recommended_fleet_size_has_deadline_clouds_name_for_auto_scaling_fleets_only(server, deadline, farm_id):
    scaling = {"customerManaged": {**LINUX_FLEET["customerManaged"], "mode": "EVENT_BASED_AUTO_SCALING"}}
    auto = deadline.create_fleet(farmId=farm_id, displayName="auto", roleArn=ROLE, minWorkerCount=2,
                                 maxWorkerCount=5, configuration=scaling)["fleetId"]
    fixed = deadline.create_fleet(farmId=farm_id, displayName="fixed", roleArn=ROLE, maxWorkerCount=5,
                                  configuration=LINUX_FLEET)["fleetId"]
    scraped = scrape(server.endpoint)
    assert scraped.families["RecommendedFleetSize"] == "gauge"
    assert scraped.value("RecommendedFleetSize", farm_id=farm_id, fleet_id=auto) == \
        deadline.get_fleet(farmId=farm_id, fleetId=auto)["targetWorkerCount"] == 2
    assert scraped.matching("RecommendedFleetSize", fleet_id=fixed) == {}
    assert scraped.value("UnhealthyWorkerCount", farm_id=farm_id, fleet_id=fixed) == 0
    assert scraped.matching("UnhealthyWorkerCount", fleet_id=fixed)  # reported, 0, for every fleet


def test_limit_usage_is_what_running_work_holds(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    limit_id = deadline.create_limit(farmId=farm_id, displayName="nuke", maxCount=3,
                                     amountRequirementName="amount.licence.nuke")["limitId"]
    deadline.create_queue_limit_association(farmId=farm_id, queueId=farm["queueId"], limitId=limit_id)
    limit = {"farm_id": farm_id, "limit_id": limit_id}
    job_id = submit(deadline, farm, "1", amounts=[{"name": "amount.licence.nuke", "min": 1}])
    _ready(deadline, farm, job_id)
    idle = scrape(server.endpoint)
    assert (idle.value("farmstead_limit_in_use", **limit), idle.value("farmstead_limit_max", **limit)) == (0, 3)

    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    assert task_runs(worker.poll())
    assert scrape(server.endpoint).value("farmstead_limit_in_use", **limit) == \
        deadline.get_limit(farmId=farm_id, limitId=limit_id)["currentCount"] == 1


def test_budget_limit_and_usage_per_budget(server, deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="tracked")["queueId"]
    now = datetime.now(UTC)
    budget_id = deadline.create_budget(
        farmId=farm_id, displayName="monthly", usageTrackingResource={"queueId": queue_id},
        approximateDollarLimit=500.0, schedule={"fixed": {"startTime": now - timedelta(days=1),
                                                          "endTime": now + timedelta(days=30)}},
        actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}])["budgetId"]
    budget = {"farm_id": farm_id, "budget_id": budget_id, "queue_id": queue_id}
    scraped = scrape(server.endpoint)
    assert scraped.value("farmstead_budget_limit_dollars", **budget) == 500.0
    assert scraped.matching("farmstead_budget_usage_dollars", **budget) == {
        tuple(sorted(budget.items())):
            deadline.get_budget(farmId=farm_id, budgetId=budget_id)["usages"]["approximateDollarUsage"]}


def test_labels_are_ids_and_statuses_never_names_or_parameters(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    template = json.loads(frames_template("1-2"))
    template["name"] = "Secret Show shot 042"
    template["parameterDefinitions"] = [{"name": "SceneFile", "type": "STRING"}]
    deadline.update_queue(farmId=farm_id, queueId=farm["queueId"], displayName="Secret Show queue")
    deadline.create_job(farmId=farm_id, queueId=farm["queueId"], priority=50, templateType="JSON",
                        template=json.dumps(template), parameters={"SceneFile": {"string": "/shows/secret/042.ma"}})
    finish_frames(deadline, farm)
    text = scrape(server.endpoint).text
    assert farm["queueId"] in text
    assert "Secret Show" not in text and "secret/042" not in text and "SceneFile" not in text
