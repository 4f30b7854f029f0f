"""A ready farm on a live server: a farm, a queue, a fleet of machines like this one serving it, and
the workers a test runs against it.

Owns: creating those through the API (as a studio's administrator would), the environment that points
boto3, the `deadline` CLI and a studio's own tools at the server instead of AWS, the workers a test
starts (scripted ones, and real `farmstead worker` processes it stops at the end), and reading a
job's outcome and session logs back.
Must not: import pytest, or create anything outside its farm: tests sharing a server each get a farm
of their own, which is all the isolation they need.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from farmstead.domain import log_names
from farmstead.domain.statuses import TaskRunStatus
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.scripted_worker import Outcome, ScriptedWorker, host_capabilities, host_fleet, succeed
from farmstead.testing.waiting import wait_until
from farmstead.testing.workers import WorkerProcess

if TYPE_CHECKING:
    from farmstead.testing.s3_store import S3Store

#: The bucket a farm with job attachments keeps them in, and the prefix of its queue's attachments.
ATTACHMENTS_BUCKET = "farmstead-test-attachments"
ATTACHMENTS_PREFIX = "Attachments"
#: Role ARNs are only names to Farmstead (no IAM): the queue's makes its jobs ask for attachment keys.
QUEUE_ROLE = "arn:aws:iam::000000000000:role/FarmsteadTestQueue"
FLEET_ROLE = "arn:aws:iam::000000000000:role/FarmsteadTestFleet"
_FOREIGN_PREFIXES = ("AWS_", "DEADLINE_")
#: What `wait_for_job` waits for by default: the job stopped moving (NOT_COMPATIBLE not included).
ENDED = (TaskRunStatus.SUCCEEDED, TaskRunStatus.FAILED, TaskRunStatus.CANCELED, TaskRunStatus.SUSPENDED)


def aws_settings(endpoint: str, home: Path, s3: S3Store | None = None) -> dict[str, str]:
    """The variables that send boto3 (and what is built on it: the `deadline` CLI and library, a
    studio's submitter) to the server at `endpoint` with its administrator's key: AWS_ENDPOINT_URL
    covers the deadline and logs APIs, AWS_ENDPOINT_URL_S3 the attachment store when there is one. The
    AWS and deadline CLI config files are ones under `home` (absent until written), so no profile or
    default of the caller's applies."""
    settings = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws" / "credentials"),
        "DEADLINE_CONFIG_FILE_PATH": str(home / "deadline" / "config"),
        # The deadline library otherwise posts usage telemetry to AWS at exit.
        "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true",
    }
    if s3 is not None:
        settings["AWS_ENDPOINT_URL_S3"] = s3.endpoint
    return settings


def foreign_settings(environ: Mapping[str, str]) -> list[str]:
    """The variables of `environ` that could send a client elsewhere than the test's server (a
    profile, a session token, an endpoint of its own, the deadline CLI's defaults): every AWS_* and
    DEADLINE_* one."""
    return [key for key in environ if key.startswith(_FOREIGN_PREFIXES)]


