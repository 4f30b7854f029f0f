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

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain import job_environments, job_templates, log_names, scheduling, task_states, worker_holds
from farmstead.domain import worker_sessions as rules
from farmstead.domain.scheduling import QUEUE_DEPTH
from farmstead.domain.statuses import SessionActionStatus as A
from farmstead.domain.statuses import SessionLifecycleStatus, SessionLifecycleTargetStatus, TaskRunStatus
from farmstead.ids import new_id
from farmstead.orchestration import bad_workers, events, report_times, task_runs
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import dispatch, jobs, limits, logs, sessions, steps
from farmstead.store.pipelines import Pipelined

# --- 1. reports ----------------------------------------------------------------------------------

def apply_report(changes: TaskChanges, worker_id: str, action_id: str,
                 report: Mapping[str, Any]) -> tuple[str, float] | None:
    """Applies one action's report (domain/worker_sessions.plan_report); returns (session id, seconds
    it ran) when it says a taskRun succeeded (the session's queue depth follows its tasks' run times),
    else None. Its writes go to `changes`, which the caller flushes."""
    conn, now = changes.conn, changes.now
    action = changes.action(action_id)
    if action is None or rules.stale(action) or action.session_worker_id != worker_id:
        return None  # unknown, duplicate, late or another worker's: the agent is never told off for it
    completed = report.get("completedStatus")
    times = report_times.settle(conn, action, report, now, final=completed is not None)
    plan = rules.plan_report(action, report, times, now, cancel_target=action.cancel_target)
    changes.write_action(action_id, plan.values)
    if plan.releases_limits:
        release_limits(conn, action)
    events = plan.events
    if plan.setup_failed_events is not None:
        changes.flush()  # the same call may have reported the session's setup FAILED
        if sessions.has_action(conn, action.session_id, kinds=rules.SETUP_KINDS, statuses=(A.FAILED,)):
            events = plan.setup_failed_events
    if plan.run_seconds is not None and action.step_id is not None:
        # Held with the task's counter move (before a flush the run's end may cause): one step UPDATE.
        changes.timed_run(action.job_id, action.step_id, plan.run_seconds)
    if events:
        task_runs.apply_events(changes, action, list(events), started_at=plan.task_started_at,
                               target=plan.task_target)
        if task_states.Event.RUN_FAILED in events and action.kind == "taskRun" and changes.bad_worker_rules:
            bad_workers.record_failed_run(changes, action, worker_id)
    if plan.run_seconds is None:
        return None
    changes.tally.run_seconds.append((action.session_queue_id, plan.run_seconds))
    return action.session_id, plan.run_seconds


# --- 2. sessions ---------------------------------------------------------------------------------

def advance_session(changes: TaskChanges, session, worker, depth: int = QUEUE_DEPTH) -> bool:
    """Moves the session on as domain/worker_sessions.plan_session says; returns whether it is still
    open afterwards (only this step ends one). Its writes go to `changes`, which the caller flushes:
    the counters of every session at once, with the reports' (`TaskChanges.defer_counters`)."""
    conn, now = changes.conn, changes.now
    session_id = session.session_id
    listed: Sequence[rules.Action] = sessions.pending_actions(conn, session_id)
    cancels = rules.queued_cancels(listed)
    if cancels:
        moved_others = settle_queued_cancels(changes, listed, cancels)
        listed = sessions.pending_actions(conn, session_id) if moved_others else rules.after_cancels(listed, cancels)
    facts = {"depth": depth, "ending": session.target_lifecycle_status == SessionLifecycleTargetStatus.ENDED,
             # A held worker's sessions wind down like a STOPPING worker's (domain/worker_holds).
             "worker_started": worker_holds.takes_new_work(worker.status, worker.hold)}
    plan = rules.plan_session(listed, marks=None, **facts)
    if plan.next is rules.Next.NEEDS_MARKS:
        marks = rules.Marks(*sessions.winding_down_marks(conn, session_id, rules.ENDED_BADLY))
        plan = rules.plan_session(listed, marks=marks, **facts)
    next_ = plan.next
    if next_ is rules.Next.TOP_UP:
        if _next_tasks(changes, session, plan.wanted, plan.queued):
            return True
        next_ = plan.then
    if next_ is rules.Next.WAIT:
        return True
    exits = [] if plan.exits_queued else rules.env_exits(sessions.actions_of_kind(conn, session_id, "envEnter"))
    if exits:
        sessions.add_actions(conn, session, [{"kind": "envExit", "environment_id": environment_id}
                                             for environment_id in exits], now)
        return True
    sessions.end(conn, session_id, now)  # nothing listed, nothing left to exit
    return False


