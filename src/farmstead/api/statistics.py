"""Sessions statistics: StartSessionsStatisticsAggregation and GetSessionsStatisticsAggregation.

Owns: checking the request (window, UTC offset, queues or fleets of the farm), running the pure
aggregation (domain/session_statistics.py) over the farm's sessions at once, storing the answer,
and paging it back. Start computes synchronously, so Get never shows IN_PROGRESS; a window with
too many periods is stored FAILED with a statusMessage. Results are kept for one hour, as AWS says.
Access is OWNER on the farm or on every queue/fleet aggregated over (docs/sessions.md, Sessions statistics).
Must not: hold the arithmetic (domain) or SQL (store).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_farm, require_fleet, require_queue
from farmstead.domain import session_statistics as stats
from farmstead.domain.statuses import SessionsStatisticsAggregationStatus
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import identity, session_reads, session_statistics

#: How long GetSessionsStatisticsAggregation can read a result ("available for 1 hour").
RESULT_LIFETIME = timedelta(hours=1)

#: Grouping field -> the Statistics member it fills.
_MEMBERS = {"QUEUE_ID": "queueId", "FLEET_ID": "fleetId", "JOB_ID": "jobId", "JOB_NAME": "jobName",
            "USER_ID": "userId", "USAGE_TYPE": "usageType", "INSTANCE_TYPE": "instanceType",
            "LICENSE_PRODUCT": "licenseProduct"}
_RESOURCE_MEMBER = {"queue": "queueId", "fleet": "fleetId"}


def _authorize(ctx: Context, farm_id: str, resource_type: str | None, resource_ids: list[str]) -> None:
    """OWNER on the farm, or on each queue/fleet named; checked before anything is looked up."""
    scopes = [{"farmId": farm_id, _RESOURCE_MEMBER[resource_type]: rid} for rid in resource_ids] \
        if resource_type else [{"farmId": farm_id}]
    for scope in scopes:
        authorize(ctx.conn, ctx.caller, ctx.operation, "OWNER", scope)


@operation("StartSessionsStatisticsAggregation", write=True, access="AUTHENTICATED")
def start_sessions_statistics_aggregation(
        ctx: Context, params: shapes.StartSessionsStatisticsAggregationRequest,
) -> shapes.StartSessionsStatisticsAggregationResponse:
    farm_id = params["farmId"]
    resource_type, resource_ids = _resources(params["resourceIds"])
    _authorize(ctx, farm_id, resource_type, resource_ids)
    start, end = params["startTime"], params["endTime"]
    if end <= start:
        raise validation_error("endTime must be after startTime.",
                               [{"name": "endTime", "message": "Must be after startTime"}])
    try:
        tz = stats.parse_timezone(params.get("timezone"))
    except ValueError as exc:
        raise validation_error(str(exc), [{"name": "timezone", "message": str(exc)}]) from None
    require_farm(ctx, farm_id)
    for resource_id in resource_ids:
        (require_queue if resource_type == "queue" else require_fleet)(ctx, farm_id, resource_id)
    status, message, items = SessionsStatisticsAggregationStatus.COMPLETED, None, []
    try:
        rows = stats.aggregate(
            _usages(ctx, farm_id, resource_type, resource_ids, start, end), start=start, end=end, now=ctx.now,
            period=params.get("period"), tz=tz, group_by=params["groupBy"], statistics=params["statistics"])
        items = [_item(row) for row in rows]
    except stats.TooLarge as exc:
        status = SessionsStatisticsAggregationStatus.FAILED
        message = f"The aggregation is too large ({exc}); shorten the time frame or use a longer period."
    session_statistics.delete_created_before(ctx.conn, ctx.now - RESULT_LIFETIME)
    aggregation_id = new_id("aggregation").split("-", 1)[1]
    session_statistics.insert(ctx.conn, aggregation_id=aggregation_id, farm_id=farm_id, resource_type=resource_type,
                              resource_ids=resource_ids, status=status, status_message=message, statistics=items,
                              created_at=ctx.now, created_by=ctx.who)
    return {"aggregationId": aggregation_id}


def _resources(union: Mapping[str, Any]) -> tuple[str, list[str]]:
    # The edge has already checked that exactly one member is set.
    if "queueIds" in union:
        return "queue", list(dict.fromkeys(union["queueIds"]))
    return "fleet", list(dict.fromkeys(union["fleetIds"]))


def _usages(ctx: Context, farm_id: str, resource_type: str, resource_ids: list[str], start: datetime,
            end: datetime) -> list[stats.Usage]:
    rows = session_reads.sessions_for_usage(
        ctx.conn, farm_id, start=start, end=end,
        **({"queue_ids": resource_ids} if resource_type == "queue" else {"fleet_ids": resource_ids}))
    users: dict[str, str] = {}
    return [stats.Usage(row.started_at, row.ended_at, {
        "QUEUE_ID": row.queue_id, "FLEET_ID": row.fleet_id, "JOB_ID": row.job_id, "JOB_NAME": row.job_name,
        "USER_ID": _user_id(ctx, row.job_created_by, users), "USAGE_TYPE": "COMPUTE",
        "INSTANCE_TYPE": (row.host_properties or {}).get("ec2InstanceType"), "LICENSE_PRODUCT": None,
    }) for row in rows]


def _user_id(ctx: Context, created_by: str, cache: dict[str, str]) -> str:
    """The submitter's principal id (what member operations call principalId); jobs record the
    caller's ARN, `arn:aws:iam::<account>:user/<name>`. An unknown name falls back to the ARN."""
    if created_by not in cache:
        principal = identity.find_principal(ctx.conn, created_by.rsplit("/", 1)[-1])
        cache[created_by] = principal.principal_id if principal else created_by
    return cache[created_by]


