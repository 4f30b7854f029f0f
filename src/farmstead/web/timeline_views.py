"""Timelines: a job's sessions per worker over time, and a fleet's workers over time (their sessions,
whatever job they ran).

Owns: which API calls each timeline takes and what a bar says. A job's: its sessions (ListSessions, all
pages, at most `MAX_SESSIONS`), the hosts of their workers (BatchGetWorker) and which sessions ended a task
FAILED (the 100 most recent failures, as the job page marks them). A fleet's: its workers (ListWorkers) and
each one's sessions (ListSessionsForWorker, one call per worker, at most `MAX_WORKERS` workers) over the
last hours asked for (`?hours=`, 1 to 168). Gaps between bars are a worker doing nothing for this job or
fleet; a red bar is a session with a failed task or that ended in error.
Must not: lay bars out (timelines.py) or read the store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import Response

from farmstead.domain.statuses import TaskRunStatus
from farmstead.web import run_details, timelines
from farmstead.web.page import Page
from farmstead.web.rendering import duration, short_id, when
from farmstead.web.trails import crumbs

MAX_SESSIONS = 2000
MAX_WORKERS = 200
HOURS = (1, 6, 24, 72, 168)


def job_timeline(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    job = page.call("GetJob", **ids)
    sessions = page.api.all_pages(page.caller, "ListSessions", "sessions", limit=MAX_SESSIONS, **ids)
    failed: set[str] = set()
    if (job.get("taskRunStatusCounts") or {}).get(TaskRunStatus.FAILED):
        failed = run_details.failed_sessions(page, ids)[0]
    hosts = run_details.host_names(page, farm_id, {(s.get("fleetId", ""), s.get("workerId", "")) for s in sessions})
    base = f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"
    lanes: dict[str, timelines.Lane] = {}
    for session in sessions:
        worker = session.get("workerId", "")
        lane = lanes.setdefault(worker, timelines.Lane(hosts.get(worker) or short_id(worker), worker,
                                                       f"/farms/{farm_id}/fleets/{session.get('fleetId', '')}"))
        lane.bars.append(_session_bar(session, session["sessionId"] in failed,
                                      f"{base}/sessions/{session['sessionId']}", lane.name))
    chart = timelines.lay_out(sorted(lanes.values(), key=lambda lane: lane.name))
    return page.html("timeline.html", title=f"{job['name']}: timeline", job=job, chart=chart, base=base,
                     sessions=len(sessions), capped=len(sessions) >= MAX_SESSIONS,
                     crumbs=crumbs(page, farm_id, queue_id, job))


def fleet_timeline(page: Page, farm_id: str, fleet_id: str) -> Response:
    fleet = page.call("GetFleet", farmId=farm_id, fleetId=fleet_id)
    hours = _hours(page.request.query_params.get("hours"))
    now = datetime.now(UTC)
    start = now - timedelta(hours=hours)
    workers = page.api.all_pages(page.caller, "ListWorkers", "workers", limit=MAX_WORKERS, farmId=farm_id,
                                 fleetId=fleet_id)
    lanes = []
    for worker in workers:
        name = (worker.get("hostProperties") or {}).get("hostName") or short_id(worker["workerId"])
        lane = timelines.Lane(name, worker["workerId"])
        sessions = page.api.all_pages(page.caller, "ListSessionsForWorker", "sessions", limit=MAX_SESSIONS,
                                      farmId=farm_id, fleetId=fleet_id, workerId=worker["workerId"])
        for session in sessions:
            href = (f"/farms/{farm_id}/queues/{session['queueId']}/jobs/{session['jobId']}"
                    f"/sessions/{session['sessionId']}")
            lane.bars.append(_session_bar(session, False, href, name))
        lanes.append(lane)
    chart = timelines.lay_out(lanes, now=now, start=start, end=now)
    farm_name = page.name_of("GetFarm", farm_id, farmId=farm_id)
    return page.html("fleet_timeline.html", title=f"{fleet['displayName']}: timeline", fleet=fleet, chart=chart,
                     hours=hours, choices=HOURS, farm_id=farm_id, workers=len(workers),
                     capped=len(workers) >= MAX_WORKERS,
                     crumbs=[("Farms", "/"), (farm_name, f"/farms/{farm_id}"),
                             (fleet["displayName"], f"/farms/{farm_id}/fleets/{fleet_id}")])


def _session_bar(session: dict[str, Any], task_failed: bool, href: str, host: str) -> timelines.Bar:
    status = session.get("lifecycleStatus", "")
    ended = session.get("endedAt")
    kind = "failed" if task_failed else ("running" if ended is None else "ok")
    title = (f"{session['sessionId']} on {host}: {status.lower()}{', a task failed' if task_failed else ''}; "
             f"{when(session.get('startedAt'))}, {duration(session.get('startedAt'), ended)}")
    return timelines.Bar(session["startedAt"], ended, kind, title, href)


def _hours(text: str | None) -> int:
    try:
        value = int(text or 6)
    except ValueError:
        return 6
    return value if value in HOURS else 6
