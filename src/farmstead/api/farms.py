"""Farms: CreateFarm, GetFarm, UpdateFarm, DeleteFarm, ListFarms."""

from __future__ import annotations

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm
from farmstead.api.tags import tag_new_resource
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import conflict
from farmstead.store import budgets, farms, limits, memberships, storage_profiles, tags
from farmstead.store.paging import position_of


def farm_output(row: Row) -> shapes.GetFarmResponse:
    return {
        "farmId": row.farm_id,
        "displayName": row.display_name,
        "description": row.description,
        "kmsKeyArn": row.kms_key_arn,
        "costScaleFactor": row.cost_scale_factor,
        **audit_fields(row),
    }


@operation("CreateFarm", write=True, access="ADMIN")
def create_farm(ctx: Context, params: shapes.CreateFarmRequest) -> shapes.CreateFarmResponse:
    farm_id = new_id("farm")
    farms.insert(ctx.conn, farm_id=farm_id, display_name=params["displayName"],
                 description=params.get("description"), kms_key_arn=params.get("kmsKeyArn"),
                 cost_scale_factor=params.get("costScaleFactor", 1.0),
                 created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.farm(farm_id), params.get("tags"))
    return {"farmId": farm_id}


@operation("GetFarm")
def get_farm(ctx: Context, params: shapes.GetFarmRequest) -> shapes.GetFarmResponse:
    return farm_output(require_farm(ctx, params["farmId"]))


@operation("UpdateFarm", write=True, access="OWNER")
def update_farm(ctx: Context, params: shapes.UpdateFarmRequest) -> shapes.UpdateFarmResponse:
    require_farm(ctx, params["farmId"])
    changes = changed_columns(params, (("displayName", "display_name"), ("description", "description"),
                                       ("costScaleFactor", "cost_scale_factor")))
    farms.update(ctx.conn, params["farmId"], **changes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteFarm", write=True, access="ADMIN")
def delete_farm(ctx: Context, params: shapes.DeleteFarmRequest) -> shapes.DeleteFarmResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    if farms.holds_queues_or_fleets(ctx.conn, farm_id):
        raise conflict("RESOURCE_IN_USE", "farm", farm_id,
                       "The farm still holds queues or fleets; delete them first.")
    # What only configures the farm goes with it: storage profiles, limits, budgets, memberships.
    storage_profiles.delete_all_for_farm(ctx.conn, farm_id)
    limits.delete_all_for_farm(ctx.conn, farm_id)
    for budget_id in budgets.delete_all_for_farm(ctx.conn, farm_id):
        tags.delete_all(ctx.conn, ctx.arns.budget(farm_id, budget_id))
    memberships.delete_all_for_farm(ctx.conn, farm_id)
    tags.delete_all(ctx.conn, ctx.arns.farm(farm_id))
    farms.delete(ctx.conn, farm_id)
    return {}


@operation("ListFarms", access="AUTHENTICATED")
def list_farms(ctx: Context, params: shapes.ListFarmsRequest) -> shapes.ListFarmsResponse:
    after, limit = ctx.page_request()
    only = None
    if not ctx.caller.is_admin:
        only = memberships.farm_ids_of(ctx.conn, ctx.caller.principal_ids)
    if params.get("principalId"):
        member_farms = memberships.farm_ids_of(ctx.conn, params["principalId"])
        only = member_farms if only is None else only & member_farms
    rows = farms.page(ctx.conn, after, limit, only)

    def summary(row: Row) -> shapes.FarmSummary:
        return {"farmId": row.farm_id, "displayName": row.display_name, "kmsKeyArn": row.kms_key_arn,
                **audit_fields(row)}

    items, more = ctx.paged(rows, limit, summary, lambda r: position_of(r.created_at, r.farm_id))
    return {"farms": items, **more}