def _item(row: stats.Statistic) -> dict[str, Any]:
    item: dict[str, Any] = {_MEMBERS[field]: value for field, value in row.dimensions if value is not None}
    item.update(count=row.count, costInUsd=row.cost_usd, runtimeInSeconds=row.runtime_seconds,
                aggregationStartTime=row.period_start.isoformat(), aggregationEndTime=row.period_end.isoformat())
    return item


@operation("GetSessionsStatisticsAggregation", access="AUTHENTICATED")
def get_sessions_statistics_aggregation(
        ctx: Context, params: shapes.GetSessionsStatisticsAggregationRequest,
) -> shapes.GetSessionsStatisticsAggregationResponse:
    farm_id, aggregation_id = params["farmId"], params["aggregationId"]
    row = session_statistics.get(ctx.conn, farm_id, aggregation_id, created_since=ctx.now - RESULT_LIFETIME)
    # Access first, so a caller without it learns nothing: OWNER on what the aggregation covered
    # (or on the farm when there is no such aggregation).
    _authorize(ctx, farm_id, row.resource_type if row else None, row.resource_ids if row else [])
    require_farm(ctx, farm_id)
    if row is None:
        raise not_found("aggregation", aggregation_id,
                        f"Aggregation {aggregation_id} does not exist in farm {farm_id}, or its results "
                        "have expired (they are kept for one hour).")
    output: shapes.GetSessionsStatisticsAggregationResponse = {"status": row.status,
                                                               "statusMessage": row.status_message}
    if row.status != SessionsStatisticsAggregationStatus.COMPLETED:
        return output
    after, limit = ctx.page_request()
    first = 0 if after is None else int(after) + 1
    indexed = list(enumerate(row.statistics))[first:first + limit + 1]
    items, more = ctx.paged(indexed, limit, _stored_item, lambda pair: pair[0])
    output["statistics"] = items
    output.update(more)
    return output


def _stored_item(pair: tuple[int, dict]) -> shapes.Statistics:
    item = dict(pair[1])
    for member in ("aggregationStartTime", "aggregationEndTime"):
        item[member] = datetime.fromisoformat(item[member])
    # A stored item is the JSON _item made (the row's statistics column): its members are Statistics'.
    return cast(shapes.Statistics, item)
