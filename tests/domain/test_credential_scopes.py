"""The scope rules of temporary credentials, without a server: which operations on which resources."""

from __future__ import annotations

import pytest

from farmstead.domain import credential_scopes as scopes
from farmstead.protocol.model import operations

FARM, OTHER_FARM = "farm-" + "a" * 32, "farm-" + "b" * 32
FLEET, OTHER_FLEET = "fleet-" + "a" * 32, "fleet-" + "b" * 32
QUEUE, OTHER_QUEUE = "queue-" + "a" * 32, "queue-" + "b" * 32
WORKER, OTHER_WORKER = "worker-" + "a" * 32, "worker-" + "b" * 32
JOB = "job-" + "a" * 32
ATTACHMENTS = {"s3BucketName": "bucket", "rootPrefix": "root"}

FLEET_WORKER = scopes.fleet_worker(FARM, FLEET, WORKER, [QUEUE], "CONTRIBUTOR")
QUEUE_WORKER = scopes.queue_worker(FARM, FLEET, WORKER, QUEUE, ATTACHMENTS, "CONTRIBUTOR")
FLEET_READ = scopes.fleet_read(FARM, FLEET)
QUEUE_READ = scopes.queue_read(FARM, QUEUE, ATTACHMENTS)
QUEUE_USER = scopes.queue_user(FARM, QUEUE, None)
WORKER_IDS = {"farmId": FARM, "fleetId": FLEET, "workerId": WORKER}
QUEUE_IDS = {"farmId": FARM, "queueId": QUEUE}


def test_every_operation_a_scope_names_is_a_deadline_operation():
    for kind in scopes.KINDS.values():
        assert kind.operations <= set(operations())
        assert kind.per_item <= kind.operations


def test_no_scope_allows_creating_farm_level_resources_or_managing_members():
    forbidden = {name for name in operations() if name.startswith(("Create", "Delete", "Associate", "Disassociate",
                                                                   "Tag", "Untag", "Put"))} - {"CreateJob"}
    for kind in scopes.KINDS.values():
        assert not kind.operations & forbidden


def test_fleet_worker_scope_allows_the_agents_calls_on_its_own_worker():
    for operation in ("UpdateWorker", "UpdateWorkerSchedule", "BatchGetJobEntity", "AssumeFleetRoleForWorker",
                      "GetWorker"):
        assert scopes.permits(FLEET_WORKER, operation, WORKER_IDS)
    assert scopes.permits(FLEET_WORKER, "AssumeQueueRoleForWorker", {**WORKER_IDS, "queueId": OTHER_QUEUE})
    assert scopes.permits(FLEET_WORKER, "GetFleet", {"farmId": FARM, "fleetId": FLEET})


def test_fleet_worker_scope_refuses_other_workers_fleets_and_farms():
    assert not scopes.permits(FLEET_WORKER, "UpdateWorker", {**WORKER_IDS, "workerId": OTHER_WORKER})
    assert not scopes.permits(FLEET_WORKER, "GetFleet", {"farmId": FARM, "fleetId": OTHER_FLEET})
    assert not scopes.permits(FLEET_WORKER, "UpdateWorkerSchedule", {**WORKER_IDS, "farmId": OTHER_FARM})
    assert not scopes.permits(FLEET_WORKER, "CreateFarm", {})
    assert not scopes.permits(FLEET_WORKER, "ListWorkers", {"farmId": FARM, "fleetId": FLEET})
    assert not scopes.permits(FLEET_WORKER, "CreateWorker", {"farmId": FARM, "fleetId": FLEET})


def test_a_request_must_name_the_scopes_resource_so_it_cannot_widen_it():
    # ListJobs without a queueId can't be asked, but list operations with optional ids can.
    assert not scopes.permits(QUEUE_READ, "ListQueueFleetAssociations", {"farmId": FARM})
    assert scopes.permits(QUEUE_READ, "ListQueueFleetAssociations", QUEUE_IDS)
    assert not scopes.permits(FLEET_READ, "ListQueueFleetAssociations", {"farmId": FARM})
    assert scopes.permits(FLEET_READ, "ListQueueFleetAssociations", {"farmId": FARM, "fleetId": FLEET})


def test_queue_scopes_read_their_queue_only():
    for scope in (QUEUE_WORKER, QUEUE_READ, QUEUE_USER):
        assert scopes.permits(scope, "GetJob", {**QUEUE_IDS, "jobId": JOB})
        assert scopes.permits(scope, "ListJobs", QUEUE_IDS)
        assert not scopes.permits(scope, "GetJob", {**QUEUE_IDS, "queueId": OTHER_QUEUE, "jobId": JOB})
        assert not scopes.permits(scope, "UpdateJob", {**QUEUE_IDS, "jobId": JOB})
        assert not scopes.permits(scope, "GetFarm", {"farmId": FARM})
        assert not scopes.permits(scope, "AssumeQueueRoleForUser", QUEUE_IDS)


def test_only_the_user_scope_creates_jobs():
    assert scopes.permits(QUEUE_USER, "CreateJob", QUEUE_IDS)
    assert not scopes.permits(QUEUE_USER, "CreateJob", {**QUEUE_IDS, "queueId": OTHER_QUEUE})
    assert not scopes.permits(QUEUE_READ, "CreateJob", QUEUE_IDS)
    assert not scopes.permits(QUEUE_WORKER, "CreateJob", QUEUE_IDS)


def test_queue_worker_scope_keeps_fleet_ids_to_its_own_fleet():
    assert scopes.permits(QUEUE_WORKER, "GetQueueFleetAssociation", {**QUEUE_IDS, "fleetId": FLEET})
    assert not scopes.permits(QUEUE_WORKER, "GetQueueFleetAssociation", {**QUEUE_IDS, "fleetId": OTHER_FLEET})
    assert scopes.permits(QUEUE_READ, "GetQueueFleetAssociation", {**QUEUE_IDS, "fleetId": OTHER_FLEET})


