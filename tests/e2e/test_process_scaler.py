"""`farmstead scaler` on a real server with real `farmstead worker` processes, and as Slurm jobs on the
one-node Slurm of tools/slurm_local.sh: an auto-scaling fleet goes 0 -> N -> 0 workers as its queue
fills and drains, and a worker scaled in mid-task drains: its task is handed back and run by another
worker, none lost. A scaler killed (SIGKILL) with workers up is started again and adopts them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.scaled_jobs import AUTO, held_frames, started_frames, working
from support.worker_farms import Farm

IDLE_SECONDS = 3


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("scaler-server"),
                        extra_env={"FARMSTEAD_SCALING_IDLE_SECONDS": str(IDLE_SECONDS)}).start()
    yield server
    server.stop()


def slurm_problem() -> str | None:
    """Why the Slurm scaler can't be tried here (None: a one-node Slurm answers)."""
    if shutil.which("sbatch") is None:
        return "no Slurm here: `make slurm` (root) installs Debian's slurm-wlm and starts a one-node Slurm"
    nodes = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, check=False)
    if "idle" not in nodes.stdout and "mix" not in nodes.stdout:
        return f"Slurm has no node taking jobs (sinfo: {nodes.stdout.strip() or nodes.stderr.strip()})"
    return None


def follow_demand(live: LiveServer, tmp_path, placement: list[str], workers: int) -> None:
    """0 -> `workers` -> 0 workers with `farmstead scaler <placement>`; all but one scaled in mid-task."""
    farm = Farm(live, tmp_path, configuration=AUTO)
    scaler = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "scaler", "--endpoint-url", live.endpoint, "--farm-id", farm.farm_id,
         "--fleet-id", farm.fleet_id, *placement, "--work-dir", str(tmp_path / "scaled"),
         "--interval", "0.5", "--stop-timeout", "30"],
        env=farm.env(), stdout=open(tmp_path / "scaler.txt", "ab"), stderr=subprocess.STDOUT)
    log = lambda: (tmp_path / "scaler.txt").read_text()[-3000:]  # noqa: E731
    frames = {str(n) for n in range(1, workers + 1)}
    try:
        time.sleep(2)  # four rounds of the scaler with an empty queue
        assert scaler.poll() is None and farm.workers() == [], log()  # no demand, no worker
        job_id = farm.submit(held_frames(farm.out, f"1-{workers}"))
        wait_until(lambda: started_frames(farm) == frames, 90, f"{workers} workers started, one task each")
        assert len(working(farm)) == workers

        # Scale in while every worker runs a task: all but one are asked to stop and hand their tasks back.
        farm.deadline.update_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id, maxWorkerCount=1)
        wait_until(lambda: len(working(farm)) == 1, 60, "workers scaled in")
        (farm.out / "release").touch()
        job = farm.wait_for_job(job_id, timeout=90)
        assert job["taskRunStatus"] == "SUCCEEDED", log()
        assert {path.name for path in farm.out.glob("done-*")} == {f"done-{n}" for n in frames}
        assert len(list(farm.out.glob("start-*"))) == 2 * workers - 1  # the interrupted tasks started again

        # Drained and idle past the delay: the last worker is stopped too.
        wait_until(lambda: working(farm) == [], IDLE_SECONDS + 30, "the fleet scaled in to 0")
    finally:
        scaler.send_signal(signal.SIGTERM)
        assert scaler.wait(60) == 0, log()
    assert {w["status"] for w in farm.workers()} == {"STOPPED"}


def test_the_process_scaler_follows_demand_up_and_down_and_a_worker_scaled_in_mid_task_loses_nothing(live, tmp_path):
    follow_demand(live, tmp_path, ["--host", "local:3"], workers=3)


def test_the_slurm_scaler_follows_demand_up_and_down_and_a_job_scaled_in_mid_task_loses_nothing(live, tmp_path):
    if (problem := slurm_problem()) is not None:
        pytest.skip(problem)
    follow_demand(live, tmp_path, ["--slurm", "2"], workers=2)


