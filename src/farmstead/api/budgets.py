"""Budgets: CreateBudget, GetBudget, UpdateBudget, DeleteBudget, ListBudgets.

Owns: the budget's rules (a queue of the farm to track, a schedule window that ends after it
starts, budget actions identified by type and threshold). Usage is the tracked queue's worker time in
sessions inside the window at its fleets' worker-hour rates (Settings.worker_hour_cost, or a fleet's
own from `farmstead fleets cost`), counted by the sweeper (orchestration/budgets.py); these handlers
report it as counted. A change here settles the budget at once: a new limit re-bases the percentage
announced, and raising it, removing an action or making the budget INACTIVE lifts a stop.
Must not: write SQL or count usage. The reported status comes from the store (given status AND
schedule window). docs/fleets.md, "Budgets".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm, require_queue
from farmstead.api.tags import tag_new_resource
from farmstead.domain.statuses import BudgetStatus
from farmstead.ids import new_id
from farmstead.orchestration import budgets as budget_rules
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import budgets, tags
from farmstead.store.paging import position_of

MAX_ACTIONS = 10  # BudgetActionsToAdd / ResponseBudgetActionList: at most 10


def _refuse(field: str, message: str):
    return validation_error(message, [{"name": field, "message": message}])


def _window(schedule: Mapping[str, Any]) -> tuple[Any, Any]:
    fixed = schedule["fixed"]  # the BudgetSchedule union's only member
    if fixed["endTime"] <= fixed["startTime"]:
        raise _refuse("schedule.fixed.endTime", "endTime must be after startTime.")
    return fixed["startTime"], fixed["endTime"]


def _stored_schedule(starts_at, ends_at) -> dict[str, Any]:
    return {"fixed": {"startTime": starts_at.isoformat(), "endTime": ends_at.isoformat()}}


def _action_key(action: Mapping[str, Any]) -> tuple[str, float]:
    # Actions have no id: a type and a threshold name one (that is what actionsToRemove gives).
    return action["type"], float(action["thresholdPercentage"])


def _stored_action(action: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {"type": action["type"], "thresholdPercentage": float(action["thresholdPercentage"])}
    if action.get("description") is not None:
        stored["description"] = action["description"]
    return stored


def _added(current: Sequence[Mapping[str, Any]], to_add: Sequence[Mapping[str, Any]],
           field: str) -> list[Mapping[str, Any]]:
    actions = list(current)
    keys = {_action_key(a) for a in actions}
    for i, action in enumerate(to_add):
        if _action_key(action) in keys:
            raise _refuse(f"{field}[{i}]", f"The budget already has a {action['type']} action at "
                                           f"{action['thresholdPercentage']}%.")
        keys.add(_action_key(action))
        actions.append(_stored_action(action))
    if len(actions) > MAX_ACTIONS:
        raise _refuse(field, f"A budget has at most {MAX_ACTIONS} actions.")
    return actions


def _summary_fields(row: Row) -> shapes.BudgetSummary:
    return {
        "budgetId": row.budget_id,
        "usageTrackingResource": row.usage_tracking_resource,
        "status": row.effective_status,
        "displayName": row.display_name,
        "description": row.description,
        "approximateDollarLimit": row.approximate_dollar_limit,
        "usages": {"approximateDollarUsage": row.usage_dollars},
        **audit_fields(row),
    }


def _require_budget(ctx: Context, farm_id: str, budget_id: str):
    require_farm(ctx, farm_id)
    row = budgets.get(ctx.conn, farm_id, budget_id, ctx.now)
    if row is None:
        raise not_found("budget", budget_id)
    return row


@operation("CreateBudget", write=True, access="OWNER")
def create_budget(ctx: Context, params: shapes.CreateBudgetRequest) -> shapes.CreateBudgetResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    queue_id = params["usageTrackingResource"]["queueId"]  # the union's only member
    require_queue(ctx, farm_id, queue_id)
    starts_at, ends_at = _window(params["schedule"])
    budget_id = new_id("budget")
    budgets.insert(ctx.conn, budget_id=budget_id, farm_id=farm_id, display_name=params["displayName"],
                   description=params.get("description"), status=BudgetStatus.ACTIVE,
                   approximate_dollar_limit=params["approximateDollarLimit"],
                   usage_tracking_resource={"queueId": queue_id}, queue_id=queue_id,
                   schedule=_stored_schedule(starts_at, ends_at), starts_at=starts_at, ends_at=ends_at,
                   actions=_added([], params["actions"], "actions"), created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.budget(farm_id, budget_id), params.get("tags"))
    return {"budgetId": budget_id}


@operation("GetBudget", access="OWNER")
def get_budget(ctx: Context, params: shapes.GetBudgetRequest) -> shapes.GetBudgetResponse:
    row = _require_budget(ctx, params["farmId"], params["budgetId"])
    return {
        **_summary_fields(row),
        "actions": row.actions,
        "schedule": {"fixed": {"startTime": row.starts_at, "endTime": row.ends_at}},
        "queueStoppedAt": row.queue_stopped_at,
    }


@operation("UpdateBudget", write=True, access="OWNER")
def update_budget(ctx: Context, params: shapes.UpdateBudgetRequest) -> shapes.UpdateBudgetResponse:
    row = _require_budget(ctx, params["farmId"], params["budgetId"])
    changes = changed_columns(params, (("displayName", "display_name"), ("description", "description"),
                                       ("status", "status"), ("approximateDollarLimit", "approximate_dollar_limit")))
    if "schedule" in params:
        starts_at, ends_at = _window(params["schedule"])
        changes.update(schedule=_stored_schedule(starts_at, ends_at), starts_at=starts_at, ends_at=ends_at)
    if "actionsToAdd" in params or "actionsToRemove" in params:
        changes["actions"] = _added(_removed(row.actions, params.get("actionsToRemove") or []),
                                    params.get("actionsToAdd") or [], "actionsToAdd")
    if changes.get("status") == BudgetStatus.ACTIVE and row.status != BudgetStatus.ACTIVE:
        # An INACTIVE budget is not evaluated: the time it was off is not charged when it is back.
        changes["usage_counted_through"] = ctx.now
    budgets.update(ctx.conn, row.budget_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    after = _require_budget(ctx, params["farmId"], row.budget_id)
    budget_rules.settle(ctx.conn, after, after.usage_dollars, ctx.now,
                        rebase=after.approximate_dollar_limit != row.approximate_dollar_limit)
    return {}


def _removed(current: Sequence[Mapping[str, Any]], to_remove: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    actions = list(current)
    for i, action in enumerate(to_remove):
        match = next((a for a in actions if _action_key(a) == _action_key(action)), None)
        if match is None:
            raise _refuse(f"actionsToRemove[{i}]", f"The budget has no {action['type']} action at "
                                                   f"{action['thresholdPercentage']}%.")
        actions.remove(match)
    return actions


@operation("DeleteBudget", write=True, access="OWNER")
def delete_budget(ctx: Context, params: shapes.DeleteBudgetRequest) -> shapes.DeleteBudgetResponse:
    farm_id = params["farmId"]
    row = _require_budget(ctx, farm_id, params["budgetId"])
    tags.delete_all(ctx.conn, ctx.arns.budget(farm_id, row.budget_id))
    budgets.delete(ctx.conn, row.budget_id)
    budget_rules.removed(ctx.conn, row)
    return {}


@operation("ListBudgets", access="OWNER")
def list_budgets(ctx: Context, params: shapes.ListBudgetsRequest) -> shapes.ListBudgetsResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = budgets.page(ctx.conn, farm_id, after, limit, ctx.now, status=params.get("status"))
    items, more = ctx.paged(rows, limit, _summary_fields, lambda r: position_of(r.created_at, r.budget_id))
    return {"budgets": items, **more}
