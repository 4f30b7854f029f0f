"""What temporary credentials may do: the scope stored with a key minted by an Assume*Role operation.

Owns: the scope format (the JSON in `access_keys.scope`, described in docs/credentials.md), the
builders for each kind, the table of kinds to allowed `deadline` operations, the matching of a
request's resource ids against a scope, and the log groups a scope grants (for the logs room).
Must not: touch storage, HTTP or memberships. Membership rules apply on top of a scope
(api/authorization.py): a scope only ever narrows what its principal may do.

A scope that is malformed, of an unknown version or of an unknown kind permits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmstead.domain import log_names
from farmstead.domain.memberships import LEVELS

VERSION = 1

FLEET_WORKER = "fleet-worker"  # AssumeFleetRoleForWorker
QUEUE_WORKER = "queue-worker"  # AssumeQueueRoleForWorker
FLEET_READ = "fleet-read"  # AssumeFleetRoleForRead
QUEUE_READ = "queue-read"  # AssumeQueueRoleForRead
QUEUE_USER = "queue-user"  # AssumeQueueRoleForUser

#: CloudWatch Logs actions a scope's `logs.read` / `logs.write` groups allow.
LOG_READ_ACTIONS = frozenset({"DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents"})
LOG_WRITE_ACTIONS = frozenset({"CreateLogStream", "PutLogEvents"})


@dataclass(frozen=True)
class Kind:
    #: Resource ids the scope carries. A request that names one of them must name the scope's value.
    resource_keys: tuple[str, ...]
    #: Ids a request must name: without them an operation would reach beyond the scope (a farm-wide list).
    required_keys: tuple[str, ...]
    operations: frozenset[str]
    #: Operations whose resources come in lists (BatchGet*, Search*): the request as a whole is only
    #: checked for its farm, and the handler authorizes each item (which checks it against the scope).
    per_item: frozenset[str] = frozenset()


# Reading one queue and everything in it. Every operation here names farmId and queueId.
_QUEUE_READ_OPERATIONS = frozenset({
    "GetQueue", "GetJob", "ListJobs", "GetStep", "ListSteps", "GetTask", "ListTasks",
    "ListStepDependencies", "ListStepConsumers", "ListJobParameterDefinitions", "CopyJobTemplate",
    "GetSession", "ListSessions", "GetSessionAction", "ListSessionActions",
    "GetQueueEnvironment", "ListQueueEnvironments", "GetStorageProfileForQueue", "ListStorageProfilesForQueue",
    "GetQueueFleetAssociation", "ListQueueFleetAssociations", "GetQueueLimitAssociation",
    "ListQueueLimitAssociations",
    "BatchGetJob", "BatchGetStep", "BatchGetTask", "BatchGetSession", "BatchGetSessionAction",
    "SearchJobs", "SearchSteps", "SearchTasks",
})
_QUEUE_PER_ITEM = frozenset({"BatchGetJob", "BatchGetStep", "BatchGetTask", "BatchGetSession",
                             "BatchGetSessionAction", "SearchJobs", "SearchSteps", "SearchTasks"})

KINDS: dict[str, Kind] = {
    # The official agent's own calls (docs/compatibility.md), on its own worker only, plus reading its
    # fleet and itself. AssumeFleetRoleForWorker is here because the agent refreshes with these keys.
    FLEET_WORKER: Kind(
        resource_keys=("farmId", "fleetId", "workerId"),
        required_keys=("farmId", "fleetId"),
        operations=frozenset({
            "UpdateWorker", "UpdateWorkerSchedule", "BatchGetJobEntity", "AssumeFleetRoleForWorker",
            "AssumeQueueRoleForWorker", "GetFleet", "GetWorker", "ListSessionsForWorker",
        }),
    ),
    # What a job's processes get: reading their queue. fleetId/workerId record who it was issued to
    # and, being resource keys, keep GetQueueFleetAssociation to that worker's own fleet.
    QUEUE_WORKER: Kind(
        resource_keys=("farmId", "queueId", "fleetId", "workerId"),
        required_keys=("farmId", "queueId"),
        operations=_QUEUE_READ_OPERATIONS,
        per_item=_QUEUE_PER_ITEM,
    ),
    FLEET_READ: Kind(
        resource_keys=("farmId", "fleetId"),
        required_keys=("farmId", "fleetId"),
        operations=frozenset({
            "GetFleet", "ListWorkers", "GetWorker", "ListSessionsForWorker", "GetVolume", "ListVolumes",
            "GetQueueFleetAssociation", "ListQueueFleetAssociations", "BatchGetWorker", "SearchWorkers",
        }),
        per_item=frozenset({"BatchGetWorker", "SearchWorkers"}),
    ),
    QUEUE_READ: Kind(
        resource_keys=("farmId", "queueId"),
        required_keys=("farmId", "queueId"),
        operations=_QUEUE_READ_OPERATIONS,
        per_item=_QUEUE_PER_ITEM,
    ),
    # What a submitter needs: CreateJob on that queue and reading it (the deadline CLI uses these
    # keys for job attachments; jobs themselves are created with the user's own keys).
    QUEUE_USER: Kind(
        resource_keys=("farmId", "queueId"),
        required_keys=("farmId", "queueId"),
        operations=_QUEUE_READ_OPERATIONS | {"CreateJob"},
        per_item=_QUEUE_PER_ITEM,
    ),
}


# --- building scopes ----------------------------------------------------------------------------------

def fleet_worker(farm_id: str, fleet_id: str, worker_id: str, queue_ids: list[str],
                 worker_level: str) -> dict[str, Any]:
    """The agent's fleet keys: its own log group, and the session log groups of the queues the fleet
    serves when they are minted (a refresh, at most 45 min later for the agent, picks up new ones).
    They stand on the worker's `worker_level` membership on the fleet (or farm) throughout, also
    for the queues' log groups, where the worker's principal may hold no membership."""
    groups = [log_names.worker_log_group(farm_id, fleet_id)]
    groups += [log_names.session_log_group(farm_id, queue_id) for queue_id in sorted(set(queue_ids))]
    return {"version": VERSION, "kind": FLEET_WORKER, "farmId": farm_id, "fleetId": fleet_id, "workerId": worker_id,
            "membership": {"resourceIds": [farm_id, fleet_id], "level": worker_level},
            "logs": {"read": groups, "write": groups}}


def queue_worker(farm_id: str, fleet_id: str, worker_id: str, queue_id: str,
                 job_attachments: dict[str, Any] | None, worker_level: str) -> dict[str, Any]:
    """A job's keys. Its principal is the worker's, which may hold no membership on the queue: the
    keys stand on its `worker_level` membership on the fleet (or farm) instead, checked again on
    every request (see `membership_basis`)."""
    scope = _queue_scope(QUEUE_WORKER, farm_id, queue_id, job_attachments, "READ_WRITE",
                         fleetId=fleet_id, workerId=worker_id)
    scope["membership"] = {"resourceIds": [farm_id, fleet_id], "level": worker_level}
    return scope


def fleet_read(farm_id: str, fleet_id: str) -> dict[str, Any]:
    return {"version": VERSION, "kind": FLEET_READ, "farmId": farm_id, "fleetId": fleet_id,
            "logs": {"read": [log_names.worker_log_group(farm_id, fleet_id)], "write": []}}


def queue_read(farm_id: str, queue_id: str, job_attachments: dict[str, Any] | None) -> dict[str, Any]:
    return _queue_scope(QUEUE_READ, farm_id, queue_id, job_attachments, "READ")


def queue_user(farm_id: str, queue_id: str, job_attachments: dict[str, Any] | None) -> dict[str, Any]:
    return _queue_scope(QUEUE_USER, farm_id, queue_id, job_attachments, "READ_WRITE")


def _queue_scope(kind: str, farm_id: str, queue_id: str, job_attachments: dict[str, Any] | None, access: str,
                 **issued_to: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"version": VERSION, "kind": kind, "farmId": farm_id, "queueId": queue_id, **issued_to,
                             "logs": {"read": [log_names.session_log_group(farm_id, queue_id)], "write": []}}
    # Recorded for the S3 room: where this queue's job attachments live and what these keys may do there.
    if job_attachments and job_attachments.get("s3BucketName"):
        scope["jobAttachments"] = {"s3BucketName": job_attachments["s3BucketName"],
                                   "rootPrefix": job_attachments.get("rootPrefix", ""), "access": access}
    return scope


# --- reading scopes -----------------------------------------------------------------------------------

def kind_of(scope: Any) -> Kind | None:
    """The scope's kind, or None when the scope is not one this version understands."""
    if not isinstance(scope, dict) or scope.get("version") != VERSION:
        return None
    name = scope.get("kind")
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None or not all(isinstance(scope.get(key), str) for key in kind.resource_keys):
        return None
    return kind


