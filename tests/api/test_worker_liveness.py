"""A silent worker is declared NOT_RESPONDING and its task runs elsewhere, without spending a retry."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

TEMPLATE = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "name": "one",
    "steps": [{"name": "Render", "script": {"actions": {"onRun": {"command": "true"}}}}]})


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("liveness"),
                      extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "2"}).start()
    yield live
    live.stop()


def test_silent_worker_loses_its_task_to_another(quick_server):
    deadline = quick_server.client()
    farm_id = deadline.create_farm(displayName="liveness")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=2, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=TEMPLATE)["jobId"]
    silent = ScriptedWorker(deadline, farm_id, fleet_id)
    (_, action), = silent.pending_actions(silent.poll())
    silent.reports[action["sessionActionId"]] = {"startedAt": "2026-01-01T00:00:00Z",
                                                 "updatedAt": "2026-01-01T00:00:00Z"}
    silent.poll()

    deadline_at = time.monotonic() + 15
    while deadline.get_worker(**silent.ids)["status"] != "NOT_RESPONDING":
        assert time.monotonic() < deadline_at, "the silent worker was never declared NOT_RESPONDING"
        time.sleep(0.5)

    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    counts = deadline.get_job(**ids)["taskRunStatusCounts"]
    assert counts["READY"] == 1 and counts["RUNNING"] == 0
    rescuer = ScriptedWorker(deadline, farm_id, fleet_id)
    rescuer.run()
    finished = deadline.get_job(**ids)
    assert finished["taskRunStatus"] == "SUCCEEDED" and finished["taskFailureRetryCount"] == 0

    with pytest.raises(ClientError) as caught:
        silent.poll()
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    assert caught.value.response["context"]["status"] == "NOT_RESPONDING"


# --- a fleet's host configuration script ---------------------------------------------------------

SCRIPT = "#!/bin/bash\necho configuring\n"


def fleet_with_script(deadline, **host_configuration) -> tuple[str, str]:
    farm_id = deadline.create_farm(displayName="host configuration")["farmId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=2, configuration=LINUX_FLEET,
                                     hostConfiguration={"scriptBody": SCRIPT, **host_configuration})["fleetId"]
    return farm_id, fleet_id


def test_update_worker_started_answers_the_fleets_host_configuration_and_only_then(quick_server):
    deadline = quick_server.client()
    farm_id, fleet_id = fleet_with_script(deadline, scriptTimeoutSeconds=600)
    ids = {"farmId": farm_id, "fleetId": fleet_id}
    worker_id = deadline.create_worker(**ids, hostProperties={"hostName": "configured"})["workerId"]
    started = deadline.update_worker(**ids, workerId=worker_id, status="STARTED")
    assert started["hostConfiguration"] == {"scriptBody": SCRIPT, "scriptTimeoutSeconds": 600}
    assert "log" in started
    assert "hostConfiguration" not in deadline.update_worker(**ids, workerId=worker_id, status="STOPPED")
    # The script as the fleet has it when the worker starts: changed, the next start gets the new one.
    deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, hostConfiguration={"scriptBody": "#!/bin/sh\ntrue\n"})
    again = deadline.update_worker(**ids, workerId=worker_id, status="STARTED")
    assert again["hostConfiguration"] == {"scriptBody": "#!/bin/sh\ntrue\n", "scriptTimeoutSeconds": 300}
    deadline.update_fleet(farmId=farm_id, fleetId=fleet_id, hostConfiguration={"scriptBody": ""})  # removed
    deadline.update_worker(**ids, workerId=worker_id, status="STOPPED")
    assert "hostConfiguration" not in deadline.update_worker(**ids, workerId=worker_id, status="STARTED")


def test_a_worker_running_its_host_configuration_is_not_lost_until_the_scripts_timeout(quick_server):
    """The script runs before the first UpdateWorkerSchedule: the worker is silent meanwhile, for up to
    scriptTimeoutSeconds. Past that it is NOT_RESPONDING (the model's rule), like any silent worker."""
    from farmstead.background.sweeper import LEASE, Sweeper
    from farmstead.clock import FakeClock
    from farmstead.store import leases
    from farmstead.store.engine import Store

    deadline = quick_server.client()
    farm_id, fleet_id = fleet_with_script(deadline)  # 300 s
    configuring = ScriptedWorker(deadline, farm_id, fleet_id)  # UpdateWorker STARTED, then silence
    time.sleep(5)  # 2.5 times the server's 2 s worker timeout, sweeping every 0.5 s
    assert deadline.get_worker(**configuring.ids)["status"] != "NOT_RESPONDING"

    store = Store.open(quick_server.database_url or f"sqlite:///{quick_server.data_dir / 'farmstead.db'}")
    # A sweep as the server's would run it 290 s, then 305 s, from now (the server sweeps in real time).
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=290))
    sweeper = Sweeper(store, clock, 2)
    try:
        sweeper.sweep()
        assert deadline.get_worker(**configuring.ids)["status"] != "NOT_RESPONDING"
        clock.advance(seconds=15)  # past the script's 300 s
        sweeper.sweep()
    finally:
        with store.write() as conn:
            leases.release(conn, LEASE, sweeper.holder)  # the server's sweeper goes on with the next test
        store.dispose()
    assert deadline.get_worker(**configuring.ids)["status"] == "NOT_RESPONDING"


def test_a_configured_worker_that_heartbeats_then_falls_silent_is_lost_after_the_usual_timeout(quick_server):
    deadline = quick_server.client()
    farm_id, fleet_id = fleet_with_script(deadline)
    worker = ScriptedWorker(deadline, farm_id, fleet_id)
    worker.poll()  # the script is done: from now on the worker timeout applies, not the script's
    deadline_at = time.monotonic() + 15
    while deadline.get_worker(**worker.ids)["status"] != "NOT_RESPONDING":
        assert time.monotonic() < deadline_at, "the silent worker was never declared NOT_RESPONDING"
        time.sleep(0.5)