def test_per_item_operations_pass_on_their_farm_and_are_checked_item_by_item():
    request = {"identifiers": [{**QUEUE_IDS, "jobId": JOB}]}
    assert scopes.permits(QUEUE_READ, "BatchGetJob", request, items_checked_later=True)
    # The same operation without the promise must name the queue, as each item's check does.
    assert not scopes.permits(QUEUE_READ, "BatchGetJob", request)
    assert scopes.permits(QUEUE_READ, "BatchGetJob", {**QUEUE_IDS, "jobId": JOB})
    assert not scopes.permits(QUEUE_READ, "BatchGetJob", {**QUEUE_IDS, "queueId": OTHER_QUEUE, "jobId": JOB})
    assert scopes.permits(QUEUE_READ, "SearchJobs", {"farmId": FARM, "queueIds": [QUEUE]}, items_checked_later=True)
    assert not scopes.permits(QUEUE_READ, "SearchJobs", {"farmId": OTHER_FARM, "queueIds": [QUEUE]},
                              items_checked_later=True)
    # A promise does not turn an operation outside the scope, or one with direct ids, into a per-item one.
    assert not scopes.permits(QUEUE_READ, "BatchGetWorker", {"identifiers": []}, items_checked_later=True)
    assert not scopes.permits(FLEET_WORKER, "AssumeQueueRoleForWorker", {**WORKER_IDS, "workerId": OTHER_WORKER,
                                                                         "queueId": QUEUE}, items_checked_later=True)


@pytest.mark.parametrize("broken", [
    None, {}, "fleet-read", {**FLEET_READ, "version": 2}, {**FLEET_READ, "kind": "root"},
    {k: v for k, v in FLEET_READ.items() if k != "fleetId"}, {**QUEUE_WORKER, "workerId": None},
])
def test_a_scope_that_cannot_be_read_permits_nothing(broken):
    assert not scopes.permits(broken, "GetFleet", {"farmId": FARM, "fleetId": FLEET})
    assert not scopes.permits(broken, "GetQueue", QUEUE_IDS)
    assert not scopes.permits_logs(broken, "GetLogEvents", f"/aws/deadline/{FARM}/{FLEET}")
    assert scopes.membership_basis(broken) is None


def test_worker_keys_stand_on_the_worker_access_to_the_fleet():
    assert scopes.membership_basis(QUEUE_WORKER) == ([FARM, FLEET], "CONTRIBUTOR")
    assert scopes.membership_basis(FLEET_WORKER) == ([FARM, FLEET], "CONTRIBUTOR")
    for scope in (FLEET_READ, QUEUE_READ, QUEUE_USER):
        assert scopes.membership_basis(scope) is None
    assert scopes.membership_basis({**QUEUE_WORKER, "membership": {"resourceIds": [FARM], "level": "ROOT"}}) is None


def test_fleet_worker_scope_writes_its_agent_log_and_its_queues_session_logs():
    agent_group, session_group = f"/aws/deadline/{FARM}/{FLEET}", f"/aws/deadline/{FARM}/{QUEUE}"
    for group in (agent_group, session_group):
        assert scopes.permits_logs(FLEET_WORKER, "PutLogEvents", group)
        assert scopes.permits_logs(FLEET_WORKER, "CreateLogStream", group)
        assert scopes.permits_logs(FLEET_WORKER, "GetLogEvents", group)
    assert not scopes.permits_logs(FLEET_WORKER, "PutLogEvents", f"/aws/deadline/{FARM}/{OTHER_QUEUE}")
    assert not scopes.permits_logs(FLEET_WORKER, "DeleteLogGroup", agent_group)
    assert not scopes.permits_logs(FLEET_WORKER, "CreateLogGroup", agent_group)


def test_read_and_queue_scopes_only_read_their_log_group():
    assert scopes.permits_logs(FLEET_READ, "GetLogEvents", f"/aws/deadline/{FARM}/{FLEET}")
    assert not scopes.permits_logs(FLEET_READ, "PutLogEvents", f"/aws/deadline/{FARM}/{FLEET}")
    for scope in (QUEUE_WORKER, QUEUE_READ, QUEUE_USER):
        assert scopes.permits_logs(scope, "FilterLogEvents", f"/aws/deadline/{FARM}/{QUEUE}")
        assert not scopes.permits_logs(scope, "PutLogEvents", f"/aws/deadline/{FARM}/{QUEUE}")
        assert not scopes.permits_logs(scope, "GetLogEvents", f"/aws/deadline/{FARM}/{FLEET}")


def test_queue_scopes_record_where_the_job_attachments_live():
    assert QUEUE_WORKER["jobAttachments"] == {"s3BucketName": "bucket", "rootPrefix": "root", "access": "READ_WRITE"}
    assert QUEUE_READ["jobAttachments"]["access"] == "READ"
    assert "jobAttachments" not in QUEUE_USER  # its queue has no jobAttachmentSettings
    assert "jobAttachments" not in FLEET_WORKER and "jobAttachments" not in FLEET_READ


def test_fleet_worker_scope_lists_each_queue_group_once_in_order():
    scope = scopes.fleet_worker(FARM, FLEET, WORKER, [OTHER_QUEUE, QUEUE, OTHER_QUEUE], "CONTRIBUTOR")
    assert scope["logs"]["write"] == [f"/aws/deadline/{FARM}/{FLEET}", f"/aws/deadline/{FARM}/{QUEUE}",
                                      f"/aws/deadline/{FARM}/{OTHER_QUEUE}"]
