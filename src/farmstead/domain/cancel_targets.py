"""What a canceled session action's task becomes: the vocabulary of session_actions.cancel_target.

Owns: that vocabulary, Farmstead's own (the model has none): every task run status, the target a
user's or the service's cancel names, and FARMSTEAD_STUCK, a run canceled as stuck
(domain/stuck_tasks.py), whose confirmation by the worker counts as the run's failure. Its members
build the column's CHECK constraint (store/schema.py).
"""

from __future__ import annotations

from enum import StrEnum


class CancelTarget(StrEnum):
    """A task run status (tests/domain/test_cancel_targets.py keeps them in step with TaskRunStatus),
    or FARMSTEAD_STUCK."""

    PENDING = "PENDING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    STARTING = "STARTING"
    SCHEDULED = "SCHEDULED"
    INTERRUPTING = "INTERRUPTING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    FARMSTEAD_STUCK = "FARMSTEAD_STUCK"
