"""`farmstead worker --slots N` on a real server: N workers from one command, each with its share of the
host, running N tasks at once; and GPU pinning on (fake-NVML) GPU hosts, checked on the environment of
the processes the worker starts: whole cards never shared, and a card shared by steps asking for a fraction."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET
from farmstead.testing.waiting import wait_until
from farmstead.worker import host
from support.worker_farms import Farm

FAKE_NVML = Path(__file__).parents[1] / "support" / "fake_nvml"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("slots-server")).start()
    yield server
    server.stop()


def barrier_step(out: Path, tasks: int, together: int, **extra) -> dict:
    """A step of `tasks` tasks, each of which writes its environment, then waits (up to 30 s) until
    `together` tasks have started and records how many it saw."""
    script = (f"env > {out}/env-{{{{Task.Param.Frame}}}}; touch {out}/started-{{{{Task.Param.Frame}}}}\n"
              f"for i in $(seq 300); do [ $(ls {out}/started-* | wc -l) -ge {together} ] && break; sleep 0.1; done\n"
              f"echo $(ls {out}/started-* | wc -l) > {out}/saw-{{{{Task.Param.Frame}}}}\n")
    return {"name": "Together", **extra,
            "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": f"1-{tasks}"}]},
            "script": {"actions": {"onRun": {"command": "bash", "args": ["{{Task.File.run}}"]}},
                       "embeddedFiles": [{"name": "run", "type": "TEXT", "data": script}]}}


def environment_of(out: Path, frame: int) -> dict[str, str]:
    lines = (out / f"env-{frame}").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def started_workers(farm: Farm, count: int) -> list[dict]:
    return wait_until(lambda: len(listed := [w for w in farm.workers() if w["status"] == "IDLE"]) == count and listed,
                      60, f"{count} workers to start")


def fleet_of(**capabilities) -> dict:
    fleet = json.loads(json.dumps(LINUX_FLEET))
    fleet["customerManaged"]["workerCapabilities"].update(capabilities)
    return fleet


def run_at_once(farm: Farm, name: str, host_name: str, tasks: int, host_requirements: dict) -> list[dict[str, str]]:
    """A job of one step whose `tasks` tasks each wait until all of them run (barrier_step), run to
    success; checks every task saw all of them at once, and returns the environment each ran in."""
    step = barrier_step(farm.out, tasks=tasks, together=tasks, hostRequirements=host_requirements)
    job_id = farm.submit({"specificationVersion": "jobtemplate-2023-09", "name": name, "steps": [step]})
    job = farm.wait_for_job(job_id, timeout=60)
    assert job["taskRunStatus"] == "SUCCEEDED", farm.worker_output(host_name)
    frames = range(1, tasks + 1)
    assert [(farm.out / f"saw-{frame}").read_text().strip() for frame in frames] == [str(tasks)] * tasks
    return [environment_of(farm.out, frame) for frame in frames]


def start_gpu_host(farm: Farm, cards: int) -> None:
    """The host `gpu-host`, two slots, with `cards` L4s of 23,034 MiB found through the fake NVML."""
    path = os.pathsep.join(filter(None, [str(FAKE_NVML), os.environ.get("PYTHONPATH")]))
    farm.start_worker("gpu-host", "--slots", "2", PYTHONPATH=path,
                      FAKE_NVML_GPUS=json.dumps([["NVIDIA L4", 23034]] * cards))


def test_four_slots_are_four_workers_with_a_quarter_of_the_host_each_running_four_tasks_at_once(live, tmp_path):
    # The API shows no worker's capabilities, so the amounts are checked the way the scheduler uses them:
    # the step asks for exactly a quarter of this host (the fleet declares that range), and all four run it.
    vcpus, memory = os.cpu_count() or 1, host.detect_memory_mib()
    vcpu_shares = [max(1, vcpus // 4 + (1 if slot < vcpus % 4 else 0)) for slot in range(4)]
    vcpu_range = {"min": min(vcpu_shares), "max": max(vcpu_shares)}
    memory_range = {"min": memory // 4, "max": -(-memory // 4)}  # a quarter, rounded down and up
    farm = Farm(live, tmp_path, configuration=fleet_of(vCpuCount=vcpu_range, memoryMiB=memory_range))
    try:
        farm.start_worker("host", "--slots", "4")
        workers = started_workers(farm, 4)
        # Each slot is its own worker with its own work dir and identity.
        identities = {json.loads((tmp_path / "host" / f"slot-{n}" / "worker.json").read_text())["workerId"]
                      for n in range(1, 5)}
        assert identities == {worker["workerId"] for worker in workers}

        seen = run_at_once(farm, "four at once", "host", 4, {"amounts": [
            {"name": "amount.worker.vcpu", **vcpu_range}, {"name": "amount.worker.memory", **memory_range}]})
        assert {env["DEADLINE_WORKER_ID"] for env in seen} == identities
    finally:
        farm.stop_all()
    # SIGTERM to the command stopped every slot: each worker says STOPPED.
    assert farm.processes[0].returncode == 0
    assert {worker["status"] for worker in farm.workers()} == {"STOPPED"}


def test_a_two_gpu_step_on_a_four_gpu_host_runs_twice_at_once_on_disjoint_cards(live, tmp_path):
    fleet = fleet_of(acceleratorTypes=["gpu"], acceleratorCount={"min": 2, "max": 2},
                     acceleratorTotalMemoryMiB={"min": 23034, "max": 23034},
                     customAttributes=[{"name": "attr.gpu.model", "values": ["l4"]}])
    farm = Farm(live, tmp_path, configuration=fleet)
    try:
        start_gpu_host(farm, cards=4)
        started_workers(farm, 2)
        # Each slot reports two cards, their memory and their model: the step asks for exactly that.
        seen = run_at_once(farm, "two cards each", "gpu-host", 2, {
            "amounts": [{"name": "amount.worker.gpu", "min": 2, "max": 2},
                        {"name": "amount.worker.gpu.memory", "min": 23034, "max": 23034}],
            "attributes": [{"name": "attr.gpu.model", "anyOf": ["l4"]}]})
    finally:
        farm.stop_all()
    cards = [set(env["CUDA_VISIBLE_DEVICES"].split(",")) for env in seen]
    assert sorted(map(sorted, cards)) == [["0", "1"], ["2", "3"]]  # two cards each, none shared
    assert all(env["GPU_DEVICE_ORDINAL"] == env["CUDA_VISIBLE_DEVICES"] for env in seen)
    assert all(env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID" for env in seen)


def one_gpu_host(live, tmp_path) -> Farm:
    """A farm whose fleet has one-GPU hosts, and one such (fake-NVML) host started with two slots: the
    first slot has the card, the second none of its own (it reports half a card, for steps that share)."""
    fleet = fleet_of(acceleratorTypes=["gpu"], acceleratorCount={"min": 1, "max": 1},
                     acceleratorTotalMemoryMiB={"min": 23034, "max": 23034})
    farm = Farm(live, tmp_path, configuration=fleet)
    start_gpu_host(farm, cards=1)
    started_workers(farm, 2)
    return farm


def test_two_sessions_of_a_half_gpu_step_on_a_one_gpu_host_run_at_once_on_the_same_card(live, tmp_path):
    farm = one_gpu_host(live, tmp_path)
    try:
        seen = run_at_once(farm, "half a card each", "gpu-host", 2,
                           {"amounts": [{"name": "amount.worker.gpu", "min": 0.5}]})
    finally:
        farm.stop_all()
    assert [env["CUDA_VISIBLE_DEVICES"] for env in seen] == ["0", "0"]
    assert len({env["DEADLINE_WORKER_ID"] for env in seen}) == 2  # one session in each slot


def timed_step(out: Path, name: str, gpu_min: float, seconds: float) -> dict:
    """A one-task step that records its CUDA_VISIBLE_DEVICES, its worker and when it ran (`seconds`),
    and marks when it started."""
    script = (f"start=$(date +%s.%N); touch {out}/started-{name}; sleep {seconds}\n"
              f"echo \"$CUDA_VISIBLE_DEVICES $start $(date +%s.%N) $DEADLINE_WORKER_ID\" > {out}/ran-{name}\n")
    return {"name": name, "hostRequirements": {"amounts": [{"name": "amount.worker.gpu", "min": gpu_min}]},
            "script": {"actions": {"onRun": {"command": "bash", "args": ["{{Task.File.run}}"]}},
                       "embeddedFiles": [{"name": "run", "type": "TEXT", "data": script}]}}


def test_a_whole_gpu_steps_session_never_shares_its_card_with_a_half_gpu_session(live, tmp_path):
    # Slot 1 holds the card whole; a half-card step then can only go to slot 2, and must wait for the
    # card; a second whole-card step then goes to slot 1 and must wait for the half to end.
    farm = one_gpu_host(live, tmp_path)
    try:
        jobs = []
        for name, gpu_min, seconds in (("whole-a", 1, 2), ("half", 0.5, 2), ("whole-b", 1, 1)):
            jobs.append(farm.submit({"specificationVersion": "jobtemplate-2023-09", "name": name,
                                     "steps": [timed_step(farm.out, name, gpu_min, seconds)]}))
            wait_until(lambda: (farm.out / f"started-{name}").exists() or (farm.out / f"ran-{name}").exists(),  # noqa: B023
                       60, f"{name} to start")
        for job_id in jobs:
            assert farm.wait_for_job(job_id, timeout=60)["taskRunStatus"] == "SUCCEEDED", farm.worker_output("gpu-host")
    finally:
        farm.stop_all()
    runs = {name: (farm.out / f"ran-{name}").read_text().split() for name in ("whole-a", "half", "whole-b")}
    assert all(run[0] == "0" for run in runs.values())
    assert runs["half"][3] != runs["whole-a"][3] == runs["whole-b"][3]  # the half ran on the second slot
    assert float(runs["whole-a"][2]) <= float(runs["half"][1]) and float(runs["half"][2]) <= float(runs["whole-b"][1])
