"""GetFleet/ListFleets report an auto-scaling fleet's size from its demand: READY tasks in its queues,
busy workers, the idle delay (domain/fleet_scaling.py), agreeing with the RecommendedFleetSize gauge;
only steps the fleet can run count, weighed by their tasks' run times."""

from datetime import UTC, datetime, timedelta

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


def test_only_ready_tasks_of_steps_the_fleet_can_run_count(server, deadline, farm_id):
    # One queue, two auto-scaling fleets: one declares a GPU, the other none. A step asking for a GPU
    # waits for the first only; a step asking nothing may run on either.
    farm = _auto_served_queue(deadline, farm_id, max_workers=10)
    gpu = {"customerManaged": {**AUTO["customerManaged"], "workerCapabilities": {
        **AUTO["customerManaged"]["workerCapabilities"], "acceleratorTypes": ["gpu"],
        "acceleratorCount": {"min": 1, "max": 1}}}}
    gpu_fleet = deadline.create_fleet(farmId=farm_id, displayName="gpu", roleArn=ROLE, maxWorkerCount=10,
                                      configuration=gpu)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=farm["queueId"], fleetId=gpu_fleet)
    gpu_farm = {**farm, "fleetId": gpu_fleet}
    for frames, amounts in (("1-2", None), ("1-3", [{"name": "amount.worker.gpu", "min": 1}])):
        job_id = submit(deadline, farm, frames, amounts=amounts)
        wait_until(lambda job_id=job_id: deadline.get_job(farmId=farm_id, queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
    assert _recommended(deadline, farm) == (2, "GROWING")
    assert _recommended(deadline, gpu_farm) == (5, "GROWING")


def test_a_steps_ready_tasks_weigh_by_the_run_time_of_its_finished_ones(server, deadline, farm_id):
    # The default: a task expected to run 300 s or longer asks for a worker of its own, a shorter one
    # for its share. Before any has finished, each READY task is taken for a whole one.
    farm = _auto_served_queue(deadline, farm_id, max_workers=50)
    job_id = submit(deadline, farm, "1-20")
    wait_until(lambda: deadline.get_job(farmId=farm_id, queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")
    assert _recommended(deadline, farm) == (20, "GROWING")
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    response = worker.poll()
    run = task_runs(response)[0]
    for _session_id, action in worker.pending_actions(response):  # up to and including the first task
        started = datetime.now(UTC)
        ended = started + timedelta(seconds=3) if action is run else started
        worker.reports[action["sessionActionId"]] = {"startedAt": started, "endedAt": ended,
                                                     "completedStatus": "SUCCEEDED", "processExitCode": 0}
        if action is run:
            break
    worker.poll()
    step = deadline.list_steps(farmId=farm_id, queueId=farm["queueId"], jobId=job_id)["steps"][0]
    assert step["taskRunStatusCounts"]["SUCCEEDED"] == 1
    assert step["taskRunStatusCounts"]["READY"] > 10
    # One busy worker, and the READY tasks, 3 s each, are far less than a worker's 300 s: one more.
    assert _recommended(deadline, farm) == (2, "GROWING")
