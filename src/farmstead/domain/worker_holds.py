"""An operator's hold on a worker (docs/self-managing.md, "Drain and disable"): drain it (it finishes
what it runs and takes nothing new), drain and stop it (then the service tells it STOPPED), or
disable it (its running work goes back to READY at once and it takes nothing new); no hold: enabled.

Owns: what each hold means for the heartbeat. Must not: touch storage (orchestration/worker_holds.py
applies a hold; the heartbeat asks the functions here).
The hold is Farmstead's own, beside the model's worker status: a held worker stays STARTED (or IDLE,
RUNNING as ListWorkers derives it), as the agent itself knows nothing of it.
"""

from __future__ import annotations

from enum import StrEnum

from farmstead.domain import worker_states


class WorkerHold(StrEnum):
    DRAIN = "DRAIN"
    """Finish what it runs (its queued tasks too), take nothing new; it stays up, idle."""
    DRAIN_AND_STOP = "DRAIN_AND_STOP"
    """As DRAIN, then desiredWorkerStatus STOPPED: the agent's own drain-and-stop. Lifted when the
    worker starts again (UpdateWorker STARTED), so a restarted node works again."""
    DISABLE = "DISABLE"
    """Take nothing new; what it runs is canceled and goes back to READY without spending a retry."""


def parse(value: str | None) -> WorkerHold | None:
    return WorkerHold(value) if value else None


def takes_new_work(status: str, hold: str | None) -> bool:
    """Whether dispatch may open or top up the worker's sessions."""
    return status == worker_states.TAKING_WORK and hold is None


def told_to_stop(status: str, hold: str | None, *, holds_sessions: bool) -> bool:
    """Whether the heartbeat answers desiredWorkerStatus STOPPED: a STOPPING worker (its own drain)
    or one held DRAIN_AND_STOP, once it holds no session."""
    if holds_sessions:
        return False
    drained = worker_states.desired_status(status, holds_session=False) is not None
    return drained or hold == WorkerHold.DRAIN_AND_STOP


def requeues_running(hold: WorkerHold | None) -> bool:
    """Whether putting the hold on takes the worker's unfinished tasks back."""
    return hold is WorkerHold.DISABLE


def after_start(hold: str | None) -> str | None:
    """The hold once the worker starts again: a drain-and-stop is done; the others stay."""
    return None if hold == WorkerHold.DRAIN_AND_STOP else hold
