"""A farm served by local `farmstead worker` processes, and `openjd run` of the same template: the two
sides of the end-to-end benchmarks (bench/end_to_end.py, bench/slots.py).

Owns: creating a farm, queue and fleet on a running server, starting worker processes for it (each with
its own flags and work dir) and waiting until they are IDLE; timing one job from CreateJob until GetJob
says it ended; the CPU time its worker processes (and everything under them) have used; timing
`openjd run` of a template file.
Must not: count setup (workers starting) in a job's time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.launcher import ADMIN_KEY_ID, ADMIN_SECRET, tree_cpu_seconds
from farmstead.testing.scripted_worker import LINUX_FLEET

ENDED = ("SUCCEEDED", "FAILED", "CANCELED")


def openjd_seconds(openjd: Path, template: Path, work: Path) -> float:
    """How long `openjd run TEMPLATE` takes in `work` (RuntimeError with its output if it fails)."""
    started = time.monotonic()
    done = subprocess.run([str(openjd), "run", str(template)], cwd=work, capture_output=True, text=True,
                          timeout=1800)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"openjd run failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    return elapsed


class LocalFleet:
    """A farm, queue and fleet named `name` on the server, and one worker process per entry of
    `worker_flags` (its extra flags) serving it; ready once `idle_workers` workers say IDLE (a process
    started with --slots N is N workers)."""

    def __init__(self, server, work: Path, name: str, worker_flags: list[list[str]], idle_workers: int) -> None:
        self.client = server.client()
        self.farm_id = self.client.create_farm(displayName=name)["farmId"]
        self.queue_id = self.client.create_queue(farmId=self.farm_id, displayName="q",
                                                 jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
        self.fleet_id = self.client.create_fleet(
            farmId=self.farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
            maxWorkerCount=idle_workers, configuration=LINUX_FLEET)["fleetId"]
        self.client.create_queue_fleet_association(farmId=self.farm_id, queueId=self.queue_id, fleetId=self.fleet_id)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
               "AWS_EC2_METADATA_DISABLED": "true"}
        env.pop("AWS_PROFILE", None)
        self.processes = []
        for index, flags in enumerate(worker_flags):
            work_dir = work / f"{name}-{index}"
            work_dir.mkdir()
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", server.endpoint,
                 "--farm-id", self.farm_id, "--fleet-id", self.fleet_id, "--work-dir", str(work_dir), *flags],
                env=env, stdout=open(work_dir / "stdout.txt", "ab"), stderr=subprocess.STDOUT))
        give_up = time.monotonic() + 90
        while self._idle_workers() < idle_workers:
            if time.monotonic() > give_up:
                raise RuntimeError(f"{name}: the workers did not start within 90 s")
            time.sleep(0.2)

    def _idle_workers(self) -> int:
        listed = self.client.list_workers(farmId=self.farm_id, fleetId=self.fleet_id)["workers"]
        return sum(1 for worker in listed if worker["status"] == "IDLE")

    def run_job(self, template: str, poll_seconds: float = 0.05) -> tuple[float, dict]:
        """(seconds from CreateJob until GetJob says the job ended, that GetJob's answer)."""
        started = time.monotonic()
        job_id = self.client.create_job(farmId=self.farm_id, queueId=self.queue_id, priority=50,
                                        templateType="JSON", template=template)["jobId"]
        while True:
            job = self.client.get_job(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id)
            if job["taskRunStatus"] in ENDED:
                return time.monotonic() - started, job
            if time.monotonic() - started > 1800:
                raise RuntimeError("the job did not finish within 30 minutes")
            time.sleep(poll_seconds)

    def cpu_seconds(self) -> float:
        """CPU its worker processes have used so far, with everything under them: a `--slots` process's
        slot workers, process guards, and the tasks they ran."""
        return sum(tree_cpu_seconds(process.pid) for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
