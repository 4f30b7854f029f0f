"""A fleet's host configuration script (CreateFleet/UpdateFleet `hostConfiguration`) runs on both workers.

UpdateWorker STARTED answers it; the official agent and `farmstead worker` run it before they take
work: with the fleet's ids and the timeout in its environment, its output in the worker's log (and
so in the worker's log stream), and on failure the worker reports itself STOPPED and exits with an
error. Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from e2e.test_official_worker_agent import farm, start_agent, stop_agent, submit, wait_for_job  # noqa: F401

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

pytestmark = pytest.mark.official_clients

SCRIPT = """#!/bin/bash
set -eu
echo "configuring host for worker $DEADLINE_WORKER_ID"
printf '%s %s %s %s\\n' "$DEADLINE_FARM_ID" "$DEADLINE_FLEET_ID" "$DEADLINE_WORKER_ID" "$HOST_CONFIG_TIMEOUT_SECONDS" \\
    > {marker}
"""
FAILING = """#!/bin/bash
echo "the license server is unreachable"
exit 7
"""


def configure(farm, body: str, timeout: int = 300) -> None:
    farm["deadline"].update_fleet(farmId=farm["farmId"], fleetId=farm["fleetId"],
                                  hostConfiguration={"scriptBody": body, "scriptTimeoutSeconds": timeout})


def only_worker(farm) -> dict:
    (worker,) = farm["deadline"].list_workers(farmId=farm["farmId"], fleetId=farm["fleetId"])["workers"]
    return worker


def worker_log_stream(farm, worker_id: str, wanted: str, timeout: float = 30) -> str:
    """The worker's own log stream (UpdateWorker's `log`), once it holds `wanted`."""
    logs = farm["server"].client("logs")
    give_up, text = time.monotonic() + timeout, ""
    while wanted not in text and time.monotonic() < give_up:
        try:
            events = logs.get_log_events(logGroupName=f"/aws/deadline/{farm['farmId']}/{farm['fleetId']}",
                                         logStreamName=worker_id, startFromHead=True)["events"]
            text = "\n".join(e["message"] for e in events)
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(1)
    return text


def wait_exit(process: subprocess.Popen, timeout: float = 60) -> int:
    try:
        return process.wait(timeout)
    finally:
        if process.poll() is None:
            process.kill()


# --- the official agent --------------------------------------------------------------------------

def test_official_agent_runs_the_fleets_host_configuration_before_it_takes_work(agent_bin, farm):
    marker = farm["dir"] / "configured.txt"
    configure(farm, SCRIPT.format(marker=marker), timeout=900)
    job_id = submit(farm)
    agent = start_agent(agent_bin, farm)
    try:
        assert wait_for_job(farm, job_id)["taskRunStatus"] == "SUCCEEDED"
        worker_id = only_worker(farm)["workerId"]
        assert marker.read_text().split() == [farm["farmId"], farm["fleetId"], worker_id, "900"]
        assert f"configuring host for worker {worker_id}" in worker_log_stream(
            farm, worker_id, f"configuring host for worker {worker_id}")
    finally:
        assert stop_agent(agent) == 0


def test_official_agent_whose_host_configuration_fails_stops_and_exits(agent_bin, farm):
    configure(farm, FAILING)
    agent = start_agent(agent_bin, farm)
    code = wait_exit(agent)
    output = (farm["dir"] / "agent" / "agent.out").read_text(errors="replace")
    assert code != 0, output[-3000:]
    assert "the license server is unreachable" in output
    assert only_worker(farm)["status"] == "STOPPED"


# --- farmstead worker ----------------------------------------------------------------------------

def start_farmstead_worker(farm) -> subprocess.Popen:
    work = farm["dir"] / "worker"
    work.mkdir(exist_ok=True)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", farm["server"].endpoint,
         "--farm-id", farm["farmId"], "--fleet-id", farm["fleetId"], "--work-dir", str(work)],
        env=env, stdout=open(farm["dir"] / "worker.out", "wb"), stderr=subprocess.STDOUT)


def stop_farmstead_worker(worker: subprocess.Popen) -> int:
    worker.terminate()
    return wait_exit(worker, 30)


def test_farmstead_worker_runs_the_fleets_host_configuration_once_before_it_takes_work(farm):
    marker = farm["dir"] / "configured.txt"
    configure(farm, SCRIPT.format(marker=marker), timeout=900)
    job_id = submit(farm)
    worker = start_farmstead_worker(farm)
    try:
        assert wait_for_job(farm, job_id)["taskRunStatus"] == "SUCCEEDED"
        worker_id = only_worker(farm)["workerId"]
        assert marker.read_text().split() == [farm["farmId"], farm["fleetId"], worker_id, "900"]
        assert f"configuring host for worker {worker_id}" in worker_log_stream(
            farm, worker_id, f"configuring host for worker {worker_id}")
        assert f"configuring host for worker {worker_id}" in (farm["dir"] / "worker" / "worker.log").read_text()
    finally:
        assert stop_farmstead_worker(worker) == 0
    # Restarted with the same identity, it does not run the script again (as the official agent).
    marker.unlink()
    second_job = submit(farm)
    worker = start_farmstead_worker(farm)
    try:
        assert wait_for_job(farm, second_job)["taskRunStatus"] == "SUCCEEDED"
    finally:
        assert stop_farmstead_worker(worker) == 0
    assert not marker.exists()


def test_farmstead_worker_whose_host_configuration_fails_stops_and_exits(farm):
    configure(farm, FAILING)
    worker = start_farmstead_worker(farm)
    code = wait_exit(worker)
    output = (farm["dir"] / "worker.out").read_text(errors="replace")
    assert code != 0, output[-3000:]
    assert "the license server is unreachable" in output and "exit code 7" in output
    assert only_worker(farm)["status"] == "STOPPED"

