"""Stuck runs canceled (docs/self-managing.md, "Stuck tasks"): each sweep, the RUNNING taskRuns of
queues that set a maximum run time or a no-output limit are checked (domain/stuck_tasks.stuck_reason);
a stuck one gets a line in its session log saying why, and its action goes CANCELING, so the next
heartbeat lists it in cancelSessionActions. When the worker confirms, the run counts as failed
(domain/worker_sessions.plan_report) and the task retries by the job's rules.

Owns: that use case, for the sweeper. Must not: write SQL or decide what is stuck.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from farmstead.domain import log_names, stuck_tasks
from farmstead.store import logs, steps
from farmstead.store import stuck_tasks as store


def cancel_stuck_runs(conn: Connection, now: datetime) -> int:
    """One pass; how many runs it canceled."""
    limits = {queue_id: stuck_tasks.limits(tags) for queue_id, tags in store.queue_tags(conn).items()}
    limits = {queue_id: limit for queue_id, limit in limits.items() if limit.any}
    if not limits:
        return 0
    shortest = min(limit.shortest() for limit in limits.values())
    canceled = 0
    templates: dict[str, object] = {}
    for run in store.running_runs(conn, list(limits), now - timedelta(seconds=shortest)):
        if run.step_id not in templates:
            step = steps.get(conn, run.job_id, run.step_id)
            templates[run.step_id] = stuck_tasks.template_timeout(step.template if step is not None else None)
        stream = _stream(conn, run.farm_id, run.queue_id, run.session_id)
        last_output = (datetime.fromtimestamp(stream.last_ingestion_time / 1000, UTC)
                       if stream is not None and stream.last_ingestion_time else None)
        reason = stuck_tasks.stuck_reason(now=now, started_at=run.started_at, last_output_at=last_output,
                                          has_timeout=templates[run.step_id] is not None,
                                          limits=limits[run.queue_id])
        if reason is None or not store.cancel_stuck(conn, run.session_action_id):
            continue
        canceled += 1
        if stream is not None:
            now_ms = int(now.timestamp() * 1000)
            logs.append_events(conn, stream.group_key, stream.stream_key, [now_ms], [reason], now_ms,
                               len(reason.encode("utf-8")))
    return canceled


def _stream(conn: Connection, farm_id: str, queue_id: str, session_id: str):
    """The session's log stream (the one its logConfiguration names), None when a user deleted it."""
    group = logs.find_group(conn, log_names.session_log_group(farm_id, queue_id))
    return logs.find_stream(conn, group.group_key, session_id) if group is not None else None
