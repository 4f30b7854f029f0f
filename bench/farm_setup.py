"""What the benchmarks measure against: a farm, a queue a fleet can serve, and frame-range jobs.

Owns: setting these up through boto3 (a handful of calls, so the client's cost doesn't matter), and
waiting for a job to reach CREATE_COMPLETE by polling GetJob with a pre-signed request.
Must not: measure; callers time what they care about.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from bench.launcher import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from bench.lean_client import Connection, SignedRequest, presign


def frame_template(task_count: int) -> str:
    """One step, one INT task parameter `Frame` over 1-N: N tasks."""
    return json.dumps({
        "specificationVersion": "jobtemplate-2023-09",
        "name": f"frames 1-{task_count}",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [
                       {"name": "Frame", "type": "INT", "range": f"1-{task_count}"}]},
                   "script": {"actions": {"onRun": {"command": "true"}}}}],
    })


@dataclass
class Farm:
    server: LiveServer
    farm_id: str
    queue_id: str
    client: Any  # the administrator's boto3 client, made once (building one costs ~0.1 s)

    def sign(self, operation: str, labels: dict[str, str] | None = None, **kwargs) -> SignedRequest:
        return presign(self.server.endpoint, operation, labels, key_id=ADMIN_KEY_ID, secret=ADMIN_SECRET,
                       region=REGION, **kwargs)

    def get_job_request(self, job_id: str, label: str = "GetJob") -> SignedRequest:
        return self.sign("GetJob", {"farmId": self.farm_id, "queueId": self.queue_id, "jobId": job_id},
                         label=label)

    def create_job(self, task_count: int) -> str:
        return self.client.create_job(farmId=self.farm_id, queueId=self.queue_id, priority=50, templateType="JSON",
                                 template=frame_template(task_count))["jobId"]

    def wait_created(self, job_id: str, *, timeout: float = 300.0) -> dict:
        """Poll GetJob until the job leaves CREATE_IN_PROGRESS; returns the last GetJob answer.

        The interval is ~2% of the time waited so far (5-100 ms): a fine resolution on short waits,
        and a negligible load on the server (each poll costs it well under a millisecond).
        """
        request = self.get_job_request(job_id)
        connection = Connection(request.netloc)
        started = time.monotonic()
        try:
            while True:
                job = connection.json(request)
                if job["lifecycleStatus"] != "CREATE_IN_PROGRESS":
                    return job
                waited = time.monotonic() - started
                if waited > timeout:
                    raise TimeoutError(f"job {job_id} still CREATE_IN_PROGRESS after {timeout:.0f} s")
                time.sleep(min(0.1, max(0.005, waited / 50)))
        finally:
            connection.close()

def new_farm(server: LiveServer) -> Farm:
    """A farm and a queue with an associated customer-managed fleet, so new tasks are READY."""
    client = server.client()
    farm_id = client.create_farm(displayName="bench")["farmId"]
    queue_id = client.create_queue(farmId=farm_id, displayName="bench")["queueId"]
    fleet_id = client.create_fleet(
        farmId=farm_id, displayName="bench", roleArn="arn:aws:iam::000000000000:role/fleet", maxWorkerCount=4,
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]
    client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return Farm(server, farm_id, queue_id, client)
