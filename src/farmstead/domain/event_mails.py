"""An event as a readable e-mail (docs/events.md, "E-mail"): a subject that names the job and where it
went, and a plain-text body with the ids, the time, the task counts and the event itself (the same
JSON a webhook gets, for a script reading the mailbox). Pure: composing only; sending is
background/event_mail.py's.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from farmstead.domain import events

SUBJECT_PREFIX = "[Farmstead]"


class Mail(NamedTuple):
    subject: str
    body: str


def _new_status(detail: dict[str, Any]) -> str:
    return str(detail.get("taskRunStatus") or detail.get("runStatus") or detail.get("lifecycleStatus") or "")


def _old_status(detail: dict[str, Any]) -> str | None:
    old = (detail.get("previousTaskRunStatus") or detail.get("previousRunStatus")
           or detail.get("previousLifecycleStatus"))
    return None if old is None else str(old)


def _what(detail_type: str, detail: dict[str, Any], job: str) -> str:
    if detail_type in (events.STEP_RUN_STATUS_CHANGE, events.STEP_LIFECYCLE_STATUS_CHANGE):
        return f"Step {detail.get('stepId')} of job {job}"
    if detail_type == events.TASK_RUN_STATUS_CHANGE:
        return f"Task {detail.get('taskId')} of job {job}"
    return f"Job {job}"


def compose(envelope: dict[str, Any], job_name: str | None) -> Mail:
    """`envelope`: the event as sent (domain/events.envelope); `job_name`: its job's, when it has one."""
    detail_type, detail = envelope["detail-type"], envelope["detail"]
    job = f'"{job_name}"' if job_name else str(detail.get("jobId", "?"))
    what = _what(detail_type, detail, job)
    status, old = _new_status(detail), _old_status(detail)
    lifecycle = detail_type in (events.JOB_LIFECYCLE_STATUS_CHANGE, events.STEP_LIFECYCLE_STATUS_CHANGE)
    subject = f"{SUBJECT_PREFIX} {what}: {'lifecycle ' if lifecycle else ''}{status}"
    lines = [f"{what} is now {status}" + (f" (was {old})." if old else "."), ""]
    for label, key in (("Farm", "farmId"), ("Queue", "queueId"), ("Job", "jobId"), ("Step", "stepId"),
                       ("Task", "taskId")):
        if detail.get(key):
            lines.append(f"{label + ':':<7}{detail[key]}")
    lines.append(f"{'Time:':<7}{envelope['time']}")
    counts = detail.get("taskRunStatusCounts") or {}
    if counts:
        shown = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
        lines += ["", f"Tasks: {shown or 'none'}"]
    lines += ["", f"The event ({detail_type}, id {envelope['id']}), as a webhook receives it:",
              json.dumps(envelope, indent=2)]
    return Mail(subject, "\n".join(lines) + "\n")
