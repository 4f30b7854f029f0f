"""A worker's sessions, moved on by its heartbeat (UpdateWorkerSchedule), given back when it is lost.

Owns the use case behind the heartbeat (docs/sessions.md; the official agent's side: docs/compatibility.md):
1. apply the reported session-action updates (task transitions through the state machine, retries,
   the job's failure limit), tolerating duplicate and late reports (`apply_report`);
2. move every open session on: keep its queued actions listed, give an idle session the next READY
   task of its step, or wind it down (envExits in reverse order of entering) and end it (`advance_session`);
3. start a session when the worker is free, from the best candidate dispatch finds (`start_session`);
and, off the heartbeat, a lost or restarted worker's sessions given back (`release_worker_sessions`)
and a task taken back by UpdateSession (`take_back_task`). The answer's shape is api/worker_protocol's.
Must not: write SQL (store.sessions/dispatch do) or decide legal transitions (domain.task_states).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain import job_environments, job_templates, log_names, scheduling, task_states
from farmstead.domain.scheduling import QUEUE_DEPTH
from farmstead.ids import new_id
from farmstead.orchestration import report_times, task_runs
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import dispatch, jobs, limits, logs, sessions, steps, workers

_REPORT_EVENTS = {
    "SUCCEEDED": task_states.Event.RUN_SUCCEEDED,
    "FAILED": task_states.Event.RUN_FAILED,
    "INTERRUPTED": task_states.Event.RUN_INTERRUPTED,
    "NEVER_ATTEMPTED": task_states.Event.RUN_NEVER_ATTEMPTED,
    "CANCELED": task_states.Event.RUN_CANCELED,
}


# --- 1. reports ----------------------------------------------------------------------------------

def apply_report(changes: TaskChanges, worker_id: str, action_id: str, report: dict) -> tuple[str, float] | None:
    """Applies one action's report; returns (session id, seconds it ran) when it says a taskRun
    succeeded (the session's queue depth follows its tasks' run times), else None. Its writes go to
    `changes`, which the caller flushes."""
    conn, now = changes.conn, changes.now
    action = changes.action(action_id)
    if action is None or action.status in sessions.FINISHED:
        return None  # unknown, duplicate or late: the agent must never be told off for resending
    if action.session_worker_id != worker_id:
        return None
    completed = report.get("completedStatus")
    times = report_times.settle(conn, action, report, now, final=completed is not None)
    values: dict[str, Any] = {"worker_updated_at": times.updated_at or now}
    if times.started_at is not None and times.started_at != action.started_at:
        values["started_at"] = times.started_at
    for member, column in (("progressMessage", "progress_message"), ("progressPercent", "progress_percent"),
                           ("processExitCode", "process_exit_code"), ("manifests", "manifests")):
        if member in report:
            values[column] = report[member]
    if completed is None:
        if action.status in ("ASSIGNED", "SCHEDULED"):
            values["status"] = "RUNNING"
        if dropped(action):
            # It had started after all: an ordinary cancel of a running action from now on.
            values["ended_at"] = None
            values.setdefault("started_at", times.updated_at or now)
        changes.write_action(action_id, values)
        if action.kind == "taskRun" and action.status in ("ASSIGNED", "SCHEDULED", "CANCELING"):
            task_runs.apply_event(changes, action, task_states.Event.RUN_STARTED, started_at=times.started_at)
        return None
    values.update(status=completed, ended_at=times.ended_at or now)
    changes.write_action(action_id, values)
    release_limits(conn, action)
    if action.kind == "taskRun":
        event = _REPORT_EVENTS[completed]
        if completed == "NEVER_ATTEMPTED":
            changes.flush()  # the same call may have reported the session's setup FAILED
        if completed == "NEVER_ATTEMPTED" and _session_setup_failed(conn, action.session_id):
            # The environment or input sync this task waited on failed: that is the task's failure,
            # or a broken environment would requeue it forever.
            event = task_states.Event.RUN_FAILED
        events = [event]
        if action.started_at is None and times.started_at is not None and completed != "NEVER_ATTEMPTED":
            events.insert(0, task_states.Event.RUN_STARTED)
        task_runs.apply_events(changes, action, events, started_at=times.started_at, target=action.cancel_target)
        # The run time from the worker's own two readings: one clock, so its offset cancels out.
        started, ended = report.get("startedAt") or action.started_at, report.get("endedAt")
        if completed == "SUCCEEDED" and started is not None and ended is not None:
            return action.session_id, max(0.0, (ended - started).total_seconds())
    return None


def _session_setup_failed(conn: Connection, session_id: str) -> bool:
    return sessions.has_action(conn, session_id, kinds=("envEnter", "syncInputJobAttachments"),
                               statuses=("FAILED",))


# --- 2. sessions ---------------------------------------------------------------------------------

#: A session with an action that ended like this winds down instead of taking more tasks.
#: NEVER_ATTEMPTED is not one: the agent reports it only beside one of these, and the service
#: settles a dropped queued task with it (a user cancelling one queued task must not end a session).
_ENDED_BADLY = ("FAILED", "CANCELED", "INTERRUPTED")


def advance_session(changes: TaskChanges, session, worker, depth: int = QUEUE_DEPTH) -> bool:
    """Returns whether the session is still open afterwards (only this step ends one).

    A healthy session is topped up to `depth` unfinished taskRuns of its step; one that is winding
    down (ended, failed, canceled, its worker stopping) gets its envExits once nothing else is left.
    Its task changes go to `changes`, which the caller flushes."""
    conn, now = changes.conn, changes.now
    session_id = session.session_id
    pending = sessions.pending_actions(conn, session_id)
    if settle_queued_cancels(changes, pending):
        pending = sessions.pending_actions(conn, session_id)
    if any(a.kind == "envExit" for a in pending):
        return True  # already winding down: the exits run, then the session ends
    busy = [a for a in pending if a.kind != "envExit"]
    queued_runs = sum(1 for a in busy if a.kind == "taskRun" and a.status != "CANCELING")
    if len(busy) > queued_runs or queued_runs >= depth:
        return True  # setting up, canceling, or full: nothing to add this time
    has_exits, ended_badly = sessions.winding_down_marks(conn, session_id, _ENDED_BADLY)
    winding_down = (has_exits or session.target_lifecycle_status == "ENDED" or worker.status != "STARTED"
                    or ended_badly)
    if not winding_down and _next_tasks(changes, session, depth - queued_runs, queued_runs):
        return True
    if busy:
        return True  # the listed tasks finish first; the exits follow them
    if not has_exits:
        _queue_env_exits(conn, session, sessions.actions_of_kind(conn, session_id, "envEnter"), now)
    if not sessions.pending_actions(conn, session_id):
        sessions.end(conn, session_id, now)
        return False
    return True


def settle_queued_cancels(changes: TaskChanges, pending) -> bool:
    """A CANCELING action queued behind another, not reported started, is dropped from the list: the
    agent reports nothing for a queued action it drops (docs/compatibility.md). In two heartbeats,
    because the worker may have finished the action ahead and started this one since its report:
    1. it is marked dropped (`ended_at`, status still CANCELING) and the answer leaves it out;
    2. the next heartbeat, if the worker reported nothing of it, it never ran: NEVER_ATTEMPTED,
       and its task settles. Had it started, the report says so: it is an ordinary cancel again
       (listed in cancelSessionActions), and its task settles by the worker's final report.
    Settled at once, its task could be handed out again (run twice) or, canceled, run on unseen.
    Called after the heartbeat's reports only. Returns whether any action changed."""
    conn, now = changes.conn, changes.now
    changed = False
    for position, action in enumerate(pending):
        if action.status != "CANCELING" or action.started_at is not None:
            continue
        if not dropped(action):
            if position > 0:  # the first may be running unreported: the worker will report it
                sessions.update_action(conn, action.session_action_id, ended_at=now)
                changed = True
            continue
        sessions.update_action(conn, action.session_action_id, status="NEVER_ATTEMPTED", ended_at=now)
        release_limits(conn, action)
        if action.kind == "taskRun":
            task_runs.apply_event(changes, action, task_states.Event.RUN_NEVER_ATTEMPTED, target=action.cancel_target)
        changed = True
    return changed


