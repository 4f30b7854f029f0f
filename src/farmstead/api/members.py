"""Members: AssociateMemberTo{Farm,Queue,Fleet}, DisassociateMemberFrom{Farm,Queue,Fleet},
List{Farm,Queue,Fleet}Members and ListMemberships.

Owns: membership handlers and the "who may grant OWNER" check the registry's minimum level cannot
express. Job memberships (AssociateMemberToJob, DisassociateMemberFromJob, ListJobMembers) are
registered in api/job_members.py and reuse the helpers below.
Must not: hold SQL (store/memberships.py) or reinterpret levels (api/authorization.py does that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict, TypeVar

from sqlalchemy.engine import Row

from farmstead.api.authorization import highest_level
from farmstead.api.context import Context, NextToken
from farmstead.api.registry import operation
from farmstead.api.resources import require_farm, require_fleet, require_queue
from farmstead.domain.memberships import may_change_membership
from farmstead.protocol import shapes
from farmstead.protocol.errors import access_denied, not_found
from farmstead.store import groups, identity, memberships
from farmstead.store.paging import position_of

Member = TypeVar("Member")


class _Membership(TypedDict):
    """What every member answer holds beside the ids of its resource."""

    principalId: str
    principalType: str
    identityStoreId: str
    membershipLevel: str


def _membership(row: Row) -> _Membership:
    return {"principalId": row.principal_id, "principalType": row.principal_type,
            "identityStoreId": row.identity_store_id, "membershipLevel": row.membership_level}


def farm_member(row: Row) -> shapes.FarmMember:
    return {"farmId": row.farm_id, **_membership(row)}


def queue_member(row: Row) -> shapes.QueueMember:
    return {"farmId": row.farm_id, "queueId": row.queue_id, **_membership(row)}


def fleet_member(row: Row) -> shapes.FleetMember:
    return {"farmId": row.farm_id, "fleetId": row.fleet_id, **_membership(row)}


def job_member(row: Row) -> shapes.JobMember:
    return {"farmId": row.farm_id, "queueId": row.queue_id, "jobId": row.job_id, **_membership(row)}


def _caller_level(ctx: Context, params: Mapping[str, Any], resource_id: str) -> str | None:
    if ctx.caller.is_admin:
        return "OWNER"  # an administrator may do whatever an owner may
    # A job's queue counts too: a queue MANAGER manages the members of that queue's jobs.
    return highest_level(ctx.conn, ctx.caller, [params["farmId"], params.get("queueId"), resource_id],
                         params["farmId"])


def _require_principal(ctx: Context, principal_id: str, principal_type: str = "USER") -> None:
    # find_principal and groups.find also match names; a principal may be *named* like somebody else's id.
    if principal_type == "GROUP":
        group = groups.find(ctx.conn, principal_id)
        if group is None or group.group_id != principal_id:
            raise not_found("principal", principal_id,
                            f"No group with principalId {principal_id} exists on this server.")
        return
    principal = identity.find_principal(ctx.conn, principal_id)
    if principal is None or principal.principal_id != principal_id:
        raise not_found("principal", principal_id, f"No user with principalId {principal_id} exists on this server.")


def _require_change_allowed(ctx: Context, params: Mapping[str, Any], resource_id: str, *, granted: str | None,
                            current: str | None) -> None:
    if not may_change_membership(_caller_level(ctx, params, resource_id), granted=granted, current=current):
        raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: deadline:{ctx.operation}:"
                            " only an OWNER may grant, change or remove an OWNER membership.")


def _associate(ctx: Context, params: Mapping[str, Any], resource_type: str, resource_id: str) -> None:
    principal_id = params["principalId"]
    # USER: `farmstead users create`; GROUP: `farmstead groups create` (a user acts by their groups' memberships too).
    _require_principal(ctx, principal_id, params["principalType"])
    existing = memberships.get(ctx.conn, resource_id, principal_id)
    _require_change_allowed(ctx, params, resource_id, granted=params["membershipLevel"],
                            current=existing.membership_level if existing else None)
    memberships.put(ctx.conn, resource_id=resource_id, principal_id=principal_id, resource_type=resource_type,
                    farm_id=params["farmId"], queue_id=params.get("queueId"), fleet_id=params.get("fleetId"),
                    job_id=params.get("jobId"), principal_type=params["principalType"],
                    identity_store_id=params["identityStoreId"], membership_level=params["membershipLevel"],
                    created_at=ctx.now)


def _disassociate(ctx: Context, params: Mapping[str, Any], resource_type: str, resource_id: str) -> None:
    principal_id = params["principalId"]
    existing = memberships.get(ctx.conn, resource_id, principal_id)
    if existing is None:
        raise not_found("member", principal_id,
                        f"Principal {principal_id} is no member of {resource_type.lower()} {resource_id}.")
    _require_change_allowed(ctx, params, resource_id, granted=None, current=existing.membership_level)
    memberships.delete(ctx.conn, resource_id, principal_id)


def _list_members(ctx: Context, resource_id: str,
                  to_member: Callable[[Row], Member]) -> tuple[list[Member], NextToken]:
    after, limit = ctx.page_request()
    rows = memberships.page_of_resource(ctx.conn, resource_id, after, limit)
    return ctx.paged(rows, limit, to_member, lambda r: position_of(r.created_at, r.principal_id))


# --- farms ----------------------------------------------------------------------------------------

@operation("AssociateMemberToFarm", write=True, access="MANAGER")
def associate_member_to_farm(ctx: Context,
                             params: shapes.AssociateMemberToFarmRequest) -> shapes.AssociateMemberToFarmResponse:
    require_farm(ctx, params["farmId"])
    _associate(ctx, params, "FARM", params["farmId"])
    return {}


@operation("DisassociateMemberFromFarm", write=True, access="MANAGER")
def disassociate_member_from_farm(
        ctx: Context, params: shapes.DisassociateMemberFromFarmRequest,
) -> shapes.DisassociateMemberFromFarmResponse:
    require_farm(ctx, params["farmId"])
    _disassociate(ctx, params, "FARM", params["farmId"])
    return {}


@operation("ListFarmMembers", access="MANAGER")
def list_farm_members(ctx: Context, params: shapes.ListFarmMembersRequest) -> shapes.ListFarmMembersResponse:
    require_farm(ctx, params["farmId"])
    members, more = _list_members(ctx, params["farmId"], farm_member)
    return {"members": members, **more}


# --- queues ---------------------------------------------------------------------------------------

@operation("AssociateMemberToQueue", write=True, access="MANAGER")
def associate_member_to_queue(ctx: Context,
                              params: shapes.AssociateMemberToQueueRequest) -> shapes.AssociateMemberToQueueResponse:
    require_queue(ctx, params["farmId"], params["queueId"])
    _associate(ctx, params, "QUEUE", params["queueId"])
    return {}


@operation("DisassociateMemberFromQueue", write=True, access="MANAGER")
def disassociate_member_from_queue(
        ctx: Context, params: shapes.DisassociateMemberFromQueueRequest,
) -> shapes.DisassociateMemberFromQueueResponse:
    require_queue(ctx, params["farmId"], params["queueId"])
    _disassociate(ctx, params, "QUEUE", params["queueId"])
    return {}


@operation("ListQueueMembers", access="MANAGER")
def list_queue_members(ctx: Context, params: shapes.ListQueueMembersRequest) -> shapes.ListQueueMembersResponse:
    require_queue(ctx, params["farmId"], params["queueId"])
    members, more = _list_members(ctx, params["queueId"], queue_member)
    return {"members": members, **more}


# --- fleets ---------------------------------------------------------------------------------------

@operation("AssociateMemberToFleet", write=True, access="MANAGER")
def associate_member_to_fleet(ctx: Context,
                              params: shapes.AssociateMemberToFleetRequest) -> shapes.AssociateMemberToFleetResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    _associate(ctx, params, "FLEET", params["fleetId"])
    return {}


@operation("DisassociateMemberFromFleet", write=True, access="MANAGER")
def disassociate_member_from_fleet(
        ctx: Context, params: shapes.DisassociateMemberFromFleetRequest,
) -> shapes.DisassociateMemberFromFleetResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    _disassociate(ctx, params, "FLEET", params["fleetId"])
    return {}


@operation("ListFleetMembers", access="MANAGER")
def list_fleet_members(ctx: Context, params: shapes.ListFleetMembersRequest) -> shapes.ListFleetMembersResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    members, more = _list_members(ctx, params["fleetId"], fleet_member)
    return {"members": members, **more}


# --- one principal's memberships ------------------------------------------------------------------

@operation("ListMemberships", access="AUTHENTICATED")
def list_memberships(ctx: Context, params: shapes.ListMembershipsRequest) -> shapes.ListMembershipsResponse:
    principal_id = params["principalId"]
    # Anyone may list their own memberships and their groups' (what they hold through them); only an
    # administrator someone else's (managers see the members of their own resources through List*Members).
    if not ctx.caller.is_admin and principal_id not in ctx.caller.principal_ids:
        raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: deadline:ListMemberships"
                            f" for principal {principal_id}.")
    group = groups.find(ctx.conn, principal_id)
    _require_principal(ctx, principal_id, "GROUP" if group is not None and group.group_id == principal_id else "USER")
    after, limit = ctx.page_request()
    rows = memberships.page_of_principal(ctx.conn, principal_id, params.get("resourceTypes"), after, limit)

    def summary(row: Row) -> shapes.MembershipSummary:
        if row.resource_type == "FARM":
            return {"farm": farm_member(row)}
        if row.resource_type == "QUEUE":
            return {"queue": queue_member(row)}
        if row.resource_type == "FLEET":
            return {"fleet": fleet_member(row)}
        return {"job": job_member(row)}

    items, more = ctx.paged(rows, limit, summary, lambda r: position_of(r.created_at, r.resource_id))
    return {"memberships": items, **more}
