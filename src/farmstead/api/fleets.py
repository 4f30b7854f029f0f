"""Fleets: CreateFleet, GetFleet, UpdateFleet, DeleteFleet, ListFleets.

Owns: the customer-managed fleet configuration rules (service-managed fleets are refused: this server
runs no EC2), worker-count bounds, the storage profile a fleet names, the capabilities GetFleet
derives, and the auto-scaling recommendation fields. Must not: write SQL (store/fleets.py) or
schedule anything (a fleet here is a declaration that workers join).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm, require_fleet
from farmstead.api.tags import tag_new_resource
from farmstead.domain.capabilities import capability_problems, fleet_capabilities
from farmstead.domain.fleet_run_as import run_as_problem
from farmstead.domain.statuses import FleetStatus
from farmstead.ids import new_id
from farmstead.orchestration import events, fleet_sizes
from farmstead.protocol import shapes
from farmstead.protocol.errors import access_denied, conflict, not_found, validation_error
from farmstead.store import fleets, memberships, queues, storage_profiles, tags
from farmstead.store import queue_fleet_associations as qfas
from farmstead.store.paging import position_of

CUSTOMER_MANAGED_ONLY = ("This server runs customer-managed fleets only: a serviceManagedEc2 configuration "
                         "needs Amazon EC2 capacity that a self-hosted farm does not have. Use customerManaged.")
DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300  # HostConfiguration.scriptTimeoutSeconds: "The default is 300 seconds"


def _refuse(field: str, message: str):
    return validation_error(message, [{"name": field, "message": message}])


def _checked_configuration(ctx: Context, farm_id: str, configuration: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration to store, after the rules the model's shapes cannot state."""
    if "customerManaged" not in configuration:
        raise _refuse("configuration", CUSTOMER_MANAGED_ONLY)
    cmf = configuration["customerManaged"]
    problems = capability_problems(cmf["workerCapabilities"], "configuration.customerManaged.workerCapabilities")
    if problems:
        raise validation_error("; ".join(f"{name}: {message}" for name, message in problems),
                               [{"name": name, "message": message} for name, message in problems])
    storage_profile_id = cmf.get("storageProfileId")
    if storage_profile_id:
        profile = storage_profiles.get(ctx.conn, farm_id, storage_profile_id)
        if profile is None:
            raise not_found("storage-profile", storage_profile_id)
        profile_os, fleet_os = profile.os_family, cmf["workerCapabilities"]["osFamily"]
        if profile_os != fleet_os:
            # Its paths are written for another OS; the fleet's workers could not use them.
            raise _refuse("configuration.customerManaged.storageProfileId",
                          f"Storage profile {storage_profile_id} is for {profile_os}, the fleet's workers run "
                          f"{fleet_os}.")
    return {"customerManaged": cmf}


def _checked_worker_counts(min_count: int, max_count: int) -> None:
    if min_count > max_count:
        raise _refuse("minWorkerCount", f"minWorkerCount ({min_count}) must not exceed maxWorkerCount ({max_count}).")