def _next_tasks(changes: TaskChanges, session, wanted: int, queued: int) -> bool:
    """Give a healthy session up to `wanted` more READY tasks of its step (environments stay entered).

    Tasks beyond the one a session works on are queued ahead only while the step has more READY
    tasks than the fleet has started workers: a few tasks must spread over idle workers, not wait
    behind another worker's. A step that takes limits gets one task at a time, when the session has
    none: a task queued ahead would hold a limit that a free worker could use."""
    conn = changes.conn
    step = dispatch.session_step(conn, session.job_id, session.step_id, session.fleet_id)
    if step is None or not step.claimable:
        return False
    if queued or wanted > 1:
        plenty = step.count_ready > workers.started_in_fleet(conn, session.fleet_id)
        if not plenty:
            if queued:
                return False
            wanted = 1
    return _claim_with_limits(conn, session.queue_id, step.step_id, step.host_requirements,
                              lambda claimed, acquired: _assign_tasks(changes, session, claimed, acquired),
                              count=wanted, queued=queued)


def _claim_with_limits(conn: Connection, queue_id: str, step_id: str, host_requirements: dict | None,
                       assign, count: int = 1, queued: int = 0) -> bool:
    """Acquire the step's limits, then claim READY tasks; give back what was taken if either fails."""
    needed = required_limits(host_requirements, limits.active_for_queue(conn, queue_id)) if (
        host_requirements and host_requirements.get("amounts")) else []
    if needed:
        if queued:
            return False
        count = 1
    acquired = []
    for limit_id, amount in needed:
        if not limits.acquire(conn, limit_id, amount):
            break
        acquired.append({"limitId": limit_id, "count": amount})
    if len(acquired) == len(needed):
        claimed = dispatch.claim_ready_tasks(conn, step_id, count)
        if claimed:
            assign(claimed, acquired)
            return True
    for item in acquired:
        limits.release(conn, item["limitId"], item["count"])
    return False