class ReadyFarm:
    """What the `farmstead` fixture yields. `deadline` and `logs` are boto3 clients signed with the
    administrator's key; `farm_id`, `queue_id` and `fleet_id` name a queue that the fleet serves, so a
    job submitted there is READY and the farm's workers take it."""

    def __init__(self, server: LiveServer, farm_id: str, queue_id: str, fleet_id: str, work_dir: Path,
                 s3: S3Store | None = None) -> None:
        self.server, self.farm_id, self.queue_id, self.fleet_id = server, farm_id, queue_id, fleet_id
        self.work_dir = Path(work_dir)
        self.s3 = s3
        self.deadline: Any = server.client("deadline")
        self.logs: Any = server.client("logs")
        self.workers: list[WorkerProcess] = []

    @classmethod
    def create(cls, server: LiveServer, work_dir: Path, *, name: str = "test farm", s3: S3Store | None = None,
               max_workers: int = 10) -> ReadyFarm:
        """A new farm on `server`; with `s3`, its queue keeps job attachments in that store's
        ATTACHMENTS_BUCKET (which must exist) and the farm's clients send S3 calls there."""
        deadline = server.client("deadline")
        display = re.sub(r"\s+", " ", name).strip()[:100] or "test farm"
        farm_id = deadline.create_farm(displayName=display)["farmId"]
        queue: dict[str, Any] = {"jobRunAsUser": {"runAs": "WORKER_AGENT_USER"}}
        if s3 is not None:
            queue.update(roleArn=QUEUE_ROLE, jobAttachmentSettings={"s3BucketName": ATTACHMENTS_BUCKET,
                                                                    "rootPrefix": ATTACHMENTS_PREFIX})
        queue_id = deadline.create_queue(farmId=farm_id, displayName="renders", **queue)["queueId"]
        fleet_id = deadline.create_fleet(farmId=farm_id, displayName="this host", roleArn=FLEET_ROLE,
                                         maxWorkerCount=max_workers, configuration=host_fleet())["fleetId"]
        deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        return cls(server, farm_id, queue_id, fleet_id, work_dir, s3=s3)

    # ----- where things are -----

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def ids(self) -> dict[str, str]:
        """farmId, queueId and fleetId, as the API spells them."""
        return {"farmId": self.farm_id, "queueId": self.queue_id, "fleetId": self.fleet_id}

    def aws_settings(self) -> dict[str, str]:
        """The variables that send boto3 to this farm's server: `aws_settings(...)` of its endpoint."""
        return aws_settings(self.endpoint, self.work_dir, self.s3)

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A whole environment for a subprocess: `base` (default: this process's) without any AWS_* or
        DEADLINE_* variable of its own, plus `aws_settings()`."""
        base = os.environ if base is None else base
        foreign = set(foreign_settings(base))
        return {**{key: value for key, value in base.items() if key not in foreign}, **self.aws_settings()}

    # ----- workers -----

    def scripted_worker(self, capabilities: dict[str, list[dict[str, Any]]] | None = None) -> ScriptedWorker:
        """A new scripted worker in the fleet (this machine's OS and CPU unless `capabilities` say otherwise)."""
        return ScriptedWorker(self.deadline, self.farm_id, self.fleet_id, capabilities or host_capabilities())

    def run_tasks(self, outcome: Outcome = succeed, max_polls: int = 1000) -> ScriptedWorker:
        """A scripted worker takes every task that is ready now, and the tasks that become ready as those
        end, and finishes each with `outcome(action)` (SUCCEEDED by default); returns the worker, whose
        `ran` and `task_parameters()` say what it was given."""
        worker = self.scripted_worker()
        worker.run(outcome=outcome, max_polls=max_polls)
        return worker

    def start_worker(self, name: str | None = None, extra_args: Sequence[str] = ()) -> WorkerProcess:
        """A real `farmstead worker` of the fleet, in work directory `name` under the farm's; stopped
        (SIGTERM) when the farm closes, or by its `stop()`."""
        name = name or f"worker-{len(self.workers) + 1}"
        worker = WorkerProcess(self.endpoint, self.farm_id, self.fleet_id, self.work_dir / name, self.environ(),
                               extra_args).start()
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        """Stop the workers this farm started (the server and its data stay)."""
        for worker in self.workers:
            worker.stop()

    # ----- what became of a job -----

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.deadline.get_job(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id)
        return job

    def wait_for_job(self, job_id: str, timeout: float = 60.0, statuses: Sequence[str] = ENDED) -> dict[str, Any]:
        """GetJob's answer once the job's taskRunStatus is one of `statuses` (an end by default);
        AssertionError with the workers' output after `timeout` seconds."""
        try:
            return wait_until(lambda: (job := self.job(job_id))["taskRunStatus"] in statuses and job, timeout,
                              f"job {job_id} to reach {'/'.join(statuses)}")
        except AssertionError as error:
            outputs = "".join(f"\n--- {worker.work_dir.name} ---\n{worker.output()}" for worker in self.workers)
            raise AssertionError(f"{error}; it is {self.job(job_id)['taskRunStatus']}{outputs}") from None

    def session_log(self, session_id: str) -> list[str]:
        """The lines a worker uploaded for one session so far (log group /aws/deadline/FARM/QUEUE)."""
        group = log_names.session_log_group(self.farm_id, self.queue_id)
        lines: list[str] = []
        token: str | None = None
        while True:
            paging = {"nextToken": token} if token else {}
            try:
                page = self.logs.get_log_events(logGroupName=group, logStreamName=session_id, startFromHead=True,
                                                **paging)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ResourceNotFoundException":
                    return lines  # nothing uploaded yet
                raise
            lines += [event["message"] for event in page["events"]]
            if not page["events"] or page.get("nextForwardToken") in (None, token):
                return lines
            token = page["nextForwardToken"]

    def job_log(self, job_id: str) -> str:
        """Every session's log of the job so far, session after session, one line per event. A worker
        uploads its log every few seconds and when a session ends: wait for a line rather than read once."""
        sessions = self.deadline.list_sessions(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id)["sessions"]
        ordered = sorted(sessions, key=lambda session: session["startedAt"])
        return "\n".join(line for session in ordered for line in self.session_log(session["sessionId"]))
