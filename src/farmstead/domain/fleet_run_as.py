"""Which queues a customer-managed fleet may serve, judged by the queue's jobRunAsUser (docs/fleets.md).

Owns: the rule that a customer-managed fleet only runs jobs of a queue whose jobs run as the worker
agent's user, or as a queue-configured user defined for the fleet's operating system (POSIX for Linux
and macOS, Windows for Windows). Used when associating a queue with a fleet, and by anything that
changes either side of an existing association (UpdateFleet's osFamily, UpdateQueue's jobRunAsUser).
Must not: touch storage or HTTP.
"""

from __future__ import annotations

from typing import Any


def run_as_problem(job_run_as_user: dict[str, Any] | None, os_family: str) -> str | None:
    """Why a customer-managed fleet of `os_family` cannot run this queue's jobs, or None when it can.

    A queue without jobRunAsUser states no user at all; the rule only applies once the queue says
    how its jobs run, so such a queue is accepted (the worker agent then decides, as it does for
    WORKER_AGENT_USER).
    """
    if not job_run_as_user or job_run_as_user.get("runAs") != "QUEUE_CONFIGURED_USER":
        return None
    if os_family == "WINDOWS":
        if job_run_as_user.get("windows"):
            return None
        return ("The queue runs jobs as a queue-configured user but defines no Windows user, so a "
                "customer-managed Windows fleet cannot run its jobs.")
    if job_run_as_user.get("posix"):
        return None
    return (f"The queue runs jobs as a queue-configured user but defines no POSIX user, so a "
            f"customer-managed {os_family.capitalize()} fleet cannot run its jobs.")
