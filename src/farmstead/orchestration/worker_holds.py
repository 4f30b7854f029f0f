"""Putting an operator's hold on workers, or lifting it (docs/self-managing.md, "Drain and disable";
the meaning of each hold is domain/worker_holds.py's).

Owns: the hold written on the worker rows and, for DISABLE, the worker's open sessions taken back
as UpdateSession(ENDED) takes one back: their unfinished taskRuns canceled with target READY (no
retry spent), their setup canceled, the sessions wound down (envExits run). The heartbeat does the
rest: a held worker gets no new session, its sessions get no more tasks.
Must not: write SQL (the store does) or decide what a hold means.
"""

from __future__ import annotations

from farmstead.domain import worker_holds
from farmstead.domain.statuses import SessionActionStatus as A
from farmstead.domain.statuses import SessionLifecycleStatus, SessionLifecycleTargetStatus
from farmstead.domain.worker_holds import WorkerHold
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.orchestration.worker_sessions import take_back_task
from farmstead.store import sessions, workers

_UNFINISHED = (A.ASSIGNED, A.SCHEDULED, A.RUNNING)


def hold(changes: TaskChanges, worker_ids: list[str], new_hold: WorkerHold | None, who: str) -> int:
    """Puts `new_hold` on the workers (None: enables them again); how many there were. Its task
    changes go to `changes`, which the caller flushes."""
    conn, now = changes.conn, changes.now
    for worker_id in worker_ids:
        workers.update(conn, worker_id, hold=None if new_hold is None else new_hold.value, hold_reason=None,
                       updated_at=now, updated_by=who)
        if worker_holds.requeues_running(new_hold):
            _take_back_sessions(changes, worker_id)
    return len(worker_ids)


def _take_back_sessions(changes: TaskChanges, worker_id: str) -> None:
    conn, now = changes.conn, changes.now
    for session in sessions.open_for_worker(conn, worker_id):
        if session.target_lifecycle_status == SessionLifecycleTargetStatus.ENDED:
            continue  # already winding down
        sessions.update(conn, session.session_id, target_lifecycle_status=SessionLifecycleTargetStatus.ENDED,
                        lifecycle_status=SessionLifecycleStatus.UPDATE_IN_PROGRESS, updated_at=now)
        for action in sessions.pending_actions(conn, session.session_id):
            if action.kind == "taskRun" and action.status in _UNFINISHED:
                take_back_task(changes, action)
        sessions.request_cancel_for_session_setup(conn, session.session_id)
