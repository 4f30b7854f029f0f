"""The audit log of API calls (docs/audit.md): every mutating call, successful or refused, leaves an entry
with who, from where, what with which parameters, and the outcome; the workers' heartbeats leave none.
Read back with the real `farmstead audit --json` against the live server's store."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import ADMIN_KEY_ID
from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import frames_template, served_queue


def audit(server, *args: str) -> list[dict]:
    return [json.loads(line) for line in server.cli("audit", "--json", *args).splitlines()]


def test_creates_and_updates_are_audited_with_caller_address_parameters_and_outcome(server, deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="audited")["queueId"]
    template = frames_template("1-3")
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=template)["jobId"]
    deadline.update_job(farmId=farm_id, queueId=queue_id, jobId=job_id, priority=70)

    entries = audit(server, "--resource", farm_id)
    assert [e["operation"] for e in entries] == ["CreateFarm", "CreateQueue", "CreateJob", "UpdateJob"]
    for entry in entries:
        assert entry["accessKeyId"] == ADMIN_KEY_ID and entry["principalName"] and entry["principalId"]
        assert (entry["source"], entry["address"], entry["outcome"]) == ("api", "127.0.0.1", "success")
    create_farm, create_queue, create_job, update_job = entries
    assert create_farm["resourceIds"] == [farm_id]  # the id the create answered with
    assert create_queue["params"]["displayName"] == "audited" and queue_id in create_queue["resourceIds"]
    # The template is kept as its size and hash, not its body.
    assert create_job["params"]["template"] == {"sha256": hashlib.sha256(template.encode()).hexdigest(),
                                                "bytes": len(template.encode())}
    assert create_job["resourceIds"] == [farm_id, queue_id, job_id]
    assert update_job["params"]["priority"] == 70 and job_id in update_job["resourceIds"]


def test_refused_calls_are_audited_with_their_error(server, deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    with pytest.raises(ClientError, match="ValidationException"):
        deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                            template='{"specificationVersion": "jobtemplate-2023-09"}')
    outsider_id, key_id, secret = server.new_user("audit-outsider")
    with pytest.raises(ClientError, match="AccessDenied"):
        server.client(key_id=key_id, secret=secret).update_queue(farmId=farm_id, queueId=queue_id,
                                                                 displayName="taken over")

    create_job, = audit(server, "--resource", queue_id, "--operation", "CreateJob")
    assert create_job["outcome"] == "ValidationException" and create_job["accessKeyId"] == ADMIN_KEY_ID
    update_queue, = audit(server, "--resource", queue_id, "--operation", "UpdateQueue")
    assert update_queue["outcome"] == "AccessDeniedException"
    assert (update_queue["principalId"], update_queue["accessKeyId"]) == (outsider_id, key_id)
    assert update_queue["params"]["displayName"] == "taken over"
    assert deadline.get_queue(farmId=farm_id, queueId=queue_id)["displayName"] == "q"  # it stayed refused


def test_a_workers_heartbeats_are_not_audited_but_its_creation_is(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    for _ in range(3):
        worker.poll()  # UpdateWorkerSchedule
    deadline.update_worker(farmId=farm_id, fleetId=farm["fleetId"], workerId=worker.worker_id, status="STOPPED")

    operations = [e["operation"] for e in audit(server, "--resource", worker.worker_id)]
    assert operations == ["CreateWorker"]