def _host_configuration(given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # An empty scriptBody is how the API removes a script.
    if not given or given.get("scriptBody", "") == "":
        return None
    return {"scriptBody": given["scriptBody"],
            "scriptTimeoutSeconds": given.get("scriptTimeoutSeconds", DEFAULT_SCRIPT_TIMEOUT_SECONDS)}


def _os_family(configuration: Mapping[str, Any]) -> str:
    return configuration["customerManaged"]["workerCapabilities"]["osFamily"]


def _summary_fields(row: Row, worker_count: int, recommended: tuple[int | None, str | None]) -> shapes.FleetSummary:
    target, scaling = recommended
    summary: shapes.FleetSummary = {
        "fleetId": row.fleet_id,
        "farmId": row.farm_id,
        "displayName": row.display_name,
        "status": row.status,
        "statusMessage": row.status_message,
        "workerCount": worker_count,
        "minWorkerCount": row.min_worker_count,
        "maxWorkerCount": row.max_worker_count,
        "configuration": row.configuration,
        **audit_fields(row),
    }
    if scaling is not None:
        summary["autoScalingStatus"] = scaling
    if target is not None:
        summary["targetWorkerCount"] = target
    return summary


@operation("CreateFleet", write=True, access="ADMIN")
def create_fleet(ctx: Context, params: shapes.CreateFleetRequest) -> shapes.CreateFleetResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    configuration = _checked_configuration(ctx, farm_id, params["configuration"])
    min_count = params.get("minWorkerCount", 0)
    _checked_worker_counts(min_count, params["maxWorkerCount"])
    fleet_id = new_id("fleet")
    # Nothing to provision for a customer-managed fleet: it is ACTIVE as soon as it exists.
    fleets.insert(ctx.conn, fleet_id=fleet_id, farm_id=farm_id, display_name=params["displayName"],
                  description=params.get("description"), status=FleetStatus.ACTIVE, role_arn=params["roleArn"],
                  min_worker_count=min_count, max_worker_count=params["maxWorkerCount"],
                  configuration=configuration, host_configuration=_host_configuration(params.get("hostConfiguration")),
                  created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.fleet(farm_id, fleet_id), params.get("tags"))
    return {"fleetId": fleet_id}


@operation("GetFleet")
def get_fleet(ctx: Context, params: shapes.GetFleetRequest) -> shapes.GetFleetResponse:
    row = require_fleet(ctx, params["farmId"], params["fleetId"])
    counts = fleets.worker_counts(ctx.conn, [row.fleet_id])
    recommended = fleet_sizes.recommendations(ctx.conn, [row], counts, ctx.now, ctx.settings.scaling_rule)
    return {
        **_summary_fields(row, counts[row.fleet_id], recommended[row.fleet_id]),
        "description": row.description,
        "hostConfiguration": row.host_configuration,
        "capabilities": fleet_capabilities(row.configuration["customerManaged"]["workerCapabilities"]),
        "roleArn": row.role_arn,
    }


@operation("UpdateFleet", write=True, access="ADMIN")
def update_fleet(ctx: Context, params: shapes.UpdateFleetRequest) -> shapes.UpdateFleetResponse:
    farm_id, fleet_id = params["farmId"], params["fleetId"]
    row = require_fleet(ctx, farm_id, fleet_id)
    changes = changed_columns(params, (("displayName", "display_name"), ("description", "description"),
                                       ("roleArn", "role_arn"), ("minWorkerCount", "min_worker_count"),
                                       ("maxWorkerCount", "max_worker_count")))
    if "configuration" in params:
        # The new configuration replaces the old one as a whole (model: "Settings that you omit
        # revert to their defaults").
        changes["configuration"] = _checked_configuration(ctx, farm_id, params["configuration"])
        new_os = _os_family(changes["configuration"])
        if new_os != _os_family(row.configuration):
            _check_associated_queues_run_on(ctx, farm_id, fleet_id, new_os)
    if "hostConfiguration" in params:
        changes["host_configuration"] = _host_configuration(params["hostConfiguration"])
    _checked_worker_counts(changes.get("min_worker_count", row.min_worker_count),
                           changes.get("max_worker_count", row.max_worker_count))
    fleets.update(ctx.conn, fleet_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    events.fleet_bounds_changed(ctx.conn, row, ctx.now, ctx.settings.scaling_rule)  # docs/events.md
    return {}


def _check_associated_queues_run_on(ctx: Context, farm_id: str, fleet_id: str, os_family: str) -> None:
    """Changing the fleet's OS must not leave an associated queue whose jobs could not run on it."""
    for queue_id in qfas.queue_ids_of_fleet(ctx.conn, fleet_id):
        queue = queues.get(ctx.conn, farm_id, queue_id)
        problem = queue and run_as_problem((queue.attributes or {}).get("jobRunAsUser"), os_family)
        if problem:
            raise _refuse("configuration.customerManaged.workerCapabilities.osFamily",
                          f"Queue {queue_id} is associated with this fleet. {problem}")


@operation("DeleteFleet", write=True, access="ADMIN")
def delete_fleet(ctx: Context, params: shapes.DeleteFleetRequest) -> shapes.DeleteFleetResponse:
    farm_id, fleet_id = params["farmId"], params["fleetId"]
    require_fleet(ctx, farm_id, fleet_id)
    if qfas.queue_ids_of_fleet(ctx.conn, fleet_id):
        raise conflict("RESOURCE_IN_USE", "fleet", fleet_id,
                       "The fleet is still associated with queues; stop and delete its queue-fleet "
                       "associations first.")
    if fleets.worker_counts(ctx.conn, [fleet_id])[fleet_id]:
        raise conflict("RESOURCE_IN_USE", "fleet", fleet_id,
                       "The fleet still has workers; stop and delete them first.")
    memberships.delete_all_for_resource(ctx.conn, fleet_id)
    tags.delete_all(ctx.conn, ctx.arns.fleet(farm_id, fleet_id))
    fleets.delete(ctx.conn, fleet_id)
    return {}


@operation("ListFleets", access="AUTHENTICATED")
def list_fleets(ctx: Context, params: shapes.ListFleetsRequest) -> shapes.ListFleetsResponse:
    farm_id = params["farmId"]
    # A fleet membership alone lets its holder see that fleet (docs/fleets.md, ListFleets), so this list
    # filters by membership instead of requiring one on the farm.
    only = None if ctx.caller.is_admin else _visible_fleets(ctx, farm_id, ctx.caller.principal_id)
    if only is not None and not only:
        raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: deadline:ListFleets "
                            "on this resource.")
    require_farm(ctx, farm_id)
    if params.get("principalId"):
        theirs = _visible_fleets(ctx, farm_id, params["principalId"])
        if theirs is not None:
            only = theirs if only is None else only & theirs
    after, limit = ctx.page_request()
    rows = fleets.page(ctx.conn, farm_id, after, limit, display_name=params.get("displayName"),
                       status=params.get("status"), only=only)
    counts = fleets.worker_counts(ctx.conn, [r.fleet_id for r in rows])
    recommended = fleet_sizes.recommendations(ctx.conn, rows, counts, ctx.now, ctx.settings.scaling_rule)
    items, more = ctx.paged(rows, limit, lambda r: _summary_fields(r, counts[r.fleet_id], recommended[r.fleet_id]),
                            lambda r: position_of(r.created_at, r.fleet_id))
    return {"fleets": items, **more}


def _visible_fleets(ctx: Context, farm_id: str, principal_id: str) -> set[str] | None:
    """None: every fleet of the farm (any farm membership covers them all); else the fleets the
    principal holds a membership on."""
    if memberships.levels_on(ctx.conn, principal_id, [farm_id]):
        return None
    return fleets.ids_with_membership(ctx.conn, farm_id, principal_id)
