"""Find anything: one search box for jobs, workers and people across every farm the user can see, with
filters (farm, submitter, status, a parameter's value) kept in the URL so a lead can send the link.

Owns: which calls a search makes, as the signed-in user. Farms: ListFarms, matched by name or id. Per
farm (at most `MAX_FARMS`, or the one farm the `farm` filter names): its queues (ListQueues) and
SearchJobs over them, 10 queues a call (the model's limit), by name or id (CONTAINS) and the filters;
its fleets (ListFleets) and SearchWorkers by host name or id; its members (ListFarmMembers, which needs
MANAGER: others find people through the jobs they submitted) by principal id; and a submitter's jobs
when the words are a user name (SearchJobs on CREATED_BY, the ARN `arn:aws:iam::<account>:user/<name>`
the API records). A farm, queue or fleet the user may not read is left out, as the API refuses it. At
most `PER_KIND` hits of each kind per farm. Tags are no search field of the API, so they are not offered
as a filter.
Must not: read the store, or search a farm's resources one call each.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page
from farmstead.web.views import JOB_STATUSES

MAX_FARMS = 50
PER_KIND = 20
TAG_SCAN = 100


def search(page: Page) -> Response:
    params = page.request.query_params
    query = {"q": params.get("q", "").strip()[:200], "status": params.get("status", ""),
             "submitter": params.get("submitter", "").strip()[:100], "param": params.get("param", "").strip()[:100],
             "value": params.get("value", "").strip()[:200], "tag": params.get("tag", "").strip()[:300],
             "farm": params.get("farm", "")}
    if query["status"] not in JOB_STATUSES:
        query["status"] = ""
    asked = any(v for k, v in query.items() if k != "farm")
    results: list[dict[str, Any]] = []
    every_farm = page.api.all_pages(page.caller, "ListFarms", "farms")
    chosen = [f for f in every_farm if f["farmId"] == query["farm"]] or every_farm
    query["farm"] = query["farm"] if len(chosen) == 1 and chosen[0]["farmId"] == query["farm"] else ""
    farms = chosen[:MAX_FARMS] if asked else []
    text = query["q"].lower()
    for farm in farms:
        found = {"farm": farm, "matches": bool(text) and (text in farm["displayName"].lower()
                                                           or text in farm["farmId"]),
                 "jobs": _jobs(page, farm["farmId"], query), "workers": _workers(page, farm["farmId"], query["q"]),
                 "people": _people(page, farm["farmId"], query["q"])}
        if found["matches"] or found["jobs"] or found["workers"] or found["people"]:
            results.append(found)
    return page.html("search.html", title=f"Find: {query['q']}" if query["q"] else "Find", query=query,
                     results=results, asked=asked, statuses=JOB_STATUSES, farms_searched=len(farms),
                     all_farms=every_farm, capped=asked and len(chosen) > MAX_FARMS, max_farms=MAX_FARMS,
                     tag_scan=TAG_SCAN,
                     find_query=query["q"], crumbs=[("Farms", "/")], per_kind=PER_KIND,
                     submitter_link=lambda name: "/search?" + urlencode({"submitter": name}))


def _refused(call, *args, **kwargs) -> Any:
    """The answer, or None when the API says this user may not read it (the farm is searched without it)."""
    try:
        return call(*args, **kwargs)
    except ServiceError as err:
        if err.code != "AccessDeniedException":
            raise
        return None


def _jobs(page: Page, farm_id: str, query: dict[str, str]) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if query["q"]:
        filters.append({"searchTermFilter": {"searchTerm": query["q"], "matchType": "CONTAINS"}})
    if query["status"]:
        filters.append({"stringFilter": {"name": "TASK_RUN_STATUS", "operator": "EQUAL", "value": query["status"]}})
    if query["submitter"]:
        filters.append({"stringFilter": {"name": "CREATED_BY", "operator": "EQUAL",
                                         "value": _user_arn(page, query["submitter"])}})
    if query["param"] and query["value"]:
        filters.append({"parameterFilter": {"name": query["param"], "operator": "EQUAL", "value": query["value"]}})
    queues = _refused(page.api.all_pages, page.caller, "ListQueues", "queues", farmId=farm_id) or []
    names = {q["queueId"]: q["displayName"] for q in queues}
    found: list[dict[str, Any]] = []
    for start in range(0, len(queues), 10):
        answer = _refused(page.call, "SearchJobs", farmId=farm_id, queueIds=[q["queueId"] for q in
                                                                               queues[start:start + 10]],
                          itemOffset=0, pageSize=TAG_SCAN if query["tag"] else PER_KIND,
                          filterExpressions={"filters": filters, "operator": "AND"} if filters else None,
                          sortExpressions=[{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}])
        found += [{**job, "queueName": names.get(job["queueId"], job["queueId"])} for job in
                  (answer or {}).get("jobs", [])]
    if query["q"] and not any(query[k] for k in ("status", "submitter", "param", "tag")) and len(found) < PER_KIND:
        found += _submitted_by(page, farm_id, queues, names, query["q"], PER_KIND - len(found), found)
    found.sort(key=lambda job: job["createdAt"], reverse=True)
    if query["tag"]:
        found = _tagged(page, farm_id, found[:TAG_SCAN], query["tag"])
    return found[:PER_KIND]


def _tagged(page: Page, farm_id: str, jobs: list[dict[str, Any]], wanted: str) -> list[dict[str, Any]]:
    """The jobs carrying tag `key` (any value) or `key=value`, newest first, until PER_KIND are found."""
    key, has_value, value = wanted.partition("=")
    kept = []
    for job in jobs:
        tags = page.call("ListTagsForResource",
                         resourceArn=page.api.job_arn(farm_id, job["queueId"], job["jobId"])).get("tags") or {}
        if key.strip() in tags and (not has_value or tags[key.strip()] == value.strip()):
            kept.append({**job, "tags": tags})
            if len(kept) >= PER_KIND:
                break
    return kept


def _submitted_by(page: Page, farm_id: str, queues: list[dict], names: dict[str, str], user: str, limit: int,
                  already: list[dict]) -> list[dict[str, Any]]:
    """The newest jobs `user` (a user name) submitted: a search for a person finds their work too."""
    seen = {job["jobId"] for job in already}
    found: list[dict[str, Any]] = []
    for start in range(0, len(queues), 10):
        answer = _refused(page.call, "SearchJobs", farmId=farm_id, queueIds=[q["queueId"] for q in
                                                                               queues[start:start + 10]],
                          itemOffset=0, pageSize=limit, filterExpressions={"operator": "AND", "filters": [
                              {"stringFilter": {"name": "CREATED_BY", "operator": "EQUAL",
                                                "value": _user_arn(page, user)}}]})
        found += [{**job, "queueName": names.get(job["queueId"], job["queueId"]), "bySubmitter": True}
                  for job in (answer or {}).get("jobs", []) if job["jobId"] not in seen]
    return found


def _workers(page: Page, farm_id: str, text: str) -> list[dict[str, Any]]:
    if not text:
        return []
    fleets = _refused(page.api.all_pages, page.caller, "ListFleets", "fleets", farmId=farm_id) or []
    names = {f["fleetId"]: f["displayName"] for f in fleets}
    found: list[dict[str, Any]] = []
    for start in range(0, len(fleets), 10):
        answer = _refused(page.call, "SearchWorkers", farmId=farm_id,
                          fleetIds=[f["fleetId"] for f in fleets[start:start + 10]], itemOffset=0, pageSize=PER_KIND,
                          filterExpressions={"operator": "AND", "filters": [
                              {"searchTermFilter": {"searchTerm": text, "matchType": "CONTAINS"}}]})
        found += [{**w, "fleetName": names.get(w["fleetId"], w["fleetId"])} for w in (answer or {}).get("workers", [])]
    return found[:PER_KIND]


def _people(page: Page, farm_id: str, text: str) -> list[dict[str, Any]]:
    if not text:
        return []
    members = _refused(page.api.all_pages, page.caller, "ListFarmMembers", "members", farmId=farm_id) or []
    return [m for m in members if text.lower() in m["principalId"].lower()][:PER_KIND]


def _user_arn(page: Page, name: str) -> str:
    """How the API records a submitter: this server's account (the signed-in user's ARN says it) and the name."""
    parts = page.caller.arn.split(":")
    account = parts[4] if len(parts) > 4 else ""
    return f"arn:aws:iam::{account}:user/{name}"
