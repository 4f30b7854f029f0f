"""A farm on a live server and the real `farmstead worker` processes that run its jobs, for the end-to-end
suites that start workers (tests/e2e): set-up, the workers' output and identity, and stopping them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET
from farmstead.testing.waiting import wait_until


class Farm:
    """A farm, queue, fleet and association on a live server, and the worker processes run against it."""

    def __init__(self, live: LiveServer, tmp: Path, configuration: dict | None = None) -> None:
        self.live = live
        self.tmp = tmp
        self.deadline = live.client()
        self.farm_id = self.deadline.create_farm(displayName="worker e2e")["farmId"]
        self.queue_id = self.deadline.create_queue(farmId=self.farm_id, displayName="q",
                                                   jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
        self.fleet_id = self.deadline.create_fleet(
            farmId=self.farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f", maxWorkerCount=4,
            configuration=configuration or LINUX_FLEET)["fleetId"]
        self.deadline.create_queue_fleet_association(farmId=self.farm_id, queueId=self.queue_id,
                                                     fleetId=self.fleet_id)
        self.out = tmp / "out"
        self.out.mkdir()
        self.processes: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
               "AWS_EC2_METADATA_DISABLED": "true"}
        env.pop("AWS_PROFILE", None)
        return env

    def start_worker(self, name: str, *flags: str, **env: str) -> subprocess.Popen:
        """A `farmstead worker` in its own work dir, with more `flags` (`--slots 4`, say); `env` overrides
        its environment (a host's PATH, say)."""
        work_dir = self.tmp / name
        work_dir.mkdir(exist_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", self.live.endpoint,
             "--farm-id", self.farm_id, "--fleet-id", self.fleet_id, "--work-dir", str(work_dir), *flags],
            env={**self.env(), **env}, stdout=open(work_dir / "stdout.txt", "ab"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def worker_output(self, name: str) -> str:
        return (self.tmp / name / "stdout.txt").read_text(errors="replace")[-4000:]

    def worker_id(self, name: str) -> str:
        return json.loads((self.tmp / name / "worker.json").read_text())["workerId"]

    def submit(self, template: dict, **extra) -> str:
        return self.deadline.create_job(farmId=self.farm_id, queueId=self.queue_id, priority=50, templateType="JSON",
                                        template=json.dumps(template), **extra)["jobId"]

    def job(self, job_id: str) -> dict:
        return self.deadline.get_job(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id)

    def wait_for_job(self, job_id: str, timeout: float = 40, statuses=("SUCCEEDED", "FAILED", "CANCELED")) -> dict:
        return wait_until(lambda: (job := self.job(job_id))["taskRunStatus"] in statuses and job, timeout,
                          f"job {job_id} to end")

    def actions(self, job_id: str) -> list[dict]:
        return self.deadline.list_session_actions(farmId=self.farm_id, queueId=self.queue_id,
                                                  jobId=job_id)["sessionActions"]

    def running_task_action(self, job_id: str) -> dict | None:
        return next((a for a in self.actions(job_id) if "taskRun" in a["definition"] and a["status"] == "RUNNING"),
                    None)

    def session_action(self, job_id: str, action_id: str) -> dict:
        return self.deadline.get_session_action(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id,
                                                sessionActionId=action_id)

    def workers(self) -> list[dict]:
        return self.deadline.list_workers(farmId=self.farm_id, fleetId=self.fleet_id)["workers"]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Tasks a SIGKILLed worker left behind wrote their pid: don't leave them running. Only a process
        # that is still that task: pids wrap (pid_max is 32,768 here) and one a finished task had may be
        # another test's server or worker by now.
        for pid_file in self.out.glob("pid-*"):
            mark = f"DEADLINE_SESSIONACTION_ID={pid_file.name[len('pid-'):]}".encode()
            try:
                pid = int(pid_file.read_text().strip())
                if mark in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    os.kill(pid, signal.SIGKILL)
            except (ValueError, OSError):
                pass
