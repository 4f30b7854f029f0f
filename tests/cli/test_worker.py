"""`farmstead worker` started as a user would: with `--profile` (the command `farmstead up` prints for
more workers), failing to start, which must leave no worker stuck CREATED in the fleet, and refusing
options it can't use."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from farmstead.cli.worker import worker
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.waiting import wait_until

pytestmark = pytest.mark.timeout(120)


def _write_profile(env: dict[str, str], endpoint: str, key_id: str, secret: str) -> None:
    config, credentials = Path(env["AWS_CONFIG_FILE"]), Path(env["AWS_SHARED_CREDENTIALS_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[profile render]\nregion = {REGION}\nendpoint_url = {endpoint}\n"
                      "disable_host_prefix_injection = true\n")
    credentials.write_text(f"[render]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")


def _worker(env: dict[str, str], work_dir: Path, farm: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "farmstead", "worker", "--farm-id", farm["farmId"],
                             "--fleet-id", farm["fleetId"], "--work-dir", str(work_dir), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _workers(deadline, farm: dict) -> list[dict]:
    return deadline.list_workers(farmId=farm["farmId"], fleetId=farm["fleetId"])["workers"]


def test_a_worker_started_with_profile_runs_and_stops(server, deadline, ready_queue, isolated_env, tmp_path):
    _write_profile(isolated_env, server.endpoint, ADMIN_KEY_ID, ADMIN_SECRET)
    process = _worker(isolated_env, tmp_path / "w", ready_queue, "--profile", "render")
    try:
        wait_until(lambda: process.poll() is not None or any(
            w["status"] in ("IDLE", "RUNNING") for w in _workers(deadline, ready_queue)), 60, "the worker to start")
        assert process.poll() is None, process.communicate()[0]
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert [w["status"] for w in _workers(deadline, ready_queue)] == ["STOPPED"]


def test_a_worker_that_fails_to_start_deletes_the_worker_it_created(deadline, ready_queue, api_env, tmp_path):
    # The server refuses the attribute value (it must start with a letter or _) at UpdateWorker STARTED,
    # after CreateWorker: the worker must not stay behind CREATED.
    done = subprocess.run([sys.executable, "-m", "farmstead", "worker", "--farm-id", ready_queue["farmId"],
                           "--fleet-id", ready_queue["fleetId"], "--work-dir", str(tmp_path / "w"),
                           "--endpoint-url", api_env["AWS_ENDPOINT_URL"], "--attribute", "renderer=2024"],
                          env=api_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "ValidationException" in done.stderr and "deleted worker" in done.stderr, done.stderr
    assert _workers(deadline, ready_queue) == []
    assert not (tmp_path / "w" / "worker.json").exists()


def test_a_worker_that_may_not_delete_itself_stops_it_and_reuses_it_next_time(server, deadline, ready_queue,
                                                                              isolated_env, tmp_path):
    # A render node's key is usually a fleet CONTRIBUTOR: it may create workers but not delete them.
    principal, key_id, secret = server.new_user(f"render-node-{tmp_path.name}")
    deadline.associate_member_to_fleet(farmId=ready_queue["farmId"], fleetId=ready_queue["fleetId"],
                                       principalId=principal, principalType="USER", identityStoreId="d-0000000000",
                                       membershipLevel="CONTRIBUTOR")
    _write_profile(isolated_env, server.endpoint, key_id, secret)
    failed = subprocess.run([sys.executable, "-m", "farmstead", "worker", "--farm-id", ready_queue["farmId"],
                             "--fleet-id", ready_queue["fleetId"], "--work-dir", str(tmp_path / "w"),
                             "--profile", "render", "--attribute", "renderer=2024"],
                            env=isolated_env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1, failed.stderr
    (worker,) = _workers(deadline, ready_queue)
    assert worker["status"] == "STOPPED", failed.stderr
    assert json.loads((tmp_path / "w" / "worker.json").read_text())["workerId"] == worker["workerId"]
    process = _worker(isolated_env, tmp_path / "w", ready_queue, "--profile", "render", "--attribute",
                      "renderer=v2024")
    try:
        wait_until(lambda: process.poll() is not None or _workers(deadline, ready_queue)[0]["status"] == "IDLE",
                   60, "the worker to start again")
        assert [w["workerId"] for w in _workers(deadline, ready_queue)] == [worker["workerId"]]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


@pytest.mark.parametrize(("flags", "message"), [
    (["--slots", "many"], "--slots 'many': expected a number from 1 to 256, or auto"),
    (["--slot", "5/4"], "--slot '5/4': expected K/N"),
    (["--schedule", "Funday 10:00-11:00"], "'Funday' is not a day"),
    (["--schedule", "Mon 10:00"], "'Mon 10:00' is not DAYS HH:MM-HH:MM"),
    (["--idle-minutes", "-1"], "-1"),
])
def test_unusable_slots_schedules_and_idle_minutes_are_refused_before_anything_starts(tmp_path, flags, message):
    result = CliRunner().invoke(worker, ["--farm-id", "farm-0", "--fleet-id", "fleet-0", "--work-dir",
                                         str(tmp_path / "w"), *flags])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "w").exists()
