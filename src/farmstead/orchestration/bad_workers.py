"""Bad workers (docs/self-managing.md): a failed run recorded against its worker, the worker
blocklisted for the job when its queue's rule says so, and the fallback that keeps a job from
stalling when the only workers left are the ones that failed it.

Owns: the use case around domain/scheduling's bad-worker rules. Must not: write SQL (store/blocklists
does) or decide the rules (domain/scheduling does).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from farmstead.domain import scheduling
from farmstead.domain.worker_holds import WorkerHold
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import blocklists, sessions, workers


def record_failed_run(changes: TaskChanges, action, worker_id: str) -> bool:
    """The taskRun `action` (read with its session's farm and queue) failed on `worker_id`: the task
    is marked as failed by the worker ("fail a task once") and the failure counted against the worker
    on the job, once per session; returns whether that put the worker on the job's blocklist just now.
    Three statements (the session's earlier failure, the count, the queue's settings), plus one when
    it blocklists."""
    conn, now = changes.conn, changes.now
    changes.write_task(action.task_id, {"last_failed_worker_id": worker_id})
    if action.session_id in changes.failure_counted_sessions or \
            sessions.task_run_failed_before(conn, action.session_id, action.action_index):
        # A session counts once: after a failed run the session can only wind down, and the official
        # agent reports the runs it had queued behind it FAILED too ("Session must be in the READY
        # state"), which says nothing more about the worker. Such a run may come in the same
        # heartbeat as the failure (a worker batching its reports): then only `changes` knows.
        return False
    changes.failure_counted_sessions.add(action.session_id)
    counted = blocklists.count_failure(conn, action.job_id, worker_id, now)
    queue_tags, fleet_tags = blocklists.settings_tags(conn, action.session_farm_id, action.session_queue_id,
                                                      action.session_fleet_id)
    if _fleet_rule(conn, worker_id, scheduling.fleet_failure_rule(fleet_tags), now):
        changes.newly_held.add(worker_id)
    if counted.blocked or not scheduling.blocklists(counted.failures, scheduling.bad_worker_settings(queue_tags)):
        return False
    blocklists.block(conn, action.job_id, worker_id, now)
    return True


def _fleet_rule(conn: Connection, worker_id: str, rule: scheduling.FleetFailureRule, now: datetime) -> bool:
    """A node gone bad (the fleet's rule, off by default): disabled, the reason stored with the hold;
    whether it was."""
    if not rule.disable_after:
        return False
    failures = blocklists.failures_since(conn, worker_id, now - timedelta(seconds=rule.window_seconds))
    reason = scheduling.disable_reason(failures, rule)
    if reason is None:
        return False
    workers.update(conn, worker_id, hold=WorkerHold.DISABLE.value, hold_reason=reason)
    return True


def settings_of_queue(conn: Connection, farm_id: str, queue_id: str) -> scheduling.BadWorkerSettings:
    return scheduling.bad_worker_settings(blocklists.queue_tags(conn, farm_id, queue_id))


def may_fall_back(conn: Connection, candidate: scheduling.Candidate, farm_id: str, worker_id: str, *,
                  blocked: bool) -> bool:
    """Whether the worker may take the candidate's tasks it failed last, or the job it is blocked on
    (domain/scheduling.may_fall_back): read only once the worker found nothing else to do."""
    other = blocklists.other_worker_exists(conn, candidate.job_id, worker_id)
    if other:
        return False
    settings = settings_of_queue(conn, farm_id, candidate.queue_id) if blocked else scheduling.BadWorkerSettings()
    return scheduling.may_fall_back(blocked=blocked, other_eligible_worker=other, settings=settings)
