"""Changing work from the browser: requeue, suspend, resume, cancel, mark failed or succeeded (a job, a step,
a task or a selection of several), change a job's priority, archive a finished job.

Each item is one API call (UpdateJob, UpdateStep or UpdateTask) made as the signed-in user, so the API's
membership rules and state checks decide; a refusal comes back as the API's own message. Nothing changes
without confirmation: the page's script asks first, and without the script this answers with a
confirmation page whose button repeats the request with `confirmed=1`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page, set_notice

# action -> (target status, verb shown to the user)
TARGETS = {
    "requeue": ("READY", "Requeue"),
    "resume": ("READY", "Resume"),
    "suspend": ("SUSPENDED", "Suspend"),
    "cancel": ("CANCELED", "Cancel"),
    "fail": ("FAILED", "Mark failed"),
    "succeed": ("SUCCEEDED", "Mark succeeded"),
}
JOB_ONLY = {"priority": "Change priority of", "archive": "Archive"}
KINDS = ("job", "step", "task")
MAX_ITEMS = 100


def perform(page: Page) -> Response:
    form = page.form
    kind, action = form.get("kind", ""), form.get("action", "")
    items = [i for i in page.form_lists.get("item", []) if i][:MAX_ITEMS]
    back = _local(form.get("back")) or "/"
    if kind not in KINDS or (action not in TARGETS and not (kind == "job" and action in JOB_ONLY)):
        return set_notice(RedirectResponse(back, 303), "error", "Unknown action.")
    if not items:
        return set_notice(RedirectResponse(back, 303), "error", "Nothing was selected.")
    verb = TARGETS[action][1] if action in TARGETS else JOB_ONLY[action]
    what = f"{len(items)} {kind}{'s' if len(items) != 1 else ''}"
    if action == "priority":
        priority = _priority(form.get("priority"))
        if priority is None:
            return set_notice(RedirectResponse(back, 303), "error", "Priority must be a whole number from 0 to 100.")
        verb = f"Set priority {priority} on"
    if form.get("confirmed") != "1":
        hidden = [(k, v) for k, values in page.form_lists.items() if k not in ("csrf", "confirmed") for v in values]
        return page.html("confirm.html", title="Confirm", question=f"{verb} {what}?", items=items, kind=kind,
                         fields=hidden, back=back, crumbs=[])
    done, refused = 0, []
    for item in items:
        try:
            _apply(page, kind, action, item, form)
            done += 1
        except ServiceError as err:
            refused.append(f"{item}: {err.message}")
    text = f"{verb}: {done} of {len(items)} {kind}{'s' if len(items) != 1 else ''} done."
    if refused:
        text += " Refused — " + "; ".join(refused[:5])
    return set_notice(RedirectResponse(back, 303), "error" if refused else "ok", text)


def _apply(page: Page, kind: str, action: str, item: str, form: dict[str, Any]) -> None:
    ids = {"farmId": form.get("farm_id", ""), "queueId": form.get("queue_id", "")}
    if kind == "job":
        if action == "priority":
            page.call("UpdateJob", jobId=item, priority=_priority(form.get("priority")), **ids)
        elif action == "archive":
            page.call("UpdateJob", jobId=item, lifecycleStatus="ARCHIVED", **ids)
        else:
            page.call("UpdateJob", jobId=item, targetTaskRunStatus=TARGETS[action][0], **ids)
    elif kind == "step":
        page.call("UpdateStep", jobId=form.get("job_id", ""), stepId=item, targetTaskRunStatus=TARGETS[action][0],
                  **ids)
    else:
        page.call("UpdateTask", jobId=form.get("job_id", ""), stepId=form.get("step_id", ""), taskId=item,
                  targetRunStatus=TARGETS[action][0], **ids)


def _priority(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


def _local(path: str | None) -> str | None:
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None
