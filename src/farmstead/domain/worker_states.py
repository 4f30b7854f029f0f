"""A worker's status rules: which statuses it may move to, and what each status lets it do.

Owns: UpdateWorker's handshake (which status a worker may set from which: docs/compatibility.md),
which moves give back what the worker held, the statuses the liveness sweep watches (online), the
statuses a worker heartbeats and runs sessions in (working), the one it is given new sessions in,
the ones it may be deleted in, and the RUNNING/IDLE a STARTED worker is shown as.
Must not: read or write a worker (store/workers.py), or move its sessions (orchestration/worker_sessions.py).

The sets that the store hands to SQL `IN (...)` are tuples, so that a statement's text is the same in
every process (a frozenset of strings iterates in a per-process hash order).
"""

from __future__ import annotations

from collections.abc import Mapping

from farmstead.domain.statuses import UpdatedWorkerStatus, WorkerStatus

W = WorkerStatus

ALLOWED_FROM: Mapping[UpdatedWorkerStatus, frozenset[WorkerStatus]] = {
    # The agent's STARTED handshake: accepted from CREATED, STARTED (a restart), STOPPED and
    # NOT_RESPONDING; a STOPPING worker must first say STOPPED, a NOT_COMPATIBLE one too.
    UpdatedWorkerStatus.STARTED: frozenset({W.CREATED, W.STARTED, W.STOPPED, W.NOT_RESPONDING}),
    UpdatedWorkerStatus.STOPPING: frozenset({W.CREATED, W.STARTED, W.STOPPING}),
    UpdatedWorkerStatus.STOPPED: frozenset({W.CREATED, W.STARTED, W.STOPPING, W.STOPPED, W.NOT_RESPONDING,
                                            W.NOT_COMPATIBLE}),
}
"""UpdateWorker `status` -> the stored statuses a worker may set it from; from any other, a ConflictException."""

RELEASING: frozenset[UpdatedWorkerStatus] = frozenset({UpdatedWorkerStatus.STARTED, UpdatedWorkerStatus.STOPPED})
"""A worker that becomes one of these (from another status) holds nothing: its sessions are given back."""

ONLINE: tuple[WorkerStatus, ...] = (W.CREATED, W.STARTED, W.STOPPING)
"""The statuses the liveness sweep watches: silent for too long in one, a worker becomes NOT_RESPONDING."""

WORKING: tuple[WorkerStatus, ...] = (W.STARTED, W.STOPPING)
"""The statuses a worker heartbeats in (UpdateWorkerSchedule) and runs sessions in, and so may take
its queues' roles in; a STOPPING worker finishes what it holds."""

TAKING_WORK = W.STARTED
"""The one status a worker is given new sessions in (dispatch counts a fleet's workers in it too)."""

DELETABLE: tuple[WorkerStatus, ...] = (W.STOPPED, W.NOT_RESPONDING, W.CREATED)
"""DeleteWorker's statuses: a worker that holds no work and will not report again."""

DRAINED = W.STOPPED
"""The `desiredWorkerStatus` a STOPPING worker is sent once it holds no session."""

SHOWN_BUSY = W.RUNNING
"""How a STARTED worker that holds a session is shown (GetWorker, ListWorkers, SearchWorkers)."""

SHOWN_IDLE = W.IDLE
"""How a STARTED worker that holds no session is shown."""


def may_become(current: str, wanted: str) -> bool:
    """Whether UpdateWorker may move a worker stored as `current` to `wanted` (an UpdatedWorkerStatus)."""
    return current in ALLOWED_FROM[UpdatedWorkerStatus(wanted)]


def releases_sessions(current: str, wanted: str) -> bool:
    """Whether a move from `current` to `wanted` gives back every session the worker held."""
    return wanted in RELEASING and current != wanted


def is_working(status: str) -> bool:
    return status in WORKING


def is_deletable(status: str) -> bool:
    return status in DELETABLE


def shown_status(stored: str, holds_session: bool) -> WorkerStatus:
    """The status a worker is shown with: RUNNING or IDLE for a STARTED worker, else the stored one."""
    if stored == W.STARTED:
        return SHOWN_BUSY if holds_session else SHOWN_IDLE
    return W(stored)


def desired_status(stored: str, holds_session: bool) -> WorkerStatus | None:
    """The `desiredWorkerStatus` a heartbeat answers: STOPPED for a drained STOPPING worker, else none."""
    if stored == W.STOPPING and not holds_session:
        return DRAINED
    return None
