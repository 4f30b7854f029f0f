"""Usage: a farm's worker-hours over time, by queue, fleet, job or user, as a chart, a table and a CSV
file, and the farm's budgets against their limits.

Owns: the calls, as the signed-in user: StartSessionsStatisticsAggregation over the farm's queues (10 a
call, the model's limit; one aggregation per 10 queues, merged) for the window, period and grouping in
the URL, then GetSessionsStatisticsAggregation until its pages end; ListBudgets, and for each budget one
more aggregation of the queue it tracks over its schedule, so a budget shows the worker-hours spent
beside its dollar limit and the dollars the API reports spent (those hours at the fleets' rates).
Statistics and budgets need OWNER (docs/sessions.md); anyone else is told so.
Must not: read the store, or compute statistics itself.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.responses import Response

from farmstead.domain.statuses import SessionsStatisticsAggregationStatus
from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page

PERIODS = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")
GROUPS = {"QUEUE_ID": ("queueId", "queue"), "FLEET_ID": ("fleetId", "fleet"), "JOB_ID": ("jobId", "job"),
          "USER_ID": ("userId", "user")}
MAX_DAYS = 400
#: Periods on the chart's axis; beyond it (hours over months) only the periods with sessions are drawn.
MAX_BARS = 800
#: Farmstead computes an aggregation when it is started; a store elsewhere may answer IN_PROGRESS first.
WAIT_SECONDS = 10.0


def usage(page: Page, farm_id: str) -> Response:
    params = page.request.query_params
    today = datetime.now(UTC).date()
    start = _day(params.get("from"), today - timedelta(days=13))
    end = _day(params.get("to"), today)
    if end < start:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS))
    period = params.get("period") or "DAILY"
    period = period if period in PERIODS else "DAILY"
    group = params.get("group") or "QUEUE_ID"
    group = group if group in GROUPS else "QUEUE_ID"
    window = (datetime(start.year, start.month, start.day, tzinfo=UTC),
              datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1))
    queues = page.api.all_pages(page.caller, "ListQueues", "queues", farmId=farm_id)
    names = {q["queueId"]: q["displayName"] for q in queues}
    refused = None
    rows: list[dict[str, Any]] = []
    try:
        if group == "FLEET_ID":
            names.update({f["fleetId"]: f["displayName"] for f in
                          page.api.all_pages(page.caller, "ListFleets", "fleets", farmId=farm_id)})
        for chunk in range(0, len(queues), 10):
            rows += aggregate(page, farm_id, [q["queueId"] for q in queues[chunk:chunk + 10]], window, period, group)
    except ServiceError as err:
        if err.code != "AccessDeniedException":
            raise
        refused = err.message
    key = GROUPS[group][0]
    table = [{"start": r["aggregationStartTime"], "end": r["aggregationEndTime"], "id": r.get(key, "—"),
              "name": r.get("jobName") or names.get(r.get(key, ""), r.get(key, "—")), "sessions": r.get("count", 0),
              "seconds": (r.get("runtimeInSeconds") or {}).get("sum", 0.0),
              "longest": (r.get("runtimeInSeconds") or {}).get("max", 0.0)} for r in rows]
    table.sort(key=lambda r: (r["start"], r["name"]))
    if params.get("format") == "csv":
        return _csv(table, group, farm_id, start, end)
    budgets = [] if refused else _budgets(page, farm_id, names)
    chart = _chart(table, _period_starts(window, period))
    farm_name = page.name_of("GetFarm", farm_id, farmId=farm_id)
    return page.html("usage.html", title=f"{farm_name}: usage", farm_id=farm_id, table=table, budgets=budgets,
                     refused=refused, start=start.isoformat(), end=end.isoformat(), period=period, group=group,
                     periods=PERIODS, groups=GROUPS, chart_json=orjson.dumps(chart).decode(),
                     total_hours=sum(r["seconds"] for r in table) / 3600,
                     csv_link=f"/farms/{farm_id}/usage?" + urlencode({**dict(params), "format": "csv"}),
                     crumbs=[("Farms", "/"), (farm_name, f"/farms/{farm_id}")])


def aggregate(page: Page, farm_id: str, queue_ids: list[str], window: tuple[datetime, datetime],
              period: str | None, group: str) -> list[dict[str, Any]]:
    """The statistics rows of one aggregation over `queue_ids` (every page of them)."""
    started = page.call("StartSessionsStatisticsAggregation", farmId=farm_id, resourceIds={"queueIds": queue_ids},
                        startTime=window[0], endTime=window[1], period=period, groupBy=[group],
                        statistics=["SUM", "MAX"])
    rows: list[dict[str, Any]] = []
    token = None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        answer = page.call("GetSessionsStatisticsAggregation", farmId=farm_id,
                           aggregationId=started["aggregationId"], nextToken=token)
        if answer.get("status") == SessionsStatisticsAggregationStatus.IN_PROGRESS and time.monotonic() < deadline:
            time.sleep(0.2)
            continue
        if answer.get("status") == SessionsStatisticsAggregationStatus.FAILED:
            raise ServiceError("ValidationException", answer.get("statusMessage", "The aggregation failed."))
        rows += answer.get("statistics", [])
        token = answer.get("nextToken")
        if not token:
            return rows


def _budgets(page: Page, farm_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
    budgets = page.api.all_pages(page.caller, "ListBudgets", "budgets", farmId=farm_id)
    shown = []
    for budget in budgets:
        detail = page.call("GetBudget", farmId=farm_id, budgetId=budget["budgetId"])
        queue_id = (budget.get("usageTrackingResource") or {}).get("queueId")
        fixed = (detail.get("schedule") or {}).get("fixed") or {}
        starts, ends = _time(fixed.get("startTime")), _time(fixed.get("endTime"))
        hours = None
        now = datetime.now(UTC)
        if queue_id and starts and ends:
            rows = aggregate(page, farm_id, [queue_id], (starts, min(ends, now)), None, "QUEUE_ID") \
                if starts < now else []
            hours = sum((r.get("runtimeInSeconds") or {}).get("sum", 0.0) for r in rows) / 3600
        limit = budget.get("approximateDollarLimit") or 0.0
        used = (budget.get("usages") or {}).get("approximateDollarUsage", 0.0)
        shown.append({**budget, "queueName": names.get(queue_id or "", queue_id), "hours": hours,
                      "percent": min(100.0, 100 * used / limit) if limit else 0.0, "used": used,
                      "starts": starts, "ends": ends})
    return shown


def _period_starts(window: tuple[datetime, datetime], period: str) -> list[datetime]:
    """Every period's start in the window, as the aggregation cuts them (the first at the window's start,
    the others on the calendar, UTC), so the chart's axis shows the quiet periods too; [] past MAX_BARS."""
    starts, at = [window[0]], window[0]
    while len(starts) <= MAX_BARS:
        if period == "HOURLY":
            at = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        elif period == "DAILY":
            at = at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        elif period == "WEEKLY":
            midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
            at = midnight + timedelta(days=7 - midnight.weekday())
        else:
            at = (at.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if at >= window[1]:
            return starts
        starts.append(at)
    return []


def _chart(table: list[dict[str, Any]], axis: list[datetime]) -> dict[str, Any]:
    """What static/usage.js hands Chart.js: one stacked bar series per group, worker-hours per period."""
    periods = sorted({r["start"] for r in table} | set(axis))
    labels = [p.strftime("%Y-%m-%d %H:%M") if p.hour or p.minute else p.strftime("%Y-%m-%d") for p in periods]
    series: dict[str, list[float]] = {}
    for r in table:
        values = series.setdefault(r["name"], [0.0] * len(periods))
        values[periods.index(r["start"])] = round(r["seconds"] / 3600, 3)
    return {"labels": labels, "series": [{"name": n, "hours": v} for n, v in sorted(series.items())]}


def _csv(table: list[dict[str, Any]], group: str, farm_id: str, start, end) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period_start", "period_end", GROUPS[group][1] + "_id", GROUPS[group][1], "sessions",
                     "worker_hours", "runtime_seconds", "longest_session_seconds"])
    for r in table:
        writer.writerow([r["start"].isoformat(), r["end"].isoformat(), r["id"], r["name"], r["sessions"],
                         f"{r['seconds'] / 3600:.4f}", f"{r['seconds']:.1f}", f"{r['longest']:.1f}"])
    name = f"usage-{farm_id}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


def _time(value: Any) -> datetime | None:
    """A schedule's time as the handler gives it (a datetime, or ISO 8601 text)."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _day(text: str | None, fallback):
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return fallback
