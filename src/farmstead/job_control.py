"""A wrangler's changes to a job that take more than one API call, and which changes apply to what.

Owns: "requeue the failed (and canceled) tasks", "resume only what is suspended" and "requeue everything"
of a job, a step or chosen tasks, each as a few API calls; the retries those need; a sentence saying
what happened; and which of these (and of the one-call targets) apply to a job, step or task in its
current state. The web monitor and `farmstead job` both use it, through a `call(operation, **params)`
each binds to its own client (the API executor as the signed-in user; a boto3 client), so the API's
membership rules and state checks decide every call.
Must not: touch the store or HTTP, or bend the API's documented semantics to make these easy:

* UpdateJob/UpdateStep `targetTaskRunStatus` READY requeues *every* task, finished ones too (AWS:
  "all tasks switch to READY"). So "requeue failed" and "resume" go task by task (BatchUpdateTask, 100
  a call, found with SearchTasks), except for a step whose every task is to be requeued anyway: one
  UpdateStep does that.
* A FAILED task whose retries are used up can't be requeued until `maxRetriesPerTask` grows (AWS: "A
  task that has reached the maximum number of retries can't be requeued until this value is
  increased"). So first the job's `maxRetriesPerTask` is raised to one more than the highest
  `failureRetryCount` among the failed tasks being requeued (no higher), and the sentence says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from farmstead.domain import rollup, task_states
from farmstead.domain.statuses import TaskRunStatus

#: `call(operation, **params) -> output`: one API call as the acting user; raises on a refusal.
Call = Callable[..., dict[str, Any]]

S = TaskRunStatus
#: Finished tasks (the state machine's rule), in the order outcomes name them.
FINISHED = tuple(status for status in rollup.TERMINAL_IN_WAITER_ORDER if status in task_states.FINISHED)
#: Task statuses a single-task "Requeue" applies to: what ended without succeeding.
REQUEUEABLE = task_states.FINISHED - {S.SUCCEEDED}
#: What a suspend stops: active work not already being interrupted.
SUSPENDABLE = rollup.ACTIVE - {S.INTERRUPTING}
#: What a cancel stops: active or suspended work.
CANCELABLE = rollup.ACTIVE | {S.SUSPENDED}
PAGE = 100  # SearchTasks' largest page, BatchGetTask's and BatchUpdateTask's most items
_SEARCH_REACH = 10_000  # SearchTasks' largest itemOffset

_TASK_ID = re.compile(r"task-([0-9a-f]{32})-\d+")

#: Target-only actions (one UpdateJob/UpdateStep/UpdateTask each): action -> target status.
TARGETS = {"suspend": S.SUSPENDED, "cancel": S.CANCELED, "fail": S.FAILED, "succeed": S.SUCCEEDED}


@dataclass
class Outcome:
    """What a change did, for the sentence shown to the user."""

    moved: dict[str, int] = field(default_factory=dict)
    """Tasks changed, by the status they left."""
    retries: tuple[int, int] | None = None
    """The job's maxRetriesPerTask before and after, when it had to be raised."""
    refused: list[str] = field(default_factory=list)
    """`task-…: message` for each task the API refused."""
    kept: dict[str, int] = field(default_factory=dict)
    """Tasks left as they were on purpose, by status (succeeded frames a resume doesn't rerun)."""
    looked_for: tuple[str, ...] = ()
    """The statuses the change was for, to say what was missing when nothing was done."""

    @property
    def count(self) -> int:
        return sum(self.moved.values())

    def sentence(self, verb: str) -> str:
        if not self.moved and not self.refused:
            missing = " or ".join(self.looked_for)
            return f"{verb}: nothing to do" + (f" (no {missing} task)." if missing else ".")
        parts = [f"{verb}: {_tasks(self.count)} ({_by_status(self.moved)})" if self.moved else f"{verb}: no task"]
        if self.retries:
            parts.append(f"the job's maxRetriesPerTask was raised from {self.retries[0]} to {self.retries[1]} "
                         "so that tasks whose retries were used up could run again")
        if self.kept:
            parts.append(f"{_by_status(self.kept)} stay as they are")
        text = "; ".join(parts) + "."
        if self.refused:
            text += f" Refused ({len(self.refused)}): " + "; ".join(self.refused[:5])
        return text


