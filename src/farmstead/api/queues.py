"""Queues: CreateQueue, GetQueue, UpdateQueue, DeleteQueue, ListQueues.

Owns: the queue's settings and their defaults (domain/queue_settings.py), the storage profiles a
queue may allow, keeping jobRunAsUser compatible with the customer-managed fleets already associated,
what deleting a queue takes with it, and who sees which queues in ListQueues. The queue status is
derived by the store (store/queues.py says the rule). Must not: write SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.authorization import highest_level
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm, require_queue
from farmstead.api.tags import tag_new_resource
from farmstead.domain.fleet_run_as import run_as_problem
from farmstead.domain.queue_settings import (
    DEFAULT_BUDGET_ACTION,
    DEFAULT_SCHEDULING_CONFIGURATION,
    distinct,
    edit_list,
    job_run_as_user_problems,
)
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import access_denied, conflict, not_found, validation_error
from farmstead.store import fleets, jobs, limits, memberships, queue_environments, queues, storage_profiles, tags
from farmstead.store import queue_fleet_associations as qfas
from farmstead.store.paging import position_of

# Settings kept in the queue's JSON `attributes` column, returned as stored.
_ATTRIBUTE_MEMBERS = ("jobAttachmentSettings", "jobRunAsUser", "requiredFileSystemLocationNames",
                      "allowedStorageProfileIds", "schedulingConfiguration")


def _refuse(problems: list[tuple[str, str]]):
    return validation_error("; ".join(f"{name}: {message}" for name, message in problems),
                            [{"name": name, "message": message} for name, message in problems])


def _summary(row: Row) -> shapes.QueueSummary:
    return {
        "farmId": row.farm_id,
        "queueId": row.queue_id,
        "displayName": row.display_name,
        "status": row.status,
        "defaultBudgetAction": row.default_budget_action,
        "blockedReason": row.blocked_reason,
        **audit_fields(row),
    }


def queue_output(row: Row) -> shapes.GetQueueResponse:
    attributes: dict[str, Any] = row.attributes or {}
    output: shapes.GetQueueResponse = {
        **_summary(row),
        "description": row.description,
        "roleArn": row.role_arn,
        "requiredFileSystemLocationNames": attributes.get("requiredFileSystemLocationNames", []),
        "allowedStorageProfileIds": attributes.get("allowedStorageProfileIds", []),
        "schedulingConfiguration": attributes.get("schedulingConfiguration", DEFAULT_SCHEDULING_CONFIGURATION),
    }
    if attributes.get("jobAttachmentSettings") is not None:
        output["jobAttachmentSettings"] = attributes["jobAttachmentSettings"]
    if attributes.get("jobRunAsUser") is not None:
        output["jobRunAsUser"] = attributes["jobRunAsUser"]
    return output


def _require_storage_profiles(ctx: Context, farm_id: str, ids: list[str]) -> None:
    """Every allowed storage profile must be one of the farm's (ResourceNotFoundException names the first missing)."""
    found = storage_profiles.existing_ids(ctx.conn, farm_id, ids)
    for storage_profile_id in ids:
        if storage_profile_id not in found:
            raise not_found("storage-profile", storage_profile_id)


def _check_run_as_for_associated_fleets(ctx: Context, farm_id: str, queue_id: str, job_run_as_user) -> None:
    """A customer-managed fleet already associated with the queue must still be able to run its jobs."""
    for fleet_id in qfas.fleet_ids_of_queue(ctx.conn, queue_id):
        fleet = fleets.get(ctx.conn, farm_id, fleet_id)
        customer_managed = (fleet.configuration or {}).get("customerManaged") if fleet else None
        if not customer_managed:
            continue
        problem = run_as_problem(job_run_as_user, customer_managed["workerCapabilities"]["osFamily"])
        if problem:
            raise _refuse([("jobRunAsUser", f"{problem} (fleet {fleet_id} is associated with the queue)")])


@operation("CreateQueue", write=True, access="ADMIN")
def create_queue(ctx: Context, params: shapes.CreateQueueRequest) -> shapes.CreateQueueResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    problems = job_run_as_user_problems(params.get("jobRunAsUser"))
    if problems:
        raise _refuse(problems)
    given: Mapping[str, Any] = params  # read by member name: the attributes are stored as given
    attributes = {member: given[member] for member in _ATTRIBUTE_MEMBERS if member in given}
    for member in ("requiredFileSystemLocationNames", "allowedStorageProfileIds"):
        attributes[member] = distinct(given.get(member) or [])
    attributes.setdefault("schedulingConfiguration", DEFAULT_SCHEDULING_CONFIGURATION)
    _require_storage_profiles(ctx, farm_id, attributes["allowedStorageProfileIds"])
    queue_id = new_id("queue")
    queues.insert(ctx.conn, queue_id=queue_id, farm_id=farm_id, display_name=params["displayName"],
                  description=params.get("description"),
                  default_budget_action=params.get("defaultBudgetAction", DEFAULT_BUDGET_ACTION),
                  role_arn=params.get("roleArn"), attributes=attributes, created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.queue(farm_id, queue_id), params.get("tags"))
    return {"queueId": queue_id}


