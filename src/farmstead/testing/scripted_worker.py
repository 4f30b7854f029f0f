"""A worker with no processes: it answers UpdateWorkerSchedule by script, through a real boto3 client.

Owns: registering a worker in a fleet (CreateWorker, then UpdateWorker STARTED with its capabilities)
and the worker side of the scheduling protocol: poll, take the actions assigned, report each one
finished with the status a test chooses, one action at a time and in order, as a worker agent does.
Must not: run anything. It proves what a farm asks of its workers (which tasks, with which parameters,
in which order) and moves tasks to the states a test needs in milliseconds; `workers.py` runs a real
`farmstead worker` when the commands themselves must run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from farmstead.domain.statuses import CompletedStatus, UpdatedWorkerStatus
from farmstead.worker.host import cpu_arch, os_family

CAPABILITIES: dict[str, list[dict[str, Any]]] = {
    "amounts": [{"name": "amount.worker.vcpu", "value": 4.0}, {"name": "amount.worker.memory", "value": 8192.0}],
    "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                   {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}],
}
LINUX_FLEET: dict[str, Any] = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}}


def host_capabilities() -> dict[str, list[dict[str, Any]]]:
    """CAPABILITIES with this machine's OS family and CPU architecture: a worker the fleet from
    `host_fleet()` takes, and that a job written for the machine the tests run on fits."""
    return {"amounts": CAPABILITIES["amounts"],
            "attributes": [{"name": "attr.worker.os.family", "values": [os_family()]},
                           {"name": "attr.worker.cpu.arch", "values": [cpu_arch()]}]}


def host_fleet() -> dict[str, Any]:
    """A customer-managed fleet configuration whose workers are machines like this one."""
    return {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
        "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": os_family().upper(),
        "cpuArchitectureType": cpu_arch()}}}


def now() -> datetime:
    return datetime.now(UTC)


Outcome = Callable[[dict[str, Any]], str]


def succeed(action: dict[str, Any]) -> str:
    """The default outcome: every action SUCCEEDED."""
    return CompletedStatus.SUCCEEDED


class ScriptedWorker:
    def __init__(self, client: Any, farm_id: str, fleet_id: str,
                 capabilities: dict[str, list[dict[str, Any]]] = CAPABILITIES, host_name: str = "scripted") -> None:
        self.client = client
        self.ids = {"farmId": farm_id, "fleetId": fleet_id}
        self.worker_id: str = client.create_worker(**self.ids, hostProperties={"hostName": host_name})["workerId"]
        self.ids["workerId"] = self.worker_id
        self.log: dict[str, Any] = client.update_worker(**self.ids, status=UpdatedWorkerStatus.STARTED,
                                                        capabilities=capabilities)["log"]
        self.reports: dict[str, dict[str, Any]] = {}
        self.ran: list[dict[str, Any]] = []  # every action it was given, in order

    def poll(self) -> dict[str, Any]:
        """One UpdateWorkerSchedule call, carrying the reports made since the last one."""
        response: dict[str, Any] = self.client.update_worker_schedule(**self.ids,
                                                                      updatedSessionActions=self.reports)
        self.reports = {}
        return response

    def pending_actions(self, response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [(session_id, action) for session_id, session in response["assignedSessions"].items()
                for action in session["sessionActions"]]

    def run(self, outcome: Outcome = succeed, max_polls: int = 200) -> int:
        """Poll and finish every action it gets until nothing is assigned; returns the polls it took.

        `outcome(action)` is the status each action ends with: SUCCEEDED, FAILED, CANCELED, INTERRUPTED
        or NEVER_ATTEMPTED (the action dict is UpdateWorkerSchedule's: `definition` says whether it is a
        taskRun, with its stepId, taskId and parameters, or an environment's enter or exit)."""
        done: set[str] = set()
        for polls in range(1, max_polls + 1):
            response = self.poll()
            actions = [(s, a) for s, a in self.pending_actions(response) if a["sessionActionId"] not in done]
            if not actions and not response["assignedSessions"]:
                return polls
            for _, action in actions[:1]:  # like the agent: one action at a time, in order
                self.ran.append(action)
                status = outcome(action)
                report: dict[str, Any] = {"startedAt": now(), "completedStatus": status, "endedAt": now()}
                if status in (CompletedStatus.SUCCEEDED, CompletedStatus.FAILED):
                    report["processExitCode"] = 0 if status == CompletedStatus.SUCCEEDED else 1
                if status == CompletedStatus.NEVER_ATTEMPTED:
                    report = {"completedStatus": status}
                self.reports[action["sessionActionId"]] = report
                done.add(action["sessionActionId"])
        raise AssertionError("the worker never ran out of work")

    def task_parameters(self) -> list[dict[str, str]]:
        """The parameters of each task it ran, in order, by name (`{"Frame": "3"}`): the task parameter
        values the API sends are strings, whatever their type."""
        return [{name: next(iter(value.values())) for name, value in action["definition"]["taskRun"]
                 .get("parameters", {}).items()}
                for action in self.ran if "taskRun" in action["definition"]]