def _tasks(n: int) -> str:
    return f"{n} task{'' if n == 1 else 's'}"


def _by_status(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n)


def step_of_task(task_id: str) -> str | None:
    """The step a task belongs to: `task-<hex>-<n>` is a task of `step-<hex>`; None for another form."""
    match = _TASK_ID.fullmatch(task_id)
    return f"step-{match.group(1)}" if match else None


# --- the changes ---------------------------------------------------------------------------------

def requeue_failed(call: Call, ids: dict[str, str], *, step_id: str | None = None,
                   task_ids: Iterable[tuple[str, str]] | None = None, include_canceled: bool = False) -> Outcome:
    """Requeue exactly the FAILED (and, with `include_canceled`, CANCELED) tasks of the job, of one step,
    or of the chosen `(stepId, taskId)` pairs, raising maxRetriesPerTask first where retries ran out."""
    statuses = (S.FAILED, S.CANCELED) if include_canceled else (S.FAILED,)
    if task_ids is not None:
        return _requeue_chosen(call, ids, list(task_ids), statuses + ((S.NOT_COMPATIBLE,) if include_canceled else ()))
    outcome = Outcome(looked_for=statuses)
    outcome.retries = _raise_retries(call, ids, _highest_failed_retry_count(call, ids, step_id))
    for step in _steps(call, ids, step_id):
        _requeue_in_step(call, ids, step, statuses, outcome)
    return outcome


def resume(call: Call, ids: dict[str, str], *, step_id: str | None = None,
           task_ids: Iterable[tuple[str, str]] | None = None) -> Outcome:
    """READY for the SUSPENDED tasks only: finished tasks stay finished (a job-level READY would rerun them)."""
    if task_ids is not None:
        return _requeue_chosen(call, ids, list(task_ids), (S.SUSPENDED,))
    outcome = Outcome(looked_for=(S.SUSPENDED,))
    for step in _steps(call, ids, step_id):
        _requeue_in_step(call, ids, step, (S.SUSPENDED,), outcome)
        for status in FINISHED:
            outcome.kept[str(status)] = outcome.kept.get(status, 0) + _counts(step).get(status, 0)
    outcome.kept = {s: n for s, n in outcome.kept.items() if n}
    return outcome


def requeue_all(call: Call, ids: dict[str, str], *, step_id: str | None = None) -> Outcome:
    """Every task of the job (or step) again, succeeded ones too: UpdateJob/UpdateStep READY, as AWS
    documents it, after raising maxRetriesPerTask so that no failed task is left behind."""
    counts = _counts(call("GetStep", stepId=step_id, **ids) if step_id else call("GetJob", **ids))
    outcome = Outcome(retries=_raise_retries(call, ids, _highest_failed_retry_count(call, ids, step_id)))
    if step_id:
        call("UpdateStep", stepId=step_id, targetTaskRunStatus=S.READY, **ids)
    else:
        call("UpdateJob", targetTaskRunStatus=S.READY, **ids)
    outcome.moved = {status: n for status, n in counts.items() if n and status not in task_states.REQUEUE_TARGETS}
    return outcome


def set_target(call: Call, ids: dict[str, str], target: str, *, step_id: str | None = None,
               task: tuple[str, str] | None = None) -> None:
    """One UpdateJob, UpdateStep or UpdateTask to `target` (suspend, cancel, mark failed or succeeded)."""
    if task is not None:
        call("UpdateTask", stepId=task[0], taskId=task[1], targetRunStatus=target, **ids)
    elif step_id is not None:
        call("UpdateStep", stepId=step_id, targetTaskRunStatus=target, **ids)
    else:
        call("UpdateJob", targetTaskRunStatus=target, **ids)