@operation("GetQueue")
def get_queue(ctx: Context, params: shapes.GetQueueRequest) -> shapes.GetQueueResponse:
    require_farm(ctx, params["farmId"])
    row = queues.get_with_status(ctx.conn, params["farmId"], params["queueId"], ctx.now)
    if row is None:
        raise not_found("queue", params["queueId"])
    return queue_output(row)


@operation("UpdateQueue", write=True, access="ADMIN")
def update_queue(ctx: Context, params: shapes.UpdateQueueRequest) -> shapes.UpdateQueueResponse:
    farm_id, queue_id = params["farmId"], params["queueId"]
    row = require_queue(ctx, farm_id, queue_id)
    attributes = dict(row.attributes or {})
    problems = job_run_as_user_problems(params.get("jobRunAsUser"))
    names, name_problems = edit_list(
        attributes.get("requiredFileSystemLocationNames", []), params.get("requiredFileSystemLocationNamesToAdd"),
        params.get("requiredFileSystemLocationNamesToRemove"), "requiredFileSystemLocationNamesToAdd",
        "requiredFileSystemLocationNamesToRemove")
    profile_ids, profile_problems = edit_list(
        attributes.get("allowedStorageProfileIds", []), params.get("allowedStorageProfileIdsToAdd"),
        params.get("allowedStorageProfileIdsToRemove"), "allowedStorageProfileIdsToAdd",
        "allowedStorageProfileIdsToRemove")
    problems += name_problems + profile_problems
    if problems:
        raise _refuse(problems)
    _require_storage_profiles(ctx, farm_id, distinct(params.get("allowedStorageProfileIdsToAdd") or []))
    if "jobRunAsUser" in params:
        _check_run_as_for_associated_fleets(ctx, farm_id, queue_id, params["jobRunAsUser"])
    attributes["requiredFileSystemLocationNames"] = names
    attributes["allowedStorageProfileIds"] = profile_ids
    # Whole replacements: "When updating the scheduling configuration, the entire configuration is replaced."
    for member in ("jobAttachmentSettings", "jobRunAsUser", "schedulingConfiguration"):
        if member in params:
            attributes[member] = params[member]
    changes = changed_columns(params, (("displayName", "display_name"), ("description", "description"),
                                       ("defaultBudgetAction", "default_budget_action"), ("roleArn", "role_arn")))
    queues.update(ctx.conn, queue_id, **changes, attributes=attributes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteQueue", write=True, access="ADMIN")
def delete_queue(ctx: Context, params: shapes.DeleteQueueRequest) -> shapes.DeleteQueueResponse:
    farm_id, queue_id = params["farmId"], params["queueId"]
    require_queue(ctx, farm_id, queue_id)
    # Associations tie the queue to fleets and limits that outlive it: like DeleteFarm with queues
    # inside, the caller removes them first (stopping a queue-fleet association lets running work end).
    held = []
    if qfas.fleet_ids_of_queue(ctx.conn, queue_id):
        held.append("queue-fleet associations")
    if limits.page_associations(ctx.conn, farm_id, None, 1, queue_id=queue_id):
        held.append("queue-limit associations")
    if held:
        raise conflict("RESOURCE_IN_USE", "queue", queue_id,
                       f"The queue still has {' and '.join(held)}; delete them first.")
    # "Deleting the queue also deletes the jobs in that queue" (their steps and tasks cascade).
    jobs.delete_for_queue(ctx.conn, queue_id)
    tags.delete_all_under(ctx.conn, ctx.arns.queue(farm_id, queue_id) + "/job/")
    queue_environments.delete_all_for_queue(ctx.conn, queue_id)
    tags.delete_all(ctx.conn, ctx.arns.queue(farm_id, queue_id))
    queues.delete(ctx.conn, queue_id)
    return {}


def _visible_queue_ids(ctx: Context, farm_id: str) -> set[str] | None:
    """None when the caller sees every queue of the farm, else the queues it holds a membership on."""
    if ctx.caller.is_admin or highest_level(ctx.conn, ctx.caller, [farm_id], farm_id) is not None:
        return None
    own = queues.ids_with_membership(ctx.conn, farm_id, ctx.caller.principal_id)
    if not own:
        raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: deadline:ListQueues "
                            f"on this resource.")
    return own


@operation("ListQueues", access="AUTHENTICATED")
def list_queues(ctx: Context, params: shapes.ListQueuesRequest) -> shapes.ListQueuesResponse:
    farm_id = params["farmId"]
    only = _visible_queue_ids(ctx, farm_id)
    require_farm(ctx, farm_id)
    principal_id = params.get("principalId")
    # principalId: only the queues that principal is a member of, a farm membership covering them all.
    if principal_id and not memberships.levels_on(ctx.conn, principal_id, [farm_id], farm_id):
        theirs = queues.ids_with_membership(ctx.conn, farm_id, principal_id)
        only = theirs if only is None else only & theirs
    after, limit = ctx.page_request()
    rows = queues.page(ctx.conn, farm_id, after, limit, ctx.now, status=params.get("status"), only=only)
    items, more = ctx.paged(rows, limit, _summary, lambda r: position_of(r.created_at, r.queue_id))
    return {"queues": items, **more}
