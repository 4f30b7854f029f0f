"""Render nodes and the server as systemd services: `farmstead worker --config FILE.toml`, and the units
`farmstead worker|server install-service` write, checked by `systemd-analyze verify` where it exists and
run as systemd would run their ExecStart (its environment file, its working directory, its stop signal).
"""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from farmstead.cli.up_processes import farmstead_command
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.scripted_worker import LINUX_FLEET
from farmstead.testing.waiting import wait_until

pytestmark = pytest.mark.timeout(180)

# A job only a worker with the config file's attribute can run.
TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "on the node",
            "steps": [{"name": "Touch", "hostRequirements": {"attributes": [
                {"name": "attr.renderer", "anyOf": ["blender"]}]},
                "script": {"actions": {"onRun": {"command": "bash", "args": ["-c", "echo rendered on $(hostname)"]}}}}]}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def verify(path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        return  # not a systemd host: the unit's own checks below still run
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stdout + done.stderr


def test_the_worker_unit_passes_systemd_and_its_exec_start_runs_a_worker_that_does_work(
        farmstead, server, deadline, ready_queue, isolated_env, tmp_path):
    config = tmp_path / "etc" / "worker.toml"
    config.parent.mkdir()
    config.write_text(f'endpoint-url = "{server.endpoint}"\nfarm-id = "{ready_queue["farmId"]}"\n'
                      f'fleet-id = "{ready_queue["fleetId"]}"\nwork-dir = "{tmp_path / "state" / "node"}"\n'
                      'shutdown-grace = 5\n\n[attributes]\nrenderer = ["blender", "ffmpeg"]\n')
    written = farmstead("worker", "install-service", "--config", config, "--user", "render",
                        "--env-file", tmp_path / "etc" / "worker.env", "--output", tmp_path / "units", env=isolated_env)
    assert written.returncode == 0, written.stderr
    path = tmp_path / "units" / "farmstead-worker.service"
    assert f"Wrote {path}" in written.stdout and "systemctl enable --now farmstead-worker.service" in written.stdout
    verify(path)
    service = unit(path)["Service"]
    assert (service["User"], service["Restart"], service["KillSignal"], service["KillMode"]) == \
        ("render", "on-failure", "SIGTERM", "mixed")
    assert service["EnvironmentFile"] == f"-{tmp_path / 'etc' / 'worker.env'}"
    exec_start = shlex.split(service["ExecStart"])
    assert Path(exec_start[0]).is_absolute() and exec_start[1:] == ["worker", "--config", str(config)]

    # As systemd starts it: the environment file's variables, the unit's working directory.
    (tmp_path / "etc" / "worker.env").write_text(
        f"AWS_ACCESS_KEY_ID={ADMIN_KEY_ID}\nAWS_SECRET_ACCESS_KEY={ADMIN_SECRET}\nAWS_DEFAULT_REGION={REGION}\n")
    env = {**isolated_env, service["Environment"].split("=", 1)[0]: service["Environment"].split("=", 1)[1]}
    for line in (tmp_path / "etc" / "worker.env").read_text().splitlines():
        env[line.split("=", 1)[0]] = line.split("=", 1)[1]
    (tmp_path / "state").mkdir(exist_ok=True)
    # The fleet offers the attribute, so the job is compatible; only a worker that has it may take it.
    fleet = {**LINUX_FLEET["customerManaged"], "workerCapabilities": {
        **LINUX_FLEET["customerManaged"]["workerCapabilities"],
        "customAttributes": [{"name": "attr.renderer", "values": ["blender", "ffmpeg"]}]}}
    deadline.update_fleet(farmId=ready_queue["farmId"], fleetId=ready_queue["fleetId"],
                          configuration={"customerManaged": fleet})
    node = subprocess.Popen(exec_start, env=env, cwd=tmp_path / "state", stdout=open(tmp_path / "node.log", "wb"),
                            stderr=subprocess.STDOUT)
    try:
        job_id = deadline.create_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
                                     template=json.dumps(TEMPLATE), templateType="JSON", priority=50)["jobId"]
        wait_until(lambda: deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
                                            jobId=job_id)["taskRunStatus"] == "SUCCEEDED", 90,
                   lambda: (tmp_path / "node.log").read_text(errors="replace")[-3000:])
    finally:
        node.send_signal(getattr(signal, service["KillSignal"]))
        stopped_at = time.monotonic()
        node.wait(int(service["TimeoutStopSec"]))
    # It drained and stopped cleanly within the unit's stop timeout: exit 0, not restarted by systemd.
    assert node.returncode == 0 and time.monotonic() - stopped_at < int(service["TimeoutStopSec"])
    (worker,) = deadline.list_workers(farmId=ready_queue["farmId"], fleetId=ready_queue["fleetId"])["workers"]
    assert worker["status"] == "STOPPED"
    assert (tmp_path / "state" / "node" / "worker.json").exists()  # the config file's work dir


def test_a_flag_wins_over_the_config_file_and_an_unknown_setting_is_refused(
        farmstead, server, deadline, ready_queue, isolated_env, tmp_path):
    config = tmp_path / "worker.toml"
    config.write_text('farm-id = "farm-00000000000000000000000000000000"\nfleet-ids = "typo"\n')
    refused = farmstead("worker", "--config", config, env=isolated_env)
    assert refused.returncode == 2 and "unknown setting 'fleet-ids'" in refused.stderr
    config.write_text(f'farm-id = "{ready_queue["farmId"]}"\n')
    missing = farmstead("worker", "--config", config, env=isolated_env)
    assert missing.returncode == 2 and "Missing option '--fleet-id'" in missing.stderr
    # The file names another fleet; the flag's fleet is the one the worker joins.
    config.write_text(f'farm-id = "{ready_queue["farmId"]}"\nfleet-id = "fleet-00000000000000000000000000000000"\n'
                      f'endpoint-url = "{server.endpoint}"\nwork-dir = "{tmp_path / "w"}"\n')
    env = {**isolated_env, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET}
    node = subprocess.Popen([*farmstead_command(), "worker", "--config", str(config), "--fleet-id",
                             ready_queue["fleetId"]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: deadline.list_workers(farmId=ready_queue["farmId"], fleetId=ready_queue["fleetId"])[
            "workers"], 60, "the worker to join the flag's fleet")
    finally:
        node.send_signal(signal.SIGTERM)
        assert node.wait(60) == 0


def test_the_server_unit_passes_systemd_and_runs_as_its_own_user(farmstead, isolated_env, tmp_path):
    written = farmstead("server", "install-service", "--port", "8300", "--output", tmp_path, env=isolated_env)
    assert written.returncode == 0, written.stderr
    path = tmp_path / "farmstead-server.service"
    verify(path)
    service = unit(path)["Service"]
    assert service["User"] == "farmstead" and service["StateDirectory"] == "farmstead-server"
    assert shlex.split(service["ExecStart"])[1:] == ["server", "--host", "127.0.0.1", "--port", "8300", "--data-dir",
                                                     "/var/lib/farmstead-server"]
    as_root = farmstead("server", "install-service", "--user", "root", "--output", tmp_path, env=isolated_env)
    assert as_root.returncode == 2 and "account of its own" in as_root.stderr