# --- which changes apply -------------------------------------------------------------------------

def actions_for_counts(counts: dict[str, int] | None, status: str | None) -> list[str]:
    """The changes that would do something to a job or step with these taskRunStatusCounts."""
    counts = {k: v for k, v in (counts or {}).items() if v}
    present = set(counts)
    found = []
    if S.FAILED in present:
        found.append("requeue_failed")
    if S.CANCELED in present:
        found.append("requeue_failed_canceled")
    if S.SUSPENDED in present:
        found.append("resume")
    if present & SUSPENDABLE:
        found.append("suspend")
    if present & CANCELABLE:
        found.append("cancel")
    if present - {S.SUCCEEDED, S.FAILED}:
        found.append("fail")
    if present - {S.SUCCEEDED}:
        found.append("succeed")
    # Everything again, succeeded frames too, is for work that has ended (NOT_COMPATIBLE included: AWS
    # reruns such a job by requeueing it once a fleet that fits is associated).
    if status in FINISHED:
        found.append("requeue_all")
    return found


def actions_for_task(status: str) -> list[str]:
    found = []
    if status in REQUEUEABLE:
        found.append("requeue")
    if status == S.SUSPENDED:
        found.append("resume")
    if status in SUSPENDABLE:
        found.append("suspend")
    if status in CANCELABLE:
        found.append("cancel")
    if status not in (S.SUCCEEDED, S.FAILED):
        found.append("fail")
    if status != S.SUCCEEDED:
        found.append("succeed")
    return found


# --- how ------------------------------------------------------------------------------------------

def _counts(item: dict[str, Any]) -> dict[str, int]:
    return dict(item.get("taskRunStatusCounts") or {})


def _steps(call: Call, ids: dict[str, str], step_id: str | None) -> list[dict[str, Any]]:
    if step_id is not None:
        return [call("GetStep", stepId=step_id, **ids)]
    steps: list[dict[str, Any]] = []
    token = None
    while True:
        page = call("ListSteps", nextToken=token, **ids) if token else call("ListSteps", **ids)
        steps.extend(page.get("steps", []))
        token = page.get("nextToken")
        if not token:
            return steps


def _filters(ids: dict[str, str], step_id: str | None, status: str) -> dict[str, Any]:
    filters = [{"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL", "value": status}}]
    if step_id:
        filters.append({"stringFilter": {"name": "STEP_ID", "operator": "EQUAL", "value": step_id}})
    return {"operator": "AND", "filters": filters}


def _search(call: Call, ids: dict[str, str], step_id: str | None, status: str, offset: int = 0,
            size: int = PAGE, sort: dict | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"farmId": ids["farmId"], "queueIds": [ids["queueId"]], "jobId": ids["jobId"],
                              "itemOffset": offset, "pageSize": size,
                              "filterExpressions": _filters(ids, step_id, status)}
    if sort:
        params["sortExpressions"] = [{"fieldSort": sort}]
    return call("SearchTasks", **params)


def _highest_failed_retry_count(call: Call, ids: dict[str, str], step_id: str | None) -> int | None:
    """The highest failureRetryCount of a FAILED task of the job (or step): one task read, sorted."""
    found = _search(call, ids, step_id, S.FAILED, size=1,
                    sort={"name": "FAILURE_RETRY_COUNT", "sortOrder": "DESCENDING"}).get("tasks", [])
    return found[0].get("failureRetryCount", 0) if found else None


def _raise_retries(call: Call, ids: dict[str, str], highest: int | None) -> tuple[int, int] | None:
    """maxRetriesPerTask raised to `highest + 1` when `highest` retries reach it; (before, after) or None."""
    if highest is None:
        return None
    current = call("GetJob", **ids).get("maxRetriesPerTask", 0)
    if highest < current:
        return None
    call("UpdateJob", maxRetriesPerTask=highest + 1, **ids)
    return current, highest + 1