def required_limits(host_requirements: dict | None, queue_limits) -> list[tuple[str, int]]:
    """(limitId, count) for each amount requirement that names one of the queue's limits: its `min`, else 1."""
    by_name = {row.amount_requirement_name.lower(): row.limit_id for row in queue_limits}
    needed = []
    for requirement in (host_requirements or {}).get("amounts") or []:
        limit_id = by_name.get(requirement["name"].lower())
        if limit_id is not None:
            needed.append((limit_id, max(1, int(requirement.get("min") or 1))))
    return needed


def release_limits(conn: Connection, action) -> None:
    for item in action.acquired_limits or []:
        limits.release(conn, item["limitId"], item["count"])


def _assign_tasks(changes: TaskChanges, session, claimed: list, acquired: list[dict] | None = None,
                  setup: list[dict] | None = None) -> None:
    """Queue the claimed tasks in the session (after `setup` actions, if any) and count them ASSIGNED
    (in `changes`, which the caller flushes)."""
    runs = [{"kind": "taskRun", "step_id": task.step_id, "task_id": task.task_id, "parameters": task.parameters,
             "acquired_limits": acquired or None} for task in claimed]
    sessions.add_actions(changes.conn, session, (setup or []) + runs, changes.now)
    changes.move(session.job_id, session.step_id, {"READY": -len(claimed), "ASSIGNED": len(claimed)})


def _queue_env_exits(conn: Connection, session, env_enters, now: datetime) -> None:
    """envExit for every environment whose envEnter was attempted, innermost first."""
    for action in reversed(env_enters):
        if action.status not in ("ASSIGNED", "NEVER_ATTEMPTED", "CANCELING"):
            sessions.add_action(conn, session, kind="envExit", environment_id=action.environment_id, assigned_at=now)