def permits(scope: Any, operation: str, params: dict[str, Any], *, items_checked_later: bool = False) -> bool:
    """Whether keys with this scope may call `operation` with these input members.

    `items_checked_later`: the caller will authorize each item of a list-shaped request separately
    (an AUTHENTICATED handler); only then is a per-item operation let through on its farm alone.
    """
    kind = kind_of(scope)
    if kind is None or operation not in kind.operations:
        return False
    if items_checked_later and operation in kind.per_item:
        farm_id = params.get("farmId")
        return farm_id is None or farm_id == scope["farmId"]
    for key in kind.resource_keys:
        value = params.get(key)
        if value is None:
            if key in kind.required_keys:
                return False
        elif value != scope[key]:
            return False
    return True


def membership_basis(scope: Any) -> tuple[list[str], str] | None:
    """(resource ids, level) when the scope stands on a membership other than the one each operation
    would need on the resources it names; the principal must still hold `level` on one of them.
    None: the ordinary membership rules apply."""
    if kind_of(scope) is None:
        return None
    basis = scope.get("membership")
    if not isinstance(basis, dict):
        return None
    resource_ids, level = basis.get("resourceIds"), basis.get("level")
    if not (isinstance(resource_ids, list) and resource_ids and all(isinstance(r, str) for r in resource_ids)
            and level in LEVELS):
        # Unreadable: fall back to the ordinary rules, which are stricter for these keys.
        return None
    return resource_ids, level


def permits_logs(scope: Any, action: str, log_group_name: str) -> bool:
    """Whether keys with this scope may do the CloudWatch Logs `action` on this group."""
    if kind_of(scope) is None:
        return False
    logs = scope.get("logs") if isinstance(scope.get("logs"), dict) else {}
    if action in LOG_WRITE_ACTIONS:
        return log_group_name in (logs.get("write") or [])
    if action in LOG_READ_ACTIONS:
        return log_group_name in (logs.get("read") or []) or log_group_name in (logs.get("write") or [])
    return False
