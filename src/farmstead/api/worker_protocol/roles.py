"""AssumeFleetRoleForWorker and AssumeQueueRoleForWorker: the temporary credentials a worker runs with.

Owns: which worker may have which scope (its fleet's, from any status; a queue's, only while it is
STARTED or STOPPING, for a queue associated with its fleet). The keys are minted, or obtained from the
S3 store's STS in a staged call, as for every role (api/roles.py).
Must not: decide what a scope allows (domain/credential_scopes.py does) or write SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farmstead.api import roles
from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_queue
from farmstead.api.workers import WORKER_ACCESS, require_worker
from farmstead.domain import credential_scopes, worker_states
from farmstead.protocol import shapes
from farmstead.protocol.errors import access_denied, conflict
from farmstead.store import queue_fleet_associations


@operation("AssumeFleetRoleForWorker", write=True, access=WORKER_ACCESS)
def assume_fleet_role_for_worker(
        ctx: Context, params: shapes.AssumeFleetRoleForWorkerRequest,
) -> shapes.AssumeFleetRoleForWorkerResponse:
    # Any worker status will do: the agent calls this right after CreateWorker (CREATED) and on a
    # restart before it says STARTED again (STOPPED, NOT_RESPONDING).
    worker = require_worker(ctx, params["farmId"], params["fleetId"], params["workerId"])
    queue_ids = queue_fleet_associations.queue_ids_of_fleet(ctx.conn, worker.fleet_id)
    return {"credentials": roles.mint(ctx, credential_scopes.fleet_worker(worker.farm_id, worker.fleet_id,
                                                                          worker.worker_id, queue_ids, WORKER_ACCESS))}


def _queue_worker_scope(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any] | None:
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
    if not worker_states.is_working(worker.status):  # only a working worker runs sessions
        raise conflict("STATUS_CONFLICT", "worker", worker_id,
                       f"Worker {worker_id} is {worker.status}; only a started worker runs a queue's jobs.",
                       {"status": worker.status})
    if not queue.role_arn:
        return None
    attachments = (queue.attributes or {}).get("jobAttachmentSettings")
    return credential_scopes.queue_worker(farm_id, fleet_id, worker_id, queue_id, attachments, WORKER_ACCESS)


@operation("AssumeQueueRoleForWorker", write=True, access="AUTHENTICATED", prepare=roles.staged(_queue_worker_scope))
def assume_queue_role_for_worker(
        ctx: Context, params: shapes.AssumeQueueRoleForWorkerRequest,
) -> shapes.AssumeQueueRoleForWorkerResponse:
    scope = _queue_worker_scope(ctx, params)
    if scope is None:
        # The model's answer for a queue without a role: no credentials, and the agent runs the
        # session without any (it asks only when jobDetails carries a queueRoleArn anyway).
        return {}
    return {"credentials": roles.keys_for_queue(ctx, scope)}