def settle_queued_cancels(changes: TaskChanges, listed, cancels: rules.QueuedCancels) -> bool:
    """Applies `cancels` (domain/worker_sessions.QueuedCancels says why, in two heartbeats) to the
    session's `listed` actions. Called after the heartbeat's reports only. Returns whether settling
    a task moved others (a failure limit, a dependency), so what was read of the session is stale."""
    moved_others = False
    for action in listed:
        if action.session_action_id in cancels.drop:
            changes.write_action(action.session_action_id, {"ended_at": changes.now})
        elif action.session_action_id in cancels.settle:
            changes.write_action(action.session_action_id, {"status": A.NEVER_ATTEMPTED.value, "ended_at": changes.now})
            release_limits(changes.conn, action)
            if action.kind == "taskRun":
                moved_others = task_runs.apply_event(changes, action, task_states.Event.RUN_NEVER_ATTEMPTED,
                                                     target=action.cancel_target) or moved_others
    if moved_others:
        changes.flush_rows()  # the session is read again
    return moved_others


def _next_tasks(changes: TaskChanges, session, wanted: int, queued: int) -> bool:
    """Give a healthy session up to `wanted` more READY tasks of its step (environments stay
    entered), as domain/worker_sessions.top_up and .limited allow; whether it got any."""
    conn = changes.conn
    step = dispatch.session_step(conn, session.job_id, session.step_id, session.fleet_id,
                                 with_started_workers=rules.counts_fleet(wanted, queued))
    if step is None or not step.claimable:
        return False
    # The step's READY count as this heartbeat's reports left it (their counter moves are written later).
    ready = step.count_ready + changes.deferred(step.step_id, TaskRunStatus.READY)
    count = rules.top_up(wanted, queued, ready=ready, started_workers=step.started_workers)
    return count > 0 and _claim_with_limits(
        conn, session.queue_id, step.step_id, step.host_requirements,
        lambda claimed, acquired: _assign_tasks(changes, session, claimed, acquired), count=count, queued=queued,
        skip_failed_by=session.worker_id if changes.bad_worker_rules else "")


def _claim_with_limits(conn: Connection, queue_id: str, step_id: str, host_requirements: dict | None,
                       assign, count: int = 1, queued: int = 0, skip_failed_by: str = "") -> bool:
    """`skip_failed_by`: a worker whose last failed tasks are not claimed ("": none skipped)."""
    """Acquire the step's limits, then claim READY tasks; give back what was taken if either fails."""
    needed = required_limits(host_requirements, limits.active_for_queue(conn, queue_id)) if (
        host_requirements and host_requirements.get("amounts")) else []
    count = rules.limited(count, queued, takes_limits=bool(needed))
    if not count:
        return False
    acquired: list[dict[str, Any]] = []  # as the actions record them: {"limitId", "count"}
    for limit_id, amount in needed:
        if not limits.acquire(conn, limit_id, amount):
            break
        acquired.append({"limitId": limit_id, "count": amount})
    if len(acquired) == len(needed):
        claimed = dispatch.claim_ready_tasks(conn, step_id, count, skip_failed_by)
        if claimed:
            assign(claimed, acquired)
            return True
    for item in acquired:
        limits.release(conn, item["limitId"], item["count"])
    return False


