"""Logs you can search: within a session's log and across every session of a job, the first error of a
session with the lines around it, and the whole log as a file.

Owns: which `logs` calls each takes, as the signed-in user (logs are read by queue membership,
docs/logs.md). A search is FilterLogEvents with the words as one exact phrase (case-sensitive, as
CloudWatch's terms are), over the session's stream or over the job's sessions' streams (100 a call);
at most `MAX_MATCHES` lines are shown. The first error is the first line holding one of `ERROR_WORDS`
(one FilterLogEvents, limit 1), shown with the lines before and after it (two GetLogEvents). A download
streams GetLogEvents pages (10,000 lines a call) as they are read, so a long log is never held whole.
Must not: read the store, or run more than `MAX_CALLS` log calls for one search.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response, StreamingResponse

from farmstead.domain import log_names
from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page
from farmstead.web.trails import crumbs

MAX_MATCHES = 500
MAX_CALLS = 20
CONTEXT_BEFORE, CONTEXT_AFTER = 5, 10
#: Lines read from the first error's millisecond on, to find it among the lines written in that millisecond.
SAME_MILLISECOND = 1000
#: What a first error looks like in render logs: the usual words, any of them (CloudWatch `?` terms).
ERROR_WORDS = ("ERROR", "Error", "error:", "FATAL", "Fatal", "Traceback", "Exception", "Segmentation fault")


def phrase(text: str) -> str | None:
    """The user's words as one exact CloudWatch phrase (quotes inside dropped: a phrase can't hold them)."""
    words = " ".join(text.replace('"', " ").split())[:200]
    return f'"{words}"' if words else None


def session_search(page: Page, farm_id: str, queue_id: str, session_id: str, text: str) -> dict[str, Any]:
    """Lines of one session's log holding `text`, oldest first."""
    pattern = phrase(text)
    if pattern is None:
        return {"query": "", "lines": [], "more": False}
    matches, more = _filter(page, log_names.session_log_group(farm_id, queue_id), [session_id], pattern, MAX_MATCHES)
    return {"query": text, "lines": [_line(e) for e in matches], "more": more}


def first_error(page: Page, farm_id: str, queue_id: str, session_id: str) -> dict[str, Any] | None:
    """The first line that looks like an error, and the lines around it; None when there is none."""
    group = log_names.session_log_group(farm_id, queue_id)
    pattern = " ".join(f'?"{word}"' for word in ERROR_WORDS)
    found, _ = _filter(page, group, [session_id], pattern, 1)
    if not found:
        return None
    at = found[0]["timestamp"]
    before = page.api.logs(page.caller, "GetLogEvents", logGroupName=group, logStreamName=session_id,
                           endTime=at, startFromHead=False, limit=CONTEXT_BEFORE).get("events", [])
    # From the error's millisecond on: lines of that same millisecond before the error are read here too
    # (a fast process writes hundreds in one), and the error is the first line of them that matches.
    after = page.api.logs(page.caller, "GetLogEvents", logGroupName=group, logStreamName=session_id,
                          startTime=at, startFromHead=True, limit=SAME_MILLISECOND).get("events", [])
    position = next((i for i, e in enumerate(after) if e["message"] == found[0]["message"]), None)
    if position is None:
        return {"line": _line(found[0]), "before": [_line(e) for e in before], "after": []}
    return {"line": _line(found[0]), "before": [_line(e) for e in before + after[:position]][-CONTEXT_BEFORE:],
            "after": [_line(e) for e in after[position + 1:position + 1 + CONTEXT_AFTER]]}


def job_search(page: Page, farm_id: str, queue_id: str, job_id: str) -> Response:
    """Search every session log of a job (`?q=`): matching lines grouped by session."""
    ids: dict[str, Any] = dict(farmId=farm_id, queueId=queue_id, jobId=job_id)
    job = page.call("GetJob", **ids)
    text = page.request.query_params.get("q", "")
    pattern = phrase(text)
    base = f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"
    groups: list[dict[str, Any]] = []
    more = refused = False
    searched = 0
    if pattern is not None:
        sessions = page.api.all_pages(page.caller, "ListSessions", "sessions", limit=100 * MAX_CALLS, **ids)
        searched = len(sessions)
        by_session: dict[str, list[dict[str, Any]]] = {}
        left = MAX_MATCHES
        try:
            for start in range(0, len(sessions), 100):
                names = [s["sessionId"] for s in sessions[start:start + 100]]
                found, cut = _filter(page, log_names.session_log_group(farm_id, queue_id), names, pattern, left)
                for event in found:
                    by_session.setdefault(event["logStreamName"], []).append(_line(event))
                left -= len(found)
                if cut or left <= 0:
                    more = True
                    break
        except ServiceError as err:
            if err.code != "AccessDeniedException":
                raise
            refused = True
        order = {s["sessionId"]: i for i, s in enumerate(sessions)}
        groups = [{"sessionId": sid, "lines": lines} for sid, lines in sorted(by_session.items(),
                                                                              key=lambda kv: order.get(kv[0], 0))]
    return page.html("job_logs.html", title=f"{job['name']}: logs", job=job, base=base, query=text, groups=groups,
                     more=more, refused=refused, searched=searched, max_matches=MAX_MATCHES,
                     crumbs=crumbs(page, farm_id, queue_id, job), find_query="")


def download(page: Page, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Response:
    """The whole session log as a text file, each line with its time (UTC)."""
    info = page.call("GetSession", farmId=farm_id, queueId=queue_id, jobId=job_id, sessionId=session_id)
    options = (info.get("log") or {}).get("options") or {}
    group = options.get("logGroupName") or log_names.session_log_group(farm_id, queue_id)
    stream = options.get("logStreamName") or session_id
    # The first page is read here, so a refusal is the page's error and not a broken download.
    first = _log_page(page, group, stream, None)

    def lines() -> Iterator[bytes]:
        answer = first
        while True:
            events = answer.get("events", [])
            if events:
                yield "".join(f"{_stamp(e['timestamp'])} {e['message']}\n" for e in events).encode()
            token = answer.get("nextForwardToken")
            if not events or not token:
                return
            answer = _log_page(page, group, stream, token)
    return StreamingResponse(lines(), media_type="text/plain; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{session_id}.log"', "cache-control": "no-store"})


def _log_page(page: Page, group: str, stream: str, token: str | None) -> dict[str, Any]:
    try:
        return page.api.logs(page.caller, "GetLogEvents", logGroupName=group, logStreamName=stream,
                             startFromHead=True, nextToken=token, limit=10_000)
    except ServiceError as err:
        if err.code == "ResourceNotFoundException":  # nothing logged yet
            return {"events": []}
        raise


def _filter(page: Page, group: str, streams: list[str], pattern: str, limit: int) -> tuple[list[dict], bool]:
    """Up to `limit` matching events (oldest first), and whether more matched."""
    found: list[dict] = []
    token = None
    for _ in range(MAX_CALLS):
        answer = page.api.logs(page.caller, "FilterLogEvents", logGroupName=group, logStreamNames=streams,
                               filterPattern=pattern, limit=min(10_000, limit - len(found) + 1), nextToken=token)
        found.extend(answer.get("events", []))
        token = answer.get("nextToken")
        if len(found) > limit or not token:
            break
    return found[:limit], len(found) > limit or token is not None


def _line(event: dict[str, Any]) -> dict[str, Any]:
    return {"at": _stamp(event["timestamp"]), "message": event["message"], "timestamp": event["timestamp"]}


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
