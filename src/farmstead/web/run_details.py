"""How work ran, as the monitor's lists show it: each task's latest attempt (its times as the worker
reported them, its exit code and message), the last lines a failed attempt wrote, the worker and host
that ran it, and which sessions ended a task FAILED.

Owns: getting these for a page of tasks, steps or sessions in a few batched calls (BatchGetSessionAction,
BatchGetSession, BatchGetWorker: 100 items a call), never one call per task. The one exception is the
log excerpt of a failed attempt: one GetLogEvents per failed attempt shown, at most `EXCERPTS` a page,
and kept per user once the attempt has ended (its lines no longer change).
Must not: decide what a page shows; the views and templates do.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from farmstead.domain import log_names
from farmstead.domain.statuses import SessionActionStatus, TaskRunStatus
from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page

BATCH = 100
#: Failed attempts per page whose last lines are read (each is one GetLogEvents).
EXCERPTS = 20
#: Lines of a failed attempt shown: the last ones it wrote, without the session's own framing.
EXCERPT_LINES = 3
#: Workers upload logs every few seconds: an attempt's lines are final this long after it ended.
SETTLED = timedelta(seconds=30)
# openjd-sessions' and the workers' own lines around an action's output, which say nothing the exit
# code and message don't: "Process pid 12 exited with code: 3 …", "Session action … FAILED …",
# "-----", "=====", "Phase: …", "Output:".
_FRAMING = re.compile(r"^\s*(Process pid \d+ exited with code|Session action \S+ [A-Z_]+|[-=]{8,}\s*$|"
                      r"Phase: |Output:\s*$|Running command |Command started as pid)")


def session_of(action_id: str | None) -> str | None:
    """The session a session action belongs to: `sessionaction-<hex>-<n>` is in `session-<hex>`."""
    if not action_id or action_id.count("-") < 2:
        return None
    return "session-" + action_id.split("-")[1]


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def actions_by_id(page: Page, ids: dict[str, str], action_ids: list[str]) -> dict[str, dict]:
    """sessionActionId -> GetSessionAction's fields (exit code and message included)."""
    found: dict[str, dict] = {}
    for batch in _batches(list(dict.fromkeys(a for a in action_ids if a))):
        answer = page.call("BatchGetSessionAction", identifiers=[{**ids, "sessionActionId": a} for a in batch])
        for action in answer.get("sessionActions", []):
            found[action["sessionActionId"]] = action
    return found


def latest_attempts(page: Page, ids: dict[str, str], tasks: list[dict]) -> dict[str, dict]:
    """taskId -> the task's latest session action (GetSessionAction's fields), for tasks that ran."""
    actions = actions_by_id(page, ids, [t.get("latestSessionActionId", "") for t in tasks])
    return {t["taskId"]: actions[t["latestSessionActionId"]] for t in tasks
            if t.get("latestSessionActionId") in actions}


def workers_of_sessions(page: Page, ids: dict[str, str], session_ids: set[str]) -> dict[str, dict]:
    """sessionId -> {workerId, fleetId} (BatchGetSession)."""
    found: dict[str, dict] = {}
    for batch in _batches(sorted(s for s in session_ids if s)):
        answer = page.call("BatchGetSession", identifiers=[{**ids, "sessionId": s} for s in batch])
        for item in answer.get("sessions", []):
            found[item["sessionId"]] = {"workerId": item.get("workerId", ""), "fleetId": item.get("fleetId", "")}
    return found


def host_names(page: Page, farm_id: str, workers: set[tuple[str, str]]) -> dict[str, str]:
    """workerId -> host name, for (fleetId, workerId) pairs; a worker the user may not read keeps its id."""
    found: dict[str, str] = {}
    for batch in _batches(sorted(w for w in workers if w[0] and w[1])):
        answer = page.call("BatchGetWorker", identifiers=[{"farmId": farm_id, "fleetId": fleet, "workerId": worker}
                                                          for fleet, worker in batch])
        for item in answer.get("workers", []):
            name = (item.get("hostProperties") or {}).get("hostName")
            if name:
                found[item["workerId"]] = name
    return found


class _Excerpts:
    """Last lines of ended attempts, per user (what one user may read another may not)."""

    def __init__(self, size: int = 5000) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._size = size

    def get(self, key: tuple[str, str]) -> list[str] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple[str, str], lines: list[str]) -> None:
        with self._lock:
            self._items[key] = lines
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_excerpts = _Excerpts()


def last_lines(page: Page, farm_id: str, queue_id: str, actions: list[dict]) -> dict[str, list[str]]:
    """sessionActionId -> the last lines each FAILED attempt wrote before it ended (at most EXCERPTS
    attempts; the rest are left out, and their task's page shows the log)."""
    found: dict[str, list[str]] = {}
    now = datetime.now(UTC)
    for action in [a for a in actions if a.get("status") == SessionActionStatus.FAILED][:EXCERPTS]:
        action_id = action["sessionActionId"]
        key = (page.caller.principal_id, action_id)
        cached = _excerpts.get(key)
        if cached is not None:
            found[action_id] = cached
            continue
        lines = _read_last_lines(page, farm_id, queue_id, action)
        if lines is None:
            continue
        found[action_id] = lines
        ended = action.get("endedAt")
        if isinstance(ended, datetime) and now - ended > SETTLED:
            _excerpts.put(key, lines)
    return found


def _read_last_lines(page: Page, farm_id: str, queue_id: str, action: dict) -> list[str] | None:
    started, ended = action.get("startedAt"), action.get("endedAt")
    session_id = session_of(action["sessionActionId"])
    if not isinstance(started, datetime) or session_id is None:
        return None
    params: dict[str, Any] = {"logGroupName": log_names.session_log_group(farm_id, queue_id),
                              "logStreamName": session_id,
                              "startTime": int(started.timestamp() * 1000), "startFromHead": False, "limit": 40}
    if isinstance(ended, datetime):
        params["endTime"] = int(ended.timestamp() * 1000) + 1  # endTime is exclusive; the end's own line counts
    try:
        events = page.api.logs(page.caller, "GetLogEvents", **params).get("events", [])
    except ServiceError:
        return None  # no log yet, or logs are not this user's to read (they go by queue membership)
    lines = [e["message"].rstrip() for e in events if e["message"].strip() and not _FRAMING.match(e["message"])]
    return lines[-EXCERPT_LINES:]


def failed_sessions(page: Page, ids: dict[str, str]) -> tuple[set[str], list[dict]]:
    """The sessions in which a task of the job ended FAILED, and the job's FAILED tasks, most recent first
    (one SearchTasks: the 100 most recent)."""
    found = page.call("SearchTasks", farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"],
                      itemOffset=0, pageSize=BATCH,
                      filterExpressions={"operator": "AND", "filters": [
                          {"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL",
                                            "value": TaskRunStatus.FAILED}}]},
                      sortExpressions=[{"fieldSort": {"name": "ENDED_AT", "sortOrder": "DESCENDING"}}])
    tasks = found.get("tasks", [])
    return {s for s in (session_of(t.get("latestSessionActionId")) for t in tasks) if s}, tasks
