"""Temporary credentials: AssumeFleetRoleForWorker, AssumeQueueRoleForWorker, AssumeFleetRoleForRead,
AssumeQueueRoleForRead, AssumeQueueRoleForUser.

Farmstead has no IAM: a "role" here is a temporary key pair of the calling principal (`ASIA…`,
secret, session token), valid for CREDENTIAL_LIFETIME and limited to a scope
(domain/credential_scopes.py) that api/authorization.py enforces on every request signed with it.
Each call mints a new key and, in passing, deletes a few expired ones. For a queue with job
attachments on a server configured with an S3 store, the queue roles' keys come from that store's
STS instead, and are recorded here with the same scope (docs/attachments.md). Those three operations
are staged (api/registry.py): the STS round trip runs with no transaction held, and its keys are
handed out again, per caller and scope, while they have long enough left (attachments/credential_cache.py).
Must not: decide what a scope allows (the domain module does) or write SQL (store/identity.py does).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_fleet, require_queue
from farmstead.api.workers import WORKER_ACCESS, require_worker
from farmstead.attachments import credential_cache, storage_credentials
from farmstead.domain import credential_scopes
from farmstead.protocol.errors import ServiceError, access_denied, conflict, throttled
from farmstead.store import identity, queue_fleet_associations

#: The official agent refreshes 15 min before expiry and stops below 10 min (docs/credentials.md, The keys):
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


def _store_backed(ctx: Context, scope: dict[str, Any] | None) -> bool:
    """Whether this queue scope's keys come from the S3 store's STS (docs/attachments.md)."""
    return bool(scope and scope.get("jobAttachments") and ctx.settings.job_attachments_configured)


def _staged(scope_of: Callable[[Context, dict], dict[str, Any] | None]):
    """The prepare stage (api/registry.py) of a queue role: in its read transaction, the same checks
    as the handler and the cache lookup; what it returns, the STS round trip, runs with no
    transaction held. A reused key is checked to be still recorded (an admin may have deleted it)."""
    def prepare(ctx: Context, params: dict) -> Callable[[], _Obtained] | None:
        if not ctx.settings.job_attachments_configured:
            return None  # Farmstead's own keys: nothing to call, and the handler checks everything
        scope = scope_of(ctx, params)
        if not _store_backed(ctx, scope):
            return None
        key = credential_cache.cache_key(ctx.settings, ctx.caller.principal_id, scope)
        cached = credential_cache.CACHE.get(key, ctx.now)
        if cached is not None:
            record = identity.find_key(ctx.conn, cached.credentials.access_key_id)
            if record is not None and record.principal_id == ctx.caller.principal_id:
                return lambda: _Obtained(key, cached.credentials, cached.scope, fresh=False)
            credential_cache.CACHE.forget(key)
        settings, principal_id, attachments = ctx.settings, ctx.caller.principal_id, scope["jobAttachments"]

        def assume() -> _Obtained:
            try:
                stored = storage_credentials.assume_queue_role(
                    settings, session_name=f"{scope['queueId']}-{principal_id}",
                    bucket=attachments["s3BucketName"], root_prefix=attachments["rootPrefix"],
                    read_only=attachments["access"] == "READ", duration=CREDENTIAL_LIFETIME)
            except storage_credentials.StorageCredentialsError as error:
                # The agent retries this code, not the model's 500 (docs/compatibility.md, Queue role).
                raise ServiceError("InternalServerException", str(error)) from error
            recorded = copy.deepcopy(scope)
            if stored.account_id:
                recorded["jobAttachments"]["accountId"] = stored.account_id
            return _Obtained(key, stored, recorded, fresh=True)
        return assume
    return prepare


@dataclass(frozen=True)
class _Obtained:
    """What a queue role's prepare stage got: cached keys, or fresh ones still to be recorded."""
    cache_key: str
    credentials: storage_credentials.StoreCredentials
    scope: dict[str, Any]
    fresh: bool


