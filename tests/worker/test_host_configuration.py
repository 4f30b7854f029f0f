"""The host configuration script runner of `farmstead worker` (worker/host_configuration.py): its
environment, its output in the worker log, its exit code, its timeout and a stop request. (Both
workers running a fleet's script end to end: tests/e2e/test_host_configuration.py.)"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from farmstead.worker import host_configuration

IDS = {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"}
KEYS = {"access_key": "ASIAFLEET", "secret_key": "fleet-secret", "token": "fleet-token"}


@pytest.fixture
def worker_log(caplog):
    caplog.set_level(logging.INFO, logger="farmstead.worker")
    return caplog


def test_the_script_sees_the_agents_variables_and_its_output_goes_to_the_worker_log(tmp_path, worker_log):
    body = ("#!/bin/sh\necho \"$DEADLINE_FARM_ID $DEADLINE_FLEET_ID $DEADLINE_WORKER_ID\"\n"
            "echo \"$HOST_CONFIG_TIMEOUT_SECONDS $AWS_ACCESS_KEY_ID $AWS_SESSION_TOKEN $(pwd)\"\necho oops >&2\n")
    outcome = host_configuration.run(body, 600, host_configuration.environment(IDS, 600, KEYS), tmp_path)
    assert outcome.succeeded and outcome.exit_code == 0
    lines = [r.getMessage() for r in worker_log.records]
    assert "host configuration: farm-1 fleet-1 worker-1" in lines
    assert f"host configuration: 600 ASIAFLEET fleet-token {tmp_path}" in lines
    assert "host configuration: oops" in lines
    assert not (tmp_path / "host_configuration.sh").exists()  # it may hold secrets: not left behind


def test_a_failing_script_reports_its_exit_code(tmp_path, worker_log):
    outcome = host_configuration.run("#!/bin/sh\necho no license\nexit 7\n", 300,
                                     host_configuration.environment(IDS, 300, KEYS), tmp_path)
    assert not outcome.succeeded and outcome.exit_code == 7
    assert outcome.message == "the host configuration script ended with exit code 7"


def test_a_script_without_an_interpreter_line_fails_without_running(tmp_path):
    outcome = host_configuration.run("echo hi\n", 300, dict(os.environ), tmp_path)
    assert outcome.exit_code is None and "could not start" in outcome.message


def test_a_script_past_its_timeout_is_stopped_with_everything_it_started(tmp_path, worker_log):
    marker = tmp_path / "child.pid"
    body = f"#!/bin/bash\nsleep 300 &\necho $! > {marker}\necho waiting\nwait\n"
    started = time.monotonic()
    outcome = host_configuration.run(body, 1, dict(os.environ), tmp_path)
    assert time.monotonic() - started < 1 + host_configuration.KILL_GRACE_SECONDS + 3
    assert outcome.exit_code is None and outcome.message.endswith("it timed out after 1 s")
    assert "host configuration: waiting" in [r.getMessage() for r in worker_log.records]
    child = int(marker.read_text())
    give_up = time.monotonic() + 5
    while _alive(child) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not _alive(child), "the script's background child outlived it"


def test_a_stop_request_ends_the_script(tmp_path):
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    outcome = host_configuration.run("#!/bin/sh\nsleep 300\n", 300, dict(os.environ), tmp_path, stop)
    assert time.monotonic() - started < 10
    assert outcome.exit_code is None and outcome.message.endswith("the worker is stopping")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (its parent, the killed script, gone; reaped by init later) counts as ended.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
