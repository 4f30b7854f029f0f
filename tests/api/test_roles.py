"""Assume*Role operations through real boto3 clients: minting temporary keys, signing with them, and
what their scope lets them do (on top of their principal's memberships)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from farmstead.domain import credential_scopes
from farmstead.store import identity
from farmstead.store.engine import Store
from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET
from support.tampering import altered

STORE = "d-0123456789"
QUEUE_ROLE = "arn:aws:iam::000000000000:role/queue"
FLEET_ROLE = "arn:aws:iam::000000000000:role/fleet"
TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "one",
                       "steps": [{"name": "Only", "script": {"actions": {"onRun": {"command": "true"}}}}]})


@pytest.fixture(scope="module")
def users(server):
    made = {}
    # Three users cover every case (each costs two CLI runs): the worker's principal has no membership
    # on the queues, the queue contributor none on the fleet.
    for name in ("worker", "viewer", "contributor"):
        principal_id, key_id, secret = server.new_user(f"roles-{name}")
        made[name] = SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def member(deadline, farm_id, principal_id, level, **resource):
    kind = "queue" if "queueId" in resource else "fleet" if "fleetId" in resource else "farm"
    getattr(deadline, f"associate_member_to_{kind}")(
        farmId=farm_id, principalId=principal_id, principalType="USER", identityStoreId=STORE,
        membershipLevel=level, **resource)


@pytest.fixture
def farm(deadline, farm_id, users):
    """A fleet serving one queue (with a role), a second queue it does not serve, and members:
    the worker principal CONTRIBUTOR on the fleet, a farm VIEWER, a queue CONTRIBUTOR."""
    queue_id = deadline.create_queue(farmId=farm_id, displayName="served", roleArn=QUEUE_ROLE)["queueId"]
    other_queue_id = deadline.create_queue(farmId=farm_id, displayName="other", roleArn=QUEUE_ROLE)["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=FLEET_ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    member(deadline, farm_id, users.worker.id, "CONTRIBUTOR", fleetId=fleet_id)
    member(deadline, farm_id, users.viewer.id, "VIEWER")
    member(deadline, farm_id, users.contributor.id, "CONTRIBUTOR", queueId=queue_id)
    member(deadline, farm_id, users.contributor.id, "CONTRIBUTOR", queueId=other_queue_id)
    return SimpleNamespace(farm_id=farm_id, queue_id=queue_id, other_queue_id=other_queue_id, fleet_id=fleet_id)


def temporary(server, credentials):
    return server.client(key_id=credentials["accessKeyId"], secret=credentials["secretAccessKey"],
                         session_token=credentials["sessionToken"])


def new_worker(client, farm) -> dict:
    worker_id = client.create_worker(farmId=farm.farm_id, fleetId=farm.fleet_id,
                                     hostProperties={"hostName": "h"})["workerId"]
    return {"farmId": farm.farm_id, "fleetId": farm.fleet_id, "workerId": worker_id}


def fleet_keys(server, users, farm):
    """What the agent does at start: CreateWorker and AssumeFleetRoleForWorker with its bootstrap keys,
    then UpdateWorker STARTED with the fleet keys. Returns (worker ids, fleet client)."""
    worker = new_worker(users.worker.client, farm)
    fleet = temporary(server, users.worker.client.assume_fleet_role_for_worker(**worker)["credentials"])
    fleet.update_worker(**worker, status="STARTED", capabilities=CAPABILITIES)
    return worker, fleet


def refused(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def code(call, **kwargs) -> str:
    return refused(call, **kwargs)["Error"]["Code"]


def submit(deadline, farm_id, queue_id) -> str:
    return deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                               template=TEMPLATE)["jobId"]


# --- AssumeFleetRoleForWorker ---------------------------------------------------------------------

def test_fleet_role_for_worker_mints_temporary_keys_valid_for_an_hour(server, users, farm):
    worker = new_worker(users.worker.client, farm)
    before = datetime.now(UTC)
    response = users.worker.client.assume_fleet_role_for_worker(**worker)
    after = datetime.now(UTC)
    assert set(response) - {"ResponseMetadata"} == {"credentials"}
    credentials = response["credentials"]
    assert credentials["accessKeyId"].startswith("ASIA")
    assert credentials["secretAccessKey"] and len(credentials["sessionToken"]) >= 64
    # The agent refreshes 15 min ahead and gives up below 10 min: an hour leaves it 45 min.
    assert before + timedelta(hours=1) - timedelta(seconds=1) <= credentials["expiration"]
    assert credentials["expiration"] <= after + timedelta(hours=1, seconds=1)


def test_fleet_keys_run_the_worker_on_a_created_worker(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    assert fleet.update_worker_schedule(**worker, updatedSessionActions={})["assignedSessions"] == {}
    assert fleet.get_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id)["fleetId"] == farm.fleet_id
    assert fleet.get_worker(**worker)["status"] == "IDLE"


def test_fleet_keys_are_refused_everything_else(server, deadline, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    farms_before = deadline.list_farms()["farms"]
    assert code(fleet.create_farm, displayName="nope") == "AccessDeniedException"
    assert deadline.list_farms()["farms"] == farms_before
    assert code(fleet.list_farms) == "AccessDeniedException"
    assert code(fleet.get_queue, farmId=farm.farm_id, queueId=farm.queue_id) == "AccessDeniedException"
    assert code(fleet.list_workers, farmId=farm.farm_id, fleetId=farm.fleet_id) == "AccessDeniedException"
    assert code(fleet.create_worker, farmId=farm.farm_id, fleetId=farm.fleet_id) == "AccessDeniedException"
    message = refused(fleet.create_farm, displayName="nope")["Error"]["Message"]
    assert "no session policy allows the deadline:CreateFarm action" in message


def test_fleet_keys_are_limited_to_their_own_worker(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    sibling = new_worker(users.worker.client, farm)
    assert code(fleet.update_worker, **sibling, status="STARTED") == "AccessDeniedException"
    assert users.worker.client.get_worker(**sibling)["status"] == "CREATED"
    assert code(fleet.assume_fleet_role_for_worker, **sibling) == "AccessDeniedException"
    assert code(fleet.update_worker_schedule, **sibling, updatedSessionActions={}) == "AccessDeniedException"


def test_refresh_signed_with_the_fleet_keys_mints_new_ones(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    renewed = fleet.assume_fleet_role_for_worker(**worker)["credentials"]
    again = temporary(server, renewed)
    assert again.update_worker_schedule(**worker, updatedSessionActions={})["assignedSessions"] == {}
    # The keys it replaced stay good until they expire: the agent swaps them in place.
    assert fleet.get_worker(**worker)["workerId"] == worker["workerId"]
    assert renewed["accessKeyId"] != again.assume_fleet_role_for_worker(**worker)["credentials"]["accessKeyId"]


def test_fleet_role_for_worker_needs_worker_access_on_the_fleet(users, farm):
    worker = new_worker(users.worker.client, farm)
    for who in (users.viewer, users.contributor):
        assert code(who.client.assume_fleet_role_for_worker, **worker) == "AccessDeniedException"


def test_fleet_role_for_an_unknown_worker_is_not_found(deadline, users, farm):
    missing = {"farmId": farm.farm_id, "fleetId": farm.fleet_id, "workerId": "worker-" + "0" * 32}
    error = refused(users.worker.client.assume_fleet_role_for_worker, **missing)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "worker", missing["workerId"])
    other_fleet = deadline.create_fleet(farmId=farm.farm_id, displayName="g", roleArn=FLEET_ROLE, maxWorkerCount=1,
                                        configuration=LINUX_FLEET)["fleetId"]
    worker = new_worker(users.worker.client, farm)
    error = refused(deadline.assume_fleet_role_for_worker, **{**worker, "fleetId": other_fleet})
    assert (error["Error"]["Code"], error["resourceId"]) == ("ResourceNotFoundException", worker["workerId"])


def test_a_wrong_or_missing_session_token_is_refused(server, users, farm):
    credentials = users.worker.client.assume_fleet_role_for_worker(**new_worker(users.worker.client, farm))[
        "credentials"]
    forged = server.client(key_id=credentials["accessKeyId"], secret=credentials["secretAccessKey"],
                           session_token=altered(credentials["sessionToken"]))
    assert code(forged.get_fleet, farmId=farm.farm_id, fleetId=farm.fleet_id) == "UnrecognizedClientException"
    bare = server.client(key_id=credentials["accessKeyId"], secret=credentials["secretAccessKey"])
    assert code(bare.get_fleet, farmId=farm.farm_id, fleetId=farm.fleet_id) == "UnrecognizedClientException"


# --- AssumeQueueRoleForWorker ---------------------------------------------------------------------

def test_queue_role_for_worker_reads_its_queue_and_nothing_else(server, deadline, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    job_id = submit(deadline, farm.farm_id, farm.queue_id)
    response = fleet.assume_queue_role_for_worker(**worker, queueId=farm.queue_id)
    queue = temporary(server, response["credentials"])
    assert response["credentials"]["accessKeyId"].startswith("ASIA")
    assert queue.get_queue(farmId=farm.farm_id, queueId=farm.queue_id)["queueId"] == farm.queue_id
    assert queue.get_job(farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["jobId"] == job_id
    assert [j["jobId"] for j in queue.list_jobs(farmId=farm.farm_id, queueId=farm.queue_id)["jobs"]] == [job_id]
    assert code(queue.get_queue, farmId=farm.farm_id, queueId=farm.other_queue_id) == "AccessDeniedException"
    assert code(queue.create_job, farmId=farm.farm_id, queueId=farm.queue_id, priority=50, templateType="JSON",
                template=TEMPLATE) == "AccessDeniedException"
    assert code(queue.update_worker_schedule, **worker, updatedSessionActions={}) == "AccessDeniedException"
    assert code(queue.assume_queue_role_for_worker, **worker, queueId=farm.queue_id) == "AccessDeniedException"


def test_queue_role_for_a_queue_not_served_by_the_fleet_is_refused(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    error = refused(fleet.assume_queue_role_for_worker, **worker, queueId=farm.other_queue_id)
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert farm.other_queue_id in error["Error"]["Message"]


def test_queue_role_for_an_unknown_queue_or_worker_is_not_found(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    missing_queue = "queue-" + "0" * 32
    error = refused(fleet.assume_queue_role_for_worker, **worker, queueId=missing_queue)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "queue", missing_queue)
    missing_worker = {**worker, "workerId": "worker-" + "1" * 32}
    error = refused(users.worker.client.assume_queue_role_for_worker, **missing_worker, queueId=farm.queue_id)
    assert (error["Error"]["Code"], error["resourceType"]) == ("ResourceNotFoundException", "worker")


def test_queue_role_for_a_worker_that_is_not_started_conflicts(server, users, farm):
    worker = new_worker(users.worker.client, farm)
    error = refused(users.worker.client.assume_queue_role_for_worker, **worker, queueId=farm.queue_id)
    assert (error["Error"]["Code"], error["reason"], error["resourceType"], error["resourceId"]) == (
        "ConflictException", "STATUS_CONFLICT", "worker", worker["workerId"])
    assert error["context"] == {"status": "CREATED"}


def test_queue_without_a_role_gives_no_credentials(server, deadline, users, farm):
    bare = deadline.create_queue(farmId=farm.farm_id, displayName="no role")["queueId"]
    deadline.create_queue_fleet_association(farmId=farm.farm_id, queueId=bare, fleetId=farm.fleet_id)
    worker, fleet = fleet_keys(server, users, farm)
    response = fleet.assume_queue_role_for_worker(**worker, queueId=bare)
    assert set(response) - {"ResponseMetadata"} == set()


def test_a_queue_membership_does_not_stand_in_for_worker_access(server, deadline, users, farm):
    worker, _ = fleet_keys(server, users, farm)
    member(deadline, farm.farm_id, users.contributor.id, "OWNER", queueId=farm.queue_id)
    assert code(users.contributor.client.assume_queue_role_for_worker, **worker,
                queueId=farm.queue_id) == "AccessDeniedException"


# --- AssumeFleetRoleForRead / AssumeQueueRoleForRead / AssumeQueueRoleForUser ------------------------

def test_fleet_role_for_read_reads_that_fleet_only(server, deadline, users, farm):
    worker = new_worker(users.worker.client, farm)
    read = temporary(server, users.viewer.client.assume_fleet_role_for_read(
        farmId=farm.farm_id, fleetId=farm.fleet_id)["credentials"])
    assert read.get_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id)["fleetId"] == farm.fleet_id
    assert [w["workerId"] for w in read.list_workers(farmId=farm.farm_id, fleetId=farm.fleet_id)["workers"]] == [
        worker["workerId"]]
    assert read.batch_get_worker(identifiers=[worker])["workers"][0]["workerId"] == worker["workerId"]
    assert code(read.get_queue, farmId=farm.farm_id, queueId=farm.queue_id) == "AccessDeniedException"
    assert code(read.get_farm, farmId=farm.farm_id) == "AccessDeniedException"


def test_the_administrators_temporary_keys_are_limited_by_their_scope(server, deadline, farm):
    read = temporary(server, deadline.assume_fleet_role_for_read(farmId=farm.farm_id, fleetId=farm.fleet_id)[
        "credentials"])
    assert read.get_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id)["displayName"] == "f"
    assert code(read.update_fleet, farmId=farm.farm_id, fleetId=farm.fleet_id,
                displayName="renamed") == "AccessDeniedException"
    assert deadline.get_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id)["displayName"] == "f"
    assert code(read.create_farm, displayName="nope") == "AccessDeniedException"


def test_queue_role_for_read_reads_that_queue_only(server, deadline, users, farm):
    job_id = submit(deadline, farm.farm_id, farm.queue_id)
    other_job_id = submit(deadline, farm.farm_id, farm.other_queue_id)
    read = temporary(server, users.viewer.client.assume_queue_role_for_read(
        farmId=farm.farm_id, queueId=farm.queue_id)["credentials"])
    assert read.get_job(farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["jobId"] == job_id
    answer = read.batch_get_job(identifiers=[
        {"farmId": farm.farm_id, "queueId": farm.queue_id, "jobId": job_id},
        {"farmId": farm.farm_id, "queueId": farm.other_queue_id, "jobId": other_job_id}])
    assert [j["jobId"] for j in answer["jobs"]] == [job_id]
    assert [(e["jobId"], e["code"]) for e in answer["errors"]] == [(other_job_id, "AccessDeniedException")]
    found = read.search_jobs(farmId=farm.farm_id, queueIds=[farm.queue_id], itemOffset=0)
    assert [j["jobId"] for j in found["jobs"]] == [job_id]
    assert code(read.search_jobs, farmId=farm.farm_id, queueIds=[farm.queue_id, farm.other_queue_id],
                itemOffset=0) == "AccessDeniedException"
    assert code(read.get_job, farmId=farm.farm_id, queueId=farm.other_queue_id,
                jobId=other_job_id) == "AccessDeniedException"
    assert code(read.update_job, farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id,
                priority=1) == "AccessDeniedException"


def test_read_roles_need_viewer_and_an_existing_resource(users, farm):
    assert code(users.worker.client.assume_queue_role_for_read, farmId=farm.farm_id,
                queueId=farm.queue_id) == "AccessDeniedException"
    assert code(users.contributor.client.assume_fleet_role_for_read, farmId=farm.farm_id,
                fleetId=farm.fleet_id) == "AccessDeniedException"
    missing = "queue-" + "2" * 32
    error = refused(users.viewer.client.assume_queue_role_for_read, farmId=farm.farm_id, queueId=missing)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "queue", missing)
    missing = "fleet-" + "2" * 32
    error = refused(users.viewer.client.assume_fleet_role_for_read, farmId=farm.farm_id, fleetId=missing)
    assert (error["Error"]["Code"], error["resourceType"]) == ("ResourceNotFoundException", "fleet")


def test_queue_role_for_user_submits_to_that_queue_only(server, deadline, users, farm):
    assert code(users.viewer.client.assume_queue_role_for_user, farmId=farm.farm_id,
                queueId=farm.queue_id) == "AccessDeniedException"
    user = temporary(server, users.contributor.client.assume_queue_role_for_user(
        farmId=farm.farm_id, queueId=farm.queue_id)["credentials"])
    job_id = submit(user, farm.farm_id, farm.queue_id)
    assert user.get_job(farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["jobId"] == job_id
    assert code(lambda: submit(user, farm.farm_id, farm.other_queue_id)) == "AccessDeniedException"
    assert deadline.list_jobs(farmId=farm.farm_id, queueId=farm.other_queue_id)["jobs"] == []


def test_temporary_keys_cannot_mint_other_roles(server, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    assert code(fleet.assume_fleet_role_for_read, farmId=farm.farm_id,
                fleetId=farm.fleet_id) == "AccessDeniedException"
    read = temporary(server, users.viewer.client.assume_queue_role_for_read(
        farmId=farm.farm_id, queueId=farm.queue_id)["credentials"])
    assert code(read.assume_queue_role_for_read, farmId=farm.farm_id,
                queueId=farm.queue_id) == "AccessDeniedException"
    user = temporary(server, users.contributor.client.assume_queue_role_for_user(
        farmId=farm.farm_id, queueId=farm.queue_id)["credentials"])
    assert code(user.assume_queue_role_for_user, farmId=farm.farm_id,
                queueId=farm.queue_id) == "AccessDeniedException"


# --- expiry -----------------------------------------------------------------------------------------

@pytest.fixture
def store(server):
    opened = Store.open(server.database_url or f"sqlite:///{server.data_dir / 'farmstead.db'}", migrate=False)
    yield opened
    opened.engine.dispose()


def test_expired_keys_are_refused_then_deleted_by_the_next_mint(server, users, farm, store):
    now = datetime.now(UTC)
    # Expired half an hour ago: inside the sweeper's keep window (store/housekeeping.py), so only the
    # mint below deletes it (an hour ago would race the sweeper).
    with store.write() as conn:
        key = identity.mint_temporary_key(conn, users.viewer.id,
                                          credential_scopes.fleet_read(farm.farm_id, farm.fleet_id),
                                          now - timedelta(minutes=90), timedelta(hours=1))
    expired = server.client(key_id=key.access_key_id, secret=key.secret_access_key, session_token=key.session_token)
    error = refused(expired.get_fleet, farmId=farm.farm_id, fleetId=farm.fleet_id)
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ExpiredTokenException", 403)
    users.viewer.client.assume_fleet_role_for_read(farmId=farm.farm_id, fleetId=farm.fleet_id)
    with store.read() as conn:
        assert identity.find_key(conn, key.access_key_id) is None


def test_minted_keys_are_stored_with_their_scope_and_expiry(server, users, farm, store):
    worker = new_worker(users.worker.client, farm)
    credentials = users.worker.client.assume_fleet_role_for_worker(**worker)["credentials"]
    with store.read() as conn:
        record = identity.find_key(conn, credentials["accessKeyId"])
    assert record.principal_id == users.worker.id and record.expires_at == credentials["expiration"]
    assert record.scope == credential_scopes.fleet_worker(farm.farm_id, farm.fleet_id, worker["workerId"],
                                                          [farm.queue_id], "CONTRIBUTOR")


def test_worker_queue_keys_stop_working_with_the_worker_access_they_stand_on(server, deadline, users, farm):
    worker, fleet = fleet_keys(server, users, farm)
    queue = temporary(server, fleet.assume_queue_role_for_worker(**worker, queueId=farm.queue_id)["credentials"])
    assert queue.get_queue(farmId=farm.farm_id, queueId=farm.queue_id)["queueId"] == farm.queue_id
    deadline.disassociate_member_from_fleet(farmId=farm.farm_id, fleetId=farm.fleet_id, principalId=users.worker.id)
    assert code(queue.get_queue, farmId=farm.farm_id, queueId=farm.queue_id) == "AccessDeniedException"
    assert code(fleet.get_worker, **worker) == "AccessDeniedException"