def required_limits(host_requirements: dict | None, queue_limits) -> list[tuple[str, int]]:
    """(limitId, count) of the queue's limits (rows) the step's amount requirements take."""
    return rules.required_limits(host_requirements, [(row.amount_requirement_name, row.limit_id)
                                                     for row in queue_limits])


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
    changes.tally.handed_out += len(claimed)
    events.task_run_status_changed(changes.conn, session.job_id, session.step_id, [task.task_id for task in claimed],
                                   TaskRunStatus.READY, TaskRunStatus.ASSIGNED, changes.now)
    changes.move(session.job_id, session.step_id,
                 {TaskRunStatus.READY.value: -len(claimed), TaskRunStatus.ASSIGNED.value: len(claimed)})


def start_session(changes: TaskChanges, worker, candidate_rows: list | None = None) -> bool:
    """Opens a session on the best step the worker may take; whether it did. Its counter moves are
    written before it returns. `candidate_rows`: the rows of the statement `candidate_steps_for` gives, when
    the caller has them already, read after the last change of this transaction (else read here)."""
    conn, now = changes.conn, changes.now
    rules = changes.bad_worker_rules
    rows = candidate_rows if candidate_rows is not None else dispatch.candidate_steps(
        conn, worker.fleet_id, worker.worker_id if rules else None)
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
    chosen = scheduling.choose(candidates, worker_capabilities=worker.capabilities,
                               scheduling=configurations, now=now, limit_amount_names=limit_names)
    # Bad workers (docs/self-managing.md): jobs the worker is blocklisted on, and tasks it failed
    # last, only once nothing else is left and no other worker could take them.
    blocked = {row.job_id for row in rows if row.worker_blocked}
    for candidate in scheduling.not_blocked(chosen, blocked):
        if _open_on(changes, worker, candidate, skip_failed_by=worker.worker_id if rules else ""):
            return True
    for candidate in chosen[:FALLBACK_CANDIDATES] if rules else ():
        if bad_workers.may_fall_back(conn, candidate, worker.farm_id, worker.worker_id,
                                     blocked=candidate.job_id in blocked) and _open_on(changes, worker, candidate):
            return True
    return False


def candidate_steps_for(changes: TaskChanges, fleet_id: str, worker_id: str) -> tuple[Pipelined, dict[str, Any]]:
    """The statement start_session reads its candidates with, to be sent ahead with others."""
    return dispatch.candidate_steps_statement(fleet_id, worker_id if changes.bad_worker_rules else None)


#: Candidates the fallback looks at (each costs a read): the best few, as dispatch ordered them.
FALLBACK_CANDIDATES = 4


def _open_on(changes: TaskChanges, worker, candidate: scheduling.Candidate, skip_failed_by: str = "") -> bool:
    return _claim_with_limits(changes.conn, candidate.queue_id, candidate.step_id, candidate.host_requirements,
                              lambda claimed, acquired: _open_session(changes, worker, candidate, claimed, acquired),
                              skip_failed_by=skip_failed_by)


def _open_session(changes: TaskChanges, worker, candidate: scheduling.Candidate, claimed: list,
                  acquired: list[dict]) -> None:
    conn, now = changes.conn, changes.now
    job = jobs.get_existing(conn, candidate.job_id)
    step = steps.get_existing(conn, job.job_id, candidate.step_id)
    session_id = new_id("session")
    sessions.insert(conn, session_id=session_id, farm_id=job.farm_id, queue_id=job.queue_id, job_id=job.job_id,
                    fleet_id=worker.fleet_id, worker_id=worker.worker_id, step_id=step.step_id,
                    lifecycle_status=SessionLifecycleStatus.STARTED, host_properties=worker.host_properties,
                    next_action_index=0,
                    started_at=now)
    session = sessions.get_existing(conn, session_id)
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
            sessions.update_action(conn, action.session_action_id, status=A.INTERRUPTED, ended_at=now)
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
    sessions.request_cancel_for_task(changes.conn, action.task_id, TaskRunStatus.READY)
