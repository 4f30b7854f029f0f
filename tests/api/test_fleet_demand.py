"""GetFleet/ListFleets report an auto-scaling fleet's size from its demand: READY tasks in its queues,
busy workers, the idle delay (domain/fleet_scaling.py), agreeing with the RecommendedFleetSize gauge."""

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.scrapes import scrape
from support.worker_jobs import ROLE, submit, task_runs

AUTO = {"customerManaged": {**LINUX_FLEET["customerManaged"], "mode": "EVENT_BASED_AUTO_SCALING"}}


def _auto_served_queue(deadline, farm_id: str, max_workers: int) -> dict[str, str]:
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="auto", roleArn=ROLE, maxWorkerCount=max_workers,
                                     configuration=AUTO)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def _recommended(deadline, farm: dict) -> tuple[int, str]:
    fleet = deadline.get_fleet(farmId=farm["farmId"], fleetId=farm["fleetId"])
    return fleet["targetWorkerCount"], fleet["autoScalingStatus"]


def test_ready_tasks_in_the_fleets_queues_grow_its_recommended_size_up_to_its_maximum(server, deadline, farm_id):
    farm = _auto_served_queue(deadline, farm_id, max_workers=5)
    assert _recommended(deadline, farm) == (0, "STEADY")
    job_id = submit(deadline, farm, "1-3")
    wait_until(lambda: deadline.get_job(farmId=farm_id, queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")
    assert _recommended(deadline, farm) == (3, "GROWING")
    submit(deadline, farm, "1-4")
    wait_until(lambda: _recommended(deadline, farm) == (5, "GROWING"), 30, "seven tasks, clamped to five")
    listed = {f["fleetId"]: f for f in deadline.list_fleets(farmId=farm_id)["fleets"]}[farm["fleetId"]]
    assert (listed["targetWorkerCount"], listed["autoScalingStatus"]) == (5, "GROWING")
    assert scrape(server.endpoint).value("RecommendedFleetSize", farm_id=farm_id, fleet_id=farm["fleetId"]) == 5


def test_a_busy_worker_counts_and_a_worker_inside_its_idle_delay_is_kept(server, deadline, farm_id):
    farm = _auto_served_queue(deadline, farm_id, max_workers=5)
    job_id = submit(deadline, farm, "1")
    wait_until(lambda: deadline.get_job(farmId=farm_id, queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    assert task_runs(worker.poll())  # its one task is running: no READY task left, one busy worker
    assert _recommended(deadline, farm) == (1, "STEADY")
    worker.run()  # done; the worker ran a session within the idle delay (5 minutes by default)
    assert _recommended(deadline, farm) == (1, "STEADY")