def _requeue_in_step(call: Call, ids: dict[str, str], step: dict[str, Any], statuses: tuple[str, ...],
                     outcome: Outcome) -> None:
    counts = _counts(step)
    wanted = {str(status): counts.get(status, 0) for status in statuses if counts.get(status, 0)}
    if not wanted:
        return
    step_id = step["stepId"]
    if sum(wanted.values()) == sum(counts.values()):
        # Every task of the step is one to requeue: the step's own requeue does exactly that, in one call.
        call("UpdateStep", stepId=step_id, targetTaskRunStatus=S.READY, **ids)
        for status, n in wanted.items():
            outcome.moved[status] = outcome.moved.get(status, 0) + n
        return
    for status in wanted:
        for batch in _batches(_task_ids(call, ids, step_id, status)):
            _update_batch(call, ids, [(step_id, task_id, status) for task_id in batch], outcome)


def _task_ids(call: Call, ids: dict[str, str], step_id: str, status: str) -> Iterator[str]:
    """The ids of the step's tasks in `status`, each once. Read in rounds of up to 10,000 (SearchTasks'
    reach); a later round starts over and skips what earlier ones gave, so a task requeued and failed
    again meanwhile is not requeued twice, and one the API refused is not tried again."""
    given: set[str] = set()
    while True:
        fresh: list[str] = []
        offset = 0
        while offset < _SEARCH_REACH:
            page = _search(call, ids, step_id, status, offset)
            fresh += [t["taskId"] for t in page.get("tasks", []) if t["taskId"] not in given]
            if page.get("nextItemOffset") is None:
                break
            offset = page["nextItemOffset"]
        if not fresh:
            return
        for task_id in dict.fromkeys(fresh):
            given.add(task_id)
            yield task_id
        if offset < _SEARCH_REACH:
            return


def _batches(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == PAGE:
            yield batch
            batch = []
    if batch:
        yield batch


def _update_batch(call: Call, ids: dict[str, str], items: list[tuple[str, str, str]], outcome: Outcome) -> None:
    """BatchUpdateTask READY for `(stepId, taskId, status it is in)` items; counts what moved."""
    errors = call("BatchUpdateTask", tasks=[{**ids, "stepId": step_id, "taskId": task_id, "targetRunStatus": S.READY}
                                            for step_id, task_id, _ in items]).get("errors", [])
    refused = {e["taskId"]: e.get("message", e.get("code", "")) for e in errors}
    for _, task_id, status in items:
        if task_id in refused:
            outcome.refused.append(f"{task_id}: {refused[task_id]}")
        else:
            outcome.moved[status] = outcome.moved.get(status, 0) + 1


def _requeue_chosen(call: Call, ids: dict[str, str], chosen: list[tuple[str, str]],
                    statuses: tuple[str, ...]) -> Outcome:
    """The chosen tasks that are in `statuses`, requeued (retries raised first where they ran out); the
    others are left as they are and counted as kept."""
    outcome = Outcome(looked_for=statuses)
    found: list[dict[str, Any]] = []
    for start in range(0, len(chosen), PAGE):
        answer = call("BatchGetTask", identifiers=[{**ids, "stepId": s, "taskId": t}
                                                   for s, t in chosen[start:start + PAGE]])
        found += answer.get("tasks", [])
        outcome.refused += [f"{e['taskId']}: {e.get('message', e.get('code', ''))}" for e in answer.get("errors", [])]
    wanted = [t for t in found if t["runStatus"] in statuses]
    for task in found:
        if task["runStatus"] not in statuses:
            outcome.kept[task["runStatus"]] = outcome.kept.get(task["runStatus"], 0) + 1
    failed = [t.get("failureRetryCount", 0) for t in wanted if t["runStatus"] == S.FAILED]
    outcome.retries = _raise_retries(call, ids, max(failed) if failed else None)
    for start in range(0, len(wanted), PAGE):
        _update_batch(call, ids, [(t["stepId"], t["taskId"], t["runStatus"]) for t in wanted[start:start + PAGE]],
                      outcome)
    return outcome
