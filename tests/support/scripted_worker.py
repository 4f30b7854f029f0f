"""A worker with no processes: it answers UpdateWorkerSchedule by script, through a real boto3 client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

CAPABILITIES = {
    "amounts": [{"name": "amount.worker.vcpu", "value": 4.0}, {"name": "amount.worker.memory", "value": 8192.0}],
    "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                   {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}],
}
LINUX_FLEET = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}}


def now() -> datetime:
    return datetime.now(UTC)


class ScriptedWorker:
    def __init__(self, client, farm_id: str, fleet_id: str, capabilities: dict = CAPABILITIES) -> None:
        self.client = client
        self.ids = {"farmId": farm_id, "fleetId": fleet_id}
        self.worker_id = client.create_worker(**self.ids, hostProperties={"hostName": "scripted"})["workerId"]
        self.ids["workerId"] = self.worker_id
        self.log = client.update_worker(**self.ids, status="STARTED", capabilities=capabilities)["log"]
        self.reports: dict[str, dict] = {}
        self.ran: list[dict] = []  # every action it was given, in order

    def poll(self) -> dict:
        response = self.client.update_worker_schedule(**self.ids, updatedSessionActions=self.reports)
        self.reports = {}
        return response

    def pending_actions(self, response: dict) -> list[tuple[str, dict]]:
        return [(session_id, action) for session_id, session in response["assignedSessions"].items()
                for action in session["sessionActions"]]

    def run(self, outcome: Callable[[dict], str] = lambda action: "SUCCEEDED", max_polls: int = 200) -> int:
        """Poll and finish every action it gets (by `outcome`) until nothing is assigned; returns polls."""
        done: set[str] = set()
        for polls in range(1, max_polls + 1):
            response = self.poll()
            actions = [(s, a) for s, a in self.pending_actions(response) if a["sessionActionId"] not in done]
            if not actions and not response["assignedSessions"]:
                return polls
            for _, action in actions[:1]:  # like the agent: one action at a time, in order
                self.ran.append(action)
                status = outcome(action)
                report = {"startedAt": now(), "completedStatus": status, "endedAt": now()}
                if status in ("SUCCEEDED", "FAILED"):
                    report["processExitCode"] = 0 if status == "SUCCEEDED" else 1
                if status == "NEVER_ATTEMPTED":
                    report = {"completedStatus": status}
                self.reports[action["sessionActionId"]] = report
                done.add(action["sessionActionId"])
        raise AssertionError("the worker never ran out of work")