def _keys_for_queue(ctx: Context, scope: dict[str, Any]) -> dict[str, Any]:
    """Keys for a queue scope: the S3 store's when the queue keeps attachments there, else Farmstead's."""
    if not _store_backed(ctx, scope):
        return _mint(ctx, scope)
    obtained: _Obtained | None = ctx.prepared
    if obtained is None or obtained.cache_key != credential_cache.cache_key(ctx.settings, ctx.caller.principal_id,
                                                                             scope):
        # The queue's attachment settings changed between the stages: the keys are for the old ones.
        raise throttled("The queue's job attachment settings changed while its keys were obtained; retry.")
    stored = obtained.credentials
    if obtained.fresh:
        identity.delete_expired_keys(ctx.conn, ctx.now, limit=EXPIRED_KEYS_PER_MINT)
        identity.add_key(ctx.conn, stored.access_key_id, stored.secret_access_key, ctx.caller.principal_id,
                         ctx.now, session_token=stored.session_token, expires_at=stored.expires_at,
                         scope=obtained.scope)
        entry = credential_cache.CachedKeys(stored, obtained.scope)
        # Cached only once recorded: a rolled-back request must not hand out a key Farmstead doesn't know.
        ctx.after_commit.append(lambda: credential_cache.CACHE.put(obtained.cache_key, entry, ctx.now))
    return {"credentials": {"accessKeyId": stored.access_key_id, "secretAccessKey": stored.secret_access_key,
                            "sessionToken": stored.session_token, "expiration": stored.expires_at}}


# --- the operations -----------------------------------------------------------------------------------

@operation("AssumeFleetRoleForWorker", write=True, access=WORKER_ACCESS)
def assume_fleet_role_for_worker(ctx: Context, params: dict) -> dict:
    # Any worker status will do: the agent calls this right after CreateWorker (CREATED) and on a
    # restart before it says STARTED again (STOPPED, NOT_RESPONDING).
    worker = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    queue_ids = queue_fleet_associations.queue_ids_of_fleet(ctx.conn, worker.fleet_id)
    return _mint(ctx, credential_scopes.fleet_worker(worker.farm_id, worker.fleet_id, worker.worker_id, queue_ids,
                                                     WORKER_ACCESS))


def _queue_worker_scope(ctx: Context, params: dict) -> dict[str, Any] | None:
    """The job keys' scope, after the worker's checks; None for a queue without a role."""
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
        return None
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_worker(farm_id, fleet_id, worker_id, queue_id, attachments, WORKER_ACCESS)


def _queue_read_scope(ctx: Context, params: dict) -> dict[str, Any]:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_read(queue.farm_id, queue.queue_id, attachments)


def _queue_user_scope(ctx: Context, params: dict) -> dict[str, Any]:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_user(queue.farm_id, queue.queue_id, attachments)


@operation("AssumeQueueRoleForWorker", write=True, access="AUTHENTICATED", prepare=_staged(_queue_worker_scope))
def assume_queue_role_for_worker(ctx: Context, params: dict) -> dict:
    scope = _queue_worker_scope(ctx, params)
    if scope is None:
        # The model's answer for a queue without a role: no credentials, and the agent runs the
        # session without any (it asks only when jobDetails carries a queueRoleArn anyway).
        return {}
    return _keys_for_queue(ctx, scope)


@operation("AssumeFleetRoleForRead", write=True, access="VIEWER")
def assume_fleet_role_for_read(ctx: Context, params: dict) -> dict:
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    return _mint(ctx, credential_scopes.fleet_read(fleet.farm_id, fleet.fleet_id))


@operation("AssumeQueueRoleForRead", write=True, access="VIEWER", prepare=_staged(_queue_read_scope))
def assume_queue_role_for_read(ctx: Context, params: dict) -> dict:
    return _keys_for_queue(ctx, _queue_read_scope(ctx, params))


@operation("AssumeQueueRoleForUser", write=True, access="CONTRIBUTOR", prepare=_staged(_queue_user_scope))
def assume_queue_role_for_user(ctx: Context, params: dict) -> dict:
    return _keys_for_queue(ctx, _queue_user_scope(ctx, params))
