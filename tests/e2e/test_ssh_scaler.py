"""`farmstead scaler --host HOST:N` over real SSH: the "host" is a network namespace running Debian's
OpenSSH server (support/ssh_host.py), reached with key auth through an ssh client configuration
(`--ssh-config`). The scaler starts `farmstead worker` there as work queues up and stops them (`ssh
HOST kill -TERM`) once they are idle: 0 -> 2 -> 0, with the scaler killed and started again on the way
(it adopts the workers it left running)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.scaled_jobs import AUTO, held_frames, started_frames, working
from support.ssh_host import NAMESPACE, THIS_ADDRESS, ssh_host  # noqa: F401 - ssh_host is a fixture
from support.worker_farms import Farm

IDLE_SECONDS = 3


@pytest.fixture
def live(ssh_host, tmp_path):  # noqa: F811 - the fixture imported above
    # On this side of the SSH host's link: the workers over there reach it at this address.
    (tmp_path / "server").mkdir()
    server = LiveServer(tmp_path / "server", host=THIS_ADDRESS,
                        extra_env={"FARMSTEAD_SCALING_IDLE_SECONDS": str(IDLE_SECONDS)}).start()
    yield server
    server.stop()


def namespace_of(pid: int) -> str:
    return subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True,
                          check=False).stdout.strip()


def test_the_scaler_starts_and_stops_workers_on_a_host_over_ssh(live, ssh_host, tmp_path):  # noqa: F811
    (tmp_path / "farm").mkdir()
    farm = Farm(live, tmp_path / "farm", configuration=AUTO)
    root = tmp_path / "scaled"

    def start_scaler(log_name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "farmstead", "scaler", "--endpoint-url", live.endpoint, "--farm-id",
             farm.farm_id, "--fleet-id", farm.fleet_id, "--host", f"{ssh_host.name}:2", "--ssh-config",
             str(ssh_host.config), "--work-dir", str(root), "--interval", "0.5", "--stop-timeout", "30"],
            env=farm.env(), stdout=open(tmp_path / log_name, "ab"), stderr=subprocess.STDOUT)
    scaler = start_scaler("scaler.txt")
    log = lambda: (tmp_path / "scaler.txt").read_text()[-3000:]  # noqa: E731
    try:
        time.sleep(2)  # four rounds of the scaler with an empty queue
        assert scaler.poll() is None and farm.workers() == [], log()  # no demand, no worker
        job_id = farm.submit(held_frames(farm.out, "1-2"))
        wait_until(lambda: started_frames(farm) == {"1", "2"}, 90, "two workers over SSH running a task each")
        assert len(working(farm)) == 2
        # Each worker runs on the SSH host: the pid its remote shell recorded is in the host's namespace.
        for number in (1, 2):
            pid = int(Path(f"{root}/{ssh_host.name}-worker-{number}.pid").read_text())
            assert namespace_of(pid) == NAMESPACE, log()
        # Killed outright, the scaler leaves them running; started again, it adopts them (their ssh
        # clients), starts none beside them, and stops them over SSH when they are idle.
        scaler.kill()
        scaler.wait()
        scaler = start_scaler("restarted.txt")
        log = lambda: (tmp_path / "restarted.txt").read_text()[-3000:]  # noqa: E731
        wait_until(lambda: "adopted 2 running worker(s)" in log(), 30, "the workers adopted")
        time.sleep(2)
        assert "started worker" not in log() and len(working(farm)) == 2, log()
        (farm.out / "release").touch()
        assert farm.wait_for_job(job_id, timeout=60)["taskRunStatus"] == "SUCCEEDED", log()
        # Drained and idle past the delay: both stopped over SSH.
        wait_until(lambda: working(farm) == [], IDLE_SECONDS + 30, "the fleet scaled in to 0")
        wait_until(lambda: log().count("exited with") >= 2, 30, "both ssh sessions ended")
    finally:
        scaler.send_signal(signal.SIGTERM)
        assert scaler.wait(60) == 0, log()
    assert {w["status"] for w in farm.workers()} == {"STOPPED"}
    assert len(farm.workers()) == 2
