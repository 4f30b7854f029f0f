"""The times of a worker's session-action report, as recorded, and the session-log line when they
were corrected.

Owns: applying domain/reported_times.py to one report of UpdateWorkerSchedule, and telling whoever
reads the session's log (`farmstead logs`, the web monitor, GetLogEvents) that the worker's clock is
off: one line in the session's log stream, written by the server in the same transaction, for the
first report of an action and for its final one (a progress report every heartbeat would otherwise
add a line each time).
Must not: decide the bounds (the domain rule does) or write SQL (store.logs does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain import log_names, reported_times
from farmstead.store import logs, sessions

log = logging.getLogger("farmstead.api")


def settle(conn: Connection, action, report: Mapping[str, Any], now: datetime, *,
           final: bool) -> reported_times.SettledTimes:
    times = reported_times.settle(
        started_at=report.get("startedAt"), ended_at=report.get("endedAt"), updated_at=report.get("updatedAt"),
        now=now, assigned_at=action.assigned_at, recorded_started_at=action.started_at)
    note = times.note(action.session_action_id)
    if note is not None and (final or action.started_at is None):
        log.warning("worker %s: %s", action.session_worker_id, note)
        _append_to_session_log(conn, action.session_id, note, now)
    return times


def _append_to_session_log(conn: Connection, session_id: str, message: str, now: datetime) -> None:
    session = sessions.get(conn, session_id)
    if session is None:
        return
    # The stream the session's logConfiguration names (api/sessions.session_log).
    group = logs.find_group(conn, log_names.session_log_group(session.farm_id, session.queue_id))
    stream = logs.find_stream(conn, group.group_key, session_id) if group is not None else None
    if group is None or stream is None:
        return  # deleted by a user: the server's log line is enough
    now_ms = int(now.timestamp() * 1000)
    logs.append_events(conn, group.group_key, stream.stream_key, [now_ms], [message], now_ms,
                       len(message.encode("utf-8")))