def start_session(changes: TaskChanges, worker) -> bool:
    """Opens a session on the best step the worker may take; whether it did. Its counter moves are
    written before it returns."""
    conn, now = changes.conn, changes.now
    rows = dispatch.candidate_steps(conn, worker.fleet_id)
    if not rows:
        return False
    candidates = [scheduling.Candidate(
        job_id=row.job_id, step_id=row.step_id, queue_id=row.queue_id, priority=row.priority,
        submitted_at=row.created_at, workers_on_job=row.open_sessions, max_worker_count=row.max_worker_count,
        host_requirements=row.host_requirements, failed_runs=row.task_failure_retry_count + row.count_failed,
        rendering_tasks=row.count_running, step_index=row.step_index)
        for row in rows]
    configurations = {row.queue_id: (row.queue_attributes or {}).get("schedulingConfiguration") for row in rows}
    limit_names = {q: limits.amount_names_for_queue(conn, q) for q in configurations}
    for candidate in scheduling.choose(candidates, worker_capabilities=worker.capabilities,
                                       scheduling=configurations, now=now, limit_amount_names=limit_names):
        if _claim_with_limits(conn, candidate.queue_id, candidate.step_id, candidate.host_requirements,
                              lambda claimed, acquired, chosen=candidate: _open_session(
                                  changes, worker, chosen, claimed, acquired)):
            return True
    return False


def _open_session(changes: TaskChanges, worker, candidate: scheduling.Candidate, claimed: list,
                  acquired: list[dict]) -> None:
    conn, now = changes.conn, changes.now
    job = jobs.get_by_id(conn, candidate.job_id)
    step = steps.get(conn, job.job_id, candidate.step_id)
    session_id = new_id("session")
    sessions.insert(conn, session_id=session_id, farm_id=job.farm_id, queue_id=job.queue_id, job_id=job.job_id,
                    fleet_id=worker.fleet_id, worker_id=worker.worker_id, step_id=step.step_id,
                    lifecycle_status="STARTED", host_properties=worker.host_properties, next_action_index=0,
                    started_at=now)
    session = sessions.get(conn, session_id)
    # The stream the session's logConfiguration names, made for the agent (it only calls PutLogEvents).
    logs.ensure_stream(conn, log_names.session_log_group(session.farm_id, session.queue_id), session_id,
                       int(now.timestamp() * 1000))
    setup = []
    if job.attachments:
        # The job's inputs first; then, for a step that depends on others, what those steps wrote
        # (they may have run in other sessions). The official agent refuses a step-dependency sync
        # in a session whose job-level sync has not run: it has no manifests to map the outputs to.
        setup.append({"kind": "syncInputJobAttachments", "step_id": None})
        if steps.upstream_of(conn, step.step_id):
            setup.append({"kind": "syncInputJobAttachments", "step_id": step.step_id})
    setup += [{"kind": "envEnter", "environment_id": environment_id} for environment_id in environment_ids(job, step)]
    _assign_tasks(changes, session, claimed, acquired, setup=setup)
    changes.flush()


def environment_ids(job, step) -> list[str]:
    """Queue environments, then job environments, then the step's: the entering order."""
    template = job_templates.parse_template(job.template, job.template_type)
    return [environment.environment_id for environment in (
        *job_environments.of_queue(job.job_id, job.queue_environments),
        *job_environments.of_template(job.job_id, template, [(step.step_id, step.template)]))]


def release_worker_sessions(changes: TaskChanges, worker_id: str) -> None:
    """The worker will report nothing more: its unfinished actions end and their tasks go back to READY.

    Each task's change is written before the next action is touched: on PostgreSQL the rows are
    locked in the order they always were (an action, its task, the step's and job's counters)."""
    conn, now = changes.conn, changes.now
    for session in sessions.open_for_worker(conn, worker_id):
        for action in sessions.pending_actions(conn, session.session_id):
            sessions.update_action(conn, action.session_action_id, status="INTERRUPTED", ended_at=now)
            release_limits(conn, action)
            if action.kind == "taskRun":
                task_runs.apply_event(changes, action, task_states.Event.WORKER_LOST, target=action.cancel_target)
                changes.flush()
        sessions.end(conn, session.session_id, now)


def take_back_task(changes: TaskChanges, action) -> None:
    """The service takes an unfinished taskRun back (UpdateSession ENDED): the task goes INTERRUPTING
    and the action CANCELING with target READY, so the worker's final report returns it to READY."""
    task_runs.apply_event(changes, action, task_states.Event.SERVICE_INTERRUPT)
    changes.flush()  # each task taken back is written before the next: the statements UpdateSession always ran
    sessions.request_cancel_for_task(changes.conn, action.task_id, "READY")


def dropped(action) -> bool:
    """A CANCELING action taken off the worker's list, not reported started (settle_queued_cancels)."""
    return action.status == "CANCELING" and action.started_at is None and action.ended_at is not None
