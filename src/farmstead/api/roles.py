"""Temporary credentials: AssumeFleetRoleForRead, AssumeQueueRoleForRead, AssumeQueueRoleForUser, and the
minting and staging the workers' two (api/worker_protocol/roles.py) share with them.

Farmstead has no IAM: a "role" here is a temporary key pair of the calling principal (`ASIA…`,
secret, session token), valid for CREDENTIAL_LIFETIME and limited to a scope
(domain/credential_scopes.py) that api/authorization.py enforces on every request signed with it.
Each call mints a new key and, in passing, deletes a few expired ones. For a queue with job
attachments on a server configured with an S3 store, the queue roles' keys come from that store's
STS instead, and are recorded here with the same scope (docs/attachments.md). The three queue roles
(the worker's with them) are staged (api/registry.py): the STS round trip runs with no transaction
held, and its keys are handed out again, per caller and scope, while they have long enough left
(attachments/credential_cache.py).
Must not: decide what a scope allows (the domain module does) or write SQL (store/identity.py does).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_fleet, require_queue
from farmstead.attachments import credential_cache, storage_credentials
from farmstead.domain import credential_scopes
from farmstead.protocol import shapes
from farmstead.protocol.errors import ServiceError, throttled
from farmstead.store import identity

#: The official agent refreshes 15 min before expiry and stops below 10 min (docs/credentials.md, The keys):
#: an hour gives it 45 min between refreshes.
CREDENTIAL_LIFETIME = timedelta(hours=1)
#: Expired keys deleted per mint: enough to keep up with minting, small enough to stay cheap (the
#: sweeper deletes the rest).
EXPIRED_KEYS_PER_MINT = 50


def mint(ctx: Context, scope: dict[str, Any]) -> shapes.AwsCredentials:
    identity.delete_some_expired_keys(ctx.conn, ctx.now, EXPIRED_KEYS_PER_MINT)
    key = identity.mint_temporary_key(ctx.conn, ctx.caller.principal_id, scope, ctx.now, CREDENTIAL_LIFETIME)
    return {"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key,
            "sessionToken": key.session_token, "expiration": key.expires_at}


def _store_backed(ctx: Context, scope: dict[str, Any] | None) -> bool:
    """Whether this queue scope's keys come from the S3 store's STS (docs/attachments.md)."""
    return bool(scope and scope.get("jobAttachments") and ctx.settings.job_attachments_configured)


def staged(scope_of: Callable[[Context, Mapping[str, Any]], dict[str, Any] | None]):
    """The prepare stage (api/registry.py) of a queue role: in its read transaction, the same checks
    as the handler and the cache lookup; what it returns, the STS round trip, runs with no
    transaction held. A reused key is checked to be still recorded (an admin may have deleted it)."""
    def prepare(ctx: Context, params: Mapping[str, Any]) -> Callable[[], _Obtained] | None:
        if not ctx.settings.job_attachments_configured:
            return None  # Farmstead's own keys: nothing to call, and the handler checks everything
        scope = scope_of(ctx, params)
        if scope is None or not _store_backed(ctx, scope):
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


def keys_for_queue(ctx: Context, scope: dict[str, Any]) -> shapes.AwsCredentials:
    """Keys for a queue scope: the S3 store's when the queue keeps attachments there, else Farmstead's."""
    if not _store_backed(ctx, scope):
        return mint(ctx, scope)
    obtained: _Obtained | None = ctx.prepared
    if obtained is None or obtained.cache_key != credential_cache.cache_key(ctx.settings, ctx.caller.principal_id,
                                                                             scope):
        # The queue's attachment settings changed between the stages: the keys are for the old ones.
        raise throttled("The queue's job attachment settings changed while its keys were obtained; retry.")
    stored = obtained.credentials
    if obtained.fresh:
        identity.delete_some_expired_keys(ctx.conn, ctx.now, EXPIRED_KEYS_PER_MINT)
        identity.add_key(ctx.conn, stored.access_key_id, stored.secret_access_key, ctx.caller.principal_id,
                         ctx.now, session_token=stored.session_token, expires_at=stored.expires_at,
                         scope=obtained.scope)
        entry = credential_cache.CachedKeys(stored, obtained.scope)
        # Cached only once recorded: a rolled-back request must not hand out a key Farmstead doesn't know.
        ctx.after_commit.append(lambda: credential_cache.CACHE.put(obtained.cache_key, entry, ctx.now))
    return {"accessKeyId": stored.access_key_id, "secretAccessKey": stored.secret_access_key,
            "sessionToken": stored.session_token, "expiration": stored.expires_at}


# --- the operations -----------------------------------------------------------------------------------

def _queue_read_scope(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_read(queue.farm_id, queue.queue_id, attachments)


def _queue_user_scope(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    queue = require_queue(ctx, params["farmId"], params["queueId"])
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_user(queue.farm_id, queue.queue_id, attachments)


@operation("AssumeFleetRoleForRead", write=True, access="VIEWER")
def assume_fleet_role_for_read(ctx: Context,
                               params: shapes.AssumeFleetRoleForReadRequest) -> shapes.AssumeFleetRoleForReadResponse:
    fleet = require_fleet(ctx, params["farmId"], params["fleetId"])
    return {"credentials": mint(ctx, credential_scopes.fleet_read(fleet.farm_id, fleet.fleet_id))}


@operation("AssumeQueueRoleForRead", write=True, access="VIEWER", prepare=staged(_queue_read_scope))
def assume_queue_role_for_read(ctx: Context,
                               params: shapes.AssumeQueueRoleForReadRequest) -> shapes.AssumeQueueRoleForReadResponse:
    return {"credentials": keys_for_queue(ctx, _queue_read_scope(ctx, params))}


@operation("AssumeQueueRoleForUser", write=True, access="CONTRIBUTOR", prepare=staged(_queue_user_scope))
def assume_queue_role_for_user(ctx: Context,
                               params: shapes.AssumeQueueRoleForUserRequest) -> shapes.AssumeQueueRoleForUserResponse:
    return {"credentials": keys_for_queue(ctx, _queue_user_scope(ctx, params))}
