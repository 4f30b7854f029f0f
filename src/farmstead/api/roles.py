"""Temporary credentials: AssumeFleetRoleForWorker, AssumeQueueRoleForWorker, AssumeFleetRoleForRead,
AssumeQueueRoleForRead, AssumeQueueRoleForUser.

Farmstead has no IAM: a "role" here is a temporary key pair of the calling principal (`ASIA…`,
secret, session token), valid for CREDENTIAL_LIFETIME and limited to a scope
(domain/credential_scopes.py) that api/authorization.py enforces on every request signed with it.
Each call mints a new key and, in passing, deletes a few expired ones.
Must not: decide what a scope allows (the domain module does) or write SQL (store/identity.py does).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_fleet, require_queue
from farmstead.api.workers import WORKER_ACCESS, require_worker
from farmstead.domain import credential_scopes
from farmstead.protocol.errors import access_denied, conflict
from farmstead.store import identity, queue_fleet_associations

#: The official agent refreshes 15 min before expiry and stops below 10 min (worker-agent.md §2.3):
#: an hour gives it 45 min between refreshes.
CREDENTIAL_LIFETIME = timedelta(hours=1)
#: Expired keys deleted per mint: enough to keep up with minting, small enough to stay cheap (the
#: sweeper deletes the rest).
EXPIRED_KEYS_PER_MINT = 50
#: A worker runs sessions, and so needs its queue's role, only in these states.
_WORKING = ("STARTED", "STOPPING")


def _mint(ctx: Context, scope: dict[str, Any]) -> dict[str, Any]:
    identity.delete_expired_keys(ctx.conn, ctx.now, limit=EXPIRED_KEYS_PER_MINT)
    key = identity.mint_temporary_key(ctx.conn, ctx.caller.principal_id, scope, ctx.now, CREDENTIAL_LIFETIME)
    return {"credentials": {"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key,
                            "sessionToken": key.session_token, "expiration": key.expires_at}}


@operation("AssumeFleetRoleForWorker", write=True, access=WORKER_ACCESS)
def assume_fleet_role_for_worker(ctx: Context, params: dict) -> dict:
    # Any worker status will do: the agent calls this right after CreateWorker (CREATED) and on a
    # restart before it says STARTED again (STOPPED, NOT_RESPONDING).
    worker = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    queue_ids = queue_fleet_associations.queue_ids_of_fleet(ctx.conn, worker.fleet_id)
    return _mint(ctx, credential_scopes.fleet_worker(worker.farm_id, worker.fleet_id, worker.worker_id, queue_ids,
                                                     WORKER_ACCESS))


@operation("AssumeQueueRoleForWorker", write=True, access="AUTHENTICATED")
def assume_queue_role_for_worker(ctx: Context, params: dict) -> dict:
    farm_id, fleet_id, worker_id, queue_id = (params[k] for k in ("farmId", "fleetId", "workerId", "queueId"))
    # Worker access is held on the fleet (or farm): a membership on the queue must not stand in for it,
    # so the queueId is left out of the check.
    authorize(ctx.conn, ctx.caller, ctx.operation, WORKER_ACCESS,
              {"farmId": farm_id, "fleetId": fleet_id, "workerId": worker_id})
    worker = require_worker(ctx, farm_id, fleet_id, worker_id)
    queue = require_queue(ctx, farm_id, queue_id)
    if queue_fleet_associations.get(ctx.conn, farm_id, queue_id, fleet_id) is None:
        raise access_denied(f"Queue {queue_id} is not associated with fleet {fleet_id}: worker {worker_id}"
                            f" can't assume its role.")
    if worker.status not in _WORKING:
        raise conflict("STATUS_CONFLICT", "worker", worker_id,
                       f"Worker {worker_id} is {worker.status}; only a started worker runs a queue's jobs.",
                       {"status": worker.status})
    if not queue.role_arn:
        # The model's answer for a queue without a role: no credentials, and the agent runs the
        # session without any (it asks only when jobDetails carries a queueRoleArn anyway).
        return {}
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return _mint(ctx, credential_scopes.queue_worker(farm_id, fleet_id, worker_id, queue_id, attachments,
                                                     WORKER_ACCESS))


@operation("AssumeFleetRoleForRead", write=True, access="VIEWER")
def assume_fleet_role_for_read(ctx: Context, params: dict) -> dict:
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    return _mint(ctx, credential_scopes.fleet_read(fleet.farm_id, fleet.fleet_id))


@operation("AssumeQueueRoleForRead", write=True, access="VIEWER")
def assume_queue_role_for_read(ctx: Context, params: dict) -> dict:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return _mint(ctx, credential_scopes.queue_read(queue.farm_id, queue.queue_id, attachments))


@operation("AssumeQueueRoleForUser", write=True, access="CONTRIBUTOR")
def assume_queue_role_for_user(ctx: Context, params: dict) -> dict:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return _mint(ctx, credential_scopes.queue_user(queue.farm_id, queue.queue_id, attachments))
