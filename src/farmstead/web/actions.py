"""Changing work from the browser: requeue the failed tasks (and the canceled), requeue everything, resume
what is suspended, suspend, cancel, mark failed or succeeded (a job, a step, a task or a selection of
several), change a job's priority, archive a finished job.

A one-target change is one API call per item (UpdateJob, UpdateStep or UpdateTask). Requeue and resume
are job_control's: a few calls per job or step (the retries raised where they ran out, then the
failed or suspended tasks only), said back in a sentence. Every call is made as the signed-in user, so
the API's membership rules and state checks decide; a refusal comes back as the API's own message.
Nothing changes without confirmation: the page's script asks first (with the question the page put
on the button), and without the script this answers with a confirmation page whose button repeats
the request with `confirmed=1`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from farmstead import job_control
from farmstead.domain.statuses import TaskRunStatus as S
from farmstead.domain.statuses import UpdateJobLifecycleStatus
from farmstead.domain.worker_holds import WorkerHold
from farmstead.protocol.errors import ServiceError
from farmstead.web.page import Page, set_notice

#: action -> the verb shown to the user, for each kind of item.
VERBS = {
    "requeue_failed": "Requeue failed",
    "requeue_failed_canceled": "Requeue failed and canceled",
    "requeue_all": "Requeue all",
    "requeue": "Requeue",
    "resume": "Resume",
    "suspend": "Suspend",
    "cancel": "Cancel",
    "fail": "Mark failed",
    "succeed": "Mark succeeded",
    "priority": "Change priority of",
    "archive": "Archive",
    "clear_blocklist": "Clear from the job's blocklist",
    "drain": "Drain",
    "drain_stop": "Drain and stop",
    "disable": "Disable",
    "enable": "Enable",
}
#: A worker hold action -> the hold it puts on (None: enable); docs/self-managing.md.
HOLDS = {"drain": WorkerHold.DRAIN, "drain_stop": WorkerHold.DRAIN_AND_STOP, "disable": WorkerHold.DISABLE,
         "enable": None}
ALLOWED = {
    "job": ("requeue_failed", "requeue_failed_canceled", "requeue_all", "resume", "suspend", "cancel", "fail",
            "succeed", "priority", "archive"),
    "step": ("requeue_failed", "requeue_failed_canceled", "requeue_all", "resume", "suspend", "cancel", "fail",
             "succeed"),
    "task": ("requeue", "resume", "suspend", "cancel", "fail", "succeed"),
    # A worker blocklisted on a job (docs/self-managing.md): the form names the job.
    "worker": ("clear_blocklist",),
    # A fleet's workers, one by one from the host table (`host`) or all at once (`fleet`).
    "host": tuple(HOLDS),
    "fleet": tuple(HOLDS),
}
MAX_ITEMS = 100
#: Tasks picked in the frame grid: a range of frames is a common pick. Changed 100 a call (BatchUpdateTask).
MAX_TASKS = 1000


def perform(page: Page) -> Response:
    form = page.form
    kind, action = form.get("kind", ""), form.get("action", "")
    items = [i for i in page.form_lists.get("item", []) if i][:MAX_TASKS if kind == "task" else MAX_ITEMS]
    back = _local(form.get("back")) or "/"
    if action not in ALLOWED.get(kind, ()):
        return set_notice(RedirectResponse(back, 303), "error", "Unknown action.")
    if not items:
        return set_notice(RedirectResponse(back, 303), "error", "Nothing was selected.")
    verb = VERBS[action]
    what = f"{len(items)} {kind}{'s' if len(items) != 1 else ''}"
    if action == "priority":
        priority = _priority(form.get("priority"))
        if priority is None:
            return set_notice(RedirectResponse(back, 303), "error", "Priority must be a whole number from 0 to 100.")
        verb = f"Set priority {priority} on"
    if form.get("confirmed") != "1":
        hidden = [(k, v) for k, values in page.form_lists.items() if k not in ("csrf", "confirmed") for v in values]
        return page.html("confirm.html", title="Confirm", question=question(page, kind, action, items, form),
                         items=items, kind=kind, fields=hidden, back=back, crumbs=[])
    if kind == "task" and action in ("requeue", "resume"):
        text, failed = _change_tasks(page, action, items, form)
        return set_notice(RedirectResponse(back, 303), "error" if failed else "ok", text)
    if kind == "task" and len(items) > 1:
        text, failed = _target_tasks(page, action, items, form)
        return set_notice(RedirectResponse(back, 303), "error" if failed else "ok", text)
    done, refused, said = 0, [], []
    for item in items:
        try:
            sentence = _apply(page, kind, action, item, form)
            done += 1
            if sentence:
                said.append(sentence if len(items) == 1 else f"{item}: {sentence}")
        except ServiceError as err:
            refused.append(f"{item}: {err.message}")
    text = f"{verb}: {done} of {what} done."
    if said:
        text += " " + " ".join(said[:5])
    if refused:
        text += " Refused — " + "; ".join(refused[:5])
    return set_notice(RedirectResponse(back, 303), "error" if refused else "ok", text)


def question(page: Page, kind: str, action: str, items: list[str], form: dict[str, Any]) -> str:
    """What the confirmation asks. A single job or step says what a requeue will rerun and what stays."""
    what = f"{len(items)} {kind}{'s' if len(items) != 1 else ''}"
    verb = VERBS[action] if action != "priority" else f"Set priority {_priority(form.get('priority'))} on"
    if len(items) == 1 and kind in ("job", "step") and action.startswith("requeue"):
        try:
            ids = _ids(form, items[0] if kind == "job" else form.get("job_id", ""))
            item = page.call("GetStep", stepId=items[0], **ids) if kind == "step" else page.call("GetJob", **ids)
        except ServiceError:
            return f"{verb} {what}?"
        return requeue_question(action, kind, item.get("taskRunStatusCounts") or {})
    return f"{verb} {what}?"


def requeue_question(action: str, kind: str, counts: dict[str, int]) -> str:
    """The question for a requeue of one job or step, from its counts (the pages put it on the button)."""
    failed, canceled, succeeded = (counts.get(s, 0) for s in (S.FAILED, S.CANCELED, S.SUCCEEDED))
    total = sum(counts.values())
    raise_note = (" Where a task's retries ran out, the job's maxRetriesPerTask is raised as far as that needs."
                  if failed else "")
    if action == "requeue_all":
        rerun = f" {succeeded} SUCCEEDED task{'s' if succeeded != 1 else ''} will run again." if succeeded else ""
        return f"Requeue all {total} tasks of this {kind}?{rerun}{raise_note}"
    chosen = [f"{failed} FAILED"] if failed else []
    if action == "requeue_failed_canceled" and canceled:
        chosen.append(f"{canceled} CANCELED")
    stays = f" {succeeded} SUCCEEDED stay as they are." if succeeded else ""
    plural = "" if failed + (canceled if action == "requeue_failed_canceled" else 0) == 1 else "s"
    return f"Requeue the {' and '.join(chosen) or 'failed'} task{plural} of this {kind}?{stays}{raise_note}"


def _ids(form: dict[str, str], job_id: str) -> dict[str, str]:
    return {"farmId": form.get("farm_id", ""), "queueId": form.get("queue_id", ""), "jobId": job_id}


def _apply(page: Page, kind: str, action: str, item: str, form: dict[str, str]) -> str | None:
    """One job, step or task changed; the sentence job_control had to say, if any."""
    if kind in ("host", "fleet"):
        farm_id, fleet_id = form.get("farm_id", ""), form.get("fleet_id", "") if kind == "host" else item
        count = page.api.hold_workers(page.caller, farm_id, fleet_id, [item] if kind == "host" else None,
                                      HOLDS[action])
        return None if kind == "host" else f"{count} worker{'s' if count != 1 else ''}."
    if kind == "worker":
        ids = _ids(form, form.get("job_id", ""))
        if not page.api.clear_blocklisted(page.caller, ids["farmId"], ids["queueId"], ids["jobId"], item):
            return f"{item} was not on the job's blocklist."
        return None
    if kind == "job":
        ids = _ids(form, item)
        if action == "priority":
            page.call("UpdateJob", priority=_priority(form.get("priority")), **ids)
            return None
        if action == "archive":
            page.call("UpdateJob", lifecycleStatus=UpdateJobLifecycleStatus.ARCHIVED, **ids)
            return None
        step_id = None
    else:
        ids = _ids(form, form.get("job_id", ""))
        step_id = item if kind == "step" else (job_control.step_of_task(item) or form.get("step_id", ""))
    if action in job_control.TARGETS:
        task = (step_id or "", item) if kind == "task" else None
        job_control.set_target(page.call, ids, job_control.TARGETS[action], step_id=None if task else step_id,
                               task=task)
        return None
    if action == "resume":
        outcome = job_control.resume(page.call, ids, step_id=step_id)
    elif action == "requeue_all":
        outcome = job_control.requeue_all(page.call, ids, step_id=step_id)
    else:
        outcome = job_control.requeue_failed(page.call, ids, step_id=step_id,
                                             include_canceled=action == "requeue_failed_canceled")
    if outcome.refused and not outcome.moved:
        raise ServiceError("ConflictException", outcome.sentence(VERBS[action]))
    return outcome.sentence(VERBS[action])


def _change_tasks(page: Page, action: str, items: list[str], form: dict[str, Any]) -> tuple[str, bool]:
    """Requeue or resume of chosen tasks: one job_control change for all of them (100 a call)."""
    ids = _ids(form, form.get("job_id", ""))
    chosen = []
    for task_id in items:
        chosen.append((job_control.step_of_task(task_id) or form.get("step_id", ""), task_id))
    try:
        if action == "resume":
            outcome = job_control.resume(page.call, ids, task_ids=chosen)
        else:
            outcome = job_control.requeue_failed(page.call, ids, task_ids=chosen, include_canceled=True)
    except ServiceError as err:
        return f"{VERBS[action]}: refused — {err.message}", True
    return outcome.sentence(VERBS[action]), bool(outcome.refused)


def _target_tasks(page: Page, action: str, items: list[str], form: dict[str, Any]) -> tuple[str, bool]:
    """Suspend, cancel, mark failed or succeeded several tasks (of any steps of the job): BatchUpdateTask,
    100 a call; the API refuses each task it won't change, and the message says which."""
    ids = _ids(form, form.get("job_id", ""))
    target = job_control.TARGETS[action]
    done, refused = 0, []
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        errors = page.call("BatchUpdateTask", tasks=[
            {**ids, "stepId": job_control.step_of_task(t) or form.get("step_id", ""), "taskId": t,
             "targetRunStatus": target} for t in batch]).get("errors", [])
        done += len(batch) - len(errors)
        refused += [f"{e.get('taskId', '?')}: {e.get('message', e.get('code', ''))}" for e in errors]
    text = f"{VERBS[action]}: {done} of {len(items)} tasks done."
    if refused:
        text += " Refused — " + "; ".join(refused[:5]) + (f" (and {len(refused) - 5} more)" if len(refused) > 5 else "")
    return text, bool(refused)


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
