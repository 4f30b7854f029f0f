"""Running longest (docs/self-managing.md): the running tasks, longest first, each with its step's
median run time and whether it is far beyond it (domain/run_times.py), for the web monitor and the CLI.

Owns: that read. Must not: write anything or decide the rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain import run_times
from farmstead.store import stuck_tasks


def running_longest(conn: Connection, now: datetime, *, job_id: str | None = None,
                    limit: int = 100) -> list[dict[str, Any]]:
    runs = stuck_tasks.running_runs(conn, None, now, job_id=job_id)[:limit]
    medians: dict[tuple[str, str], float | None] = {}
    found = []
    for run in runs:
        key = (run.job_id, run.step_id)
        if key not in medians:
            medians[key] = run_times.step_median(stuck_tasks.step_run_seconds(conn, run.job_id, run.step_id))
        running = (now - run.started_at).total_seconds()
        found.append({"job_id": run.job_id, "step_id": run.step_id, "task_id": run.task_id,
                      "session_id": run.session_id, "queue_id": run.queue_id, "worker_id": run.worker_id,
                      "host": (run.host_properties or {}).get("hostName", ""), "running_seconds": running,
                      "median_seconds": medians[key], "times_median": run_times.times_median(running, medians[key]),
                      "far_beyond": run_times.far_beyond(running, medians[key])})
    return found