def test_scale_in_stops_an_idle_worker_rather_than_one_running_a_task(live, tmp_path):
    farm = Farm(live, tmp_path, configuration=AUTO)
    farm.deadline.update_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id, minWorkerCount=3)  # 3 with no demand
    scaler = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "scaler", "--endpoint-url", live.endpoint, "--farm-id", farm.farm_id,
         "--fleet-id", farm.fleet_id, "--host", "local:3", "--work-dir", str(tmp_path / "scaled"),
         "--interval", "0.5", "--stop-timeout", "30"],
        env=farm.env(), stdout=open(tmp_path / "scaler.txt", "ab"), stderr=subprocess.STDOUT)
    log = lambda: (tmp_path / "scaler.txt").read_text()[-3000:]  # noqa: E731
    try:
        wait_until(lambda: len([w for w in farm.workers() if w["status"] == "IDLE"]) == 3, 60, "three idle workers")
        job_id = farm.submit(held_frames(farm.out, "1-2"))
        wait_until(lambda: started_frames(farm) == {"1", "2"}, 30, "two of the three workers busy")
        # Two busy, one idle: the recommendation drops to 2 and the idle worker is the one stopped,
        # whichever was started last.
        farm.deadline.update_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id, minWorkerCount=0, maxWorkerCount=2)
        wait_until(lambda: len(working(farm)) == 2, 30, "one worker scaled in")
        (farm.out / "release").touch()
        assert farm.wait_for_job(job_id, timeout=60)["taskRunStatus"] == "SUCCEEDED", log()
        assert len(list(farm.out.glob("start-*"))) == 2, log()  # no task was interrupted and run again
    finally:
        scaler.send_signal(signal.SIGTERM)
        assert scaler.wait(60) == 0, log()


def worker_processes(work_root) -> set[int]:
    """The `farmstead worker` processes (or their ssh clients) running for work dirs under `work_root`."""
    found = set()
    for proc in os.listdir("/proc"):
        try:
            cmdline = open(f"/proc/{proc}/cmdline", "rb").read().split(b"\0")  # noqa: SIM115
            state = open(f"/proc/{proc}/stat").read().rsplit(")", 1)[1].split()[0]  # noqa: SIM115
        except (OSError, ValueError, IndexError):
            continue
        if state != "Z" and b"worker" in cmdline and any(str(work_root).encode() in arg for arg in cmdline):
            found.add(int(proc))
    return found


@pytest.mark.parametrize("placement", [["--host", "local:3"], ["--slurm", "3"]], ids=["processes", "slurm"])
def test_a_scaler_killed_with_workers_up_adopts_them_when_started_again(live, tmp_path, placement):
    if placement[0] == "--slurm" and (problem := slurm_problem()) is not None:
        pytest.skip(problem)
    farm = Farm(live, tmp_path, configuration=AUTO)
    root = tmp_path / "scaled"

    def start_scaler(log_name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "farmstead", "scaler", "--endpoint-url", live.endpoint, "--farm-id", farm.farm_id,
             "--fleet-id", farm.fleet_id, *placement, "--work-dir", str(root), "--interval", "0.5",
             "--stop-timeout", "30"],
            env=farm.env(), stdout=open(tmp_path / log_name, "ab"), stderr=subprocess.STDOUT)
    log = lambda: (tmp_path / "restarted.txt").read_text()[-3000:]  # noqa: E731
    first = start_scaler("first.txt")
    second = None
    try:
        job_id = farm.submit(held_frames(farm.out, "1-2"))
        wait_until(lambda: started_frames(farm) == {"1", "2"}, 90, "two workers running a task each")
        running = worker_processes(root)
        assert len(running) == 2
        first.kill()  # SIGKILL: it can't stop its workers
        first.wait()
        assert worker_processes(root) == running  # left running

        second = start_scaler("restarted.txt")
        wait_until(lambda: "adopted 2 running worker(s)" in log(), 30, "the workers adopted")
        time.sleep(3)  # six rounds of the new scaler at the recommended size (2 busy workers)
        assert worker_processes(root) == running, log()  # none started beside them
        assert "started worker" not in log() and "submitted worker" not in log()
        assert len(farm.workers()) == 2
        (farm.out / "release").touch()
        assert farm.wait_for_job(job_id, timeout=60)["taskRunStatus"] == "SUCCEEDED", log()
        # Idle past the delay: the adopted workers are stopped like its own, none orphaned.
        wait_until(lambda: not worker_processes(root), IDLE_SECONDS + 30, "the adopted workers stopped")
        assert {w["status"] for w in farm.workers()} == {"STOPPED"}
    finally:
        for scaler in (first, second):
            if scaler is not None and scaler.poll() is None:
                scaler.send_signal(signal.SIGTERM)
                scaler.wait(60)
        for pid in worker_processes(root):  # whatever a failure left behind
            os.kill(pid, signal.SIGKILL)
