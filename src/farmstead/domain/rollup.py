"""Task-count arithmetic and the aggregate `taskRunStatus` of steps and jobs (docs/jobs.md, "Status is computed").

Owns: the 12-key `taskRunStatusCounts` map, the deltas a task status change makes to it, the
precedence that turns counts into a step's or job's `taskRunStatus`, the active/terminal split the
waiters use, and the job/step `startedAt`/`endedAt` rules that follow the aggregate.
Must not: read or write storage. The store keeps counts on the job and step rows and applies the
deltas computed here in the same transaction as the task update ("counters on write"); it never
recounts tasks to answer GetJob.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from farmstead.domain.statuses import TaskRunStatus

ALL_STATUSES: tuple[TaskRunStatus, ...] = tuple(TaskRunStatus)
"""Every task run status, in the model's order (the order GetJob lists the counts in)."""

PRECEDENCE: tuple[TaskRunStatus, ...] = (
    TaskRunStatus.RUNNING,
    TaskRunStatus.INTERRUPTING,
    TaskRunStatus.SCHEDULED,
    TaskRunStatus.STARTING,
    TaskRunStatus.ASSIGNED,
    TaskRunStatus.READY,
    TaskRunStatus.PENDING,
    TaskRunStatus.SUSPENDED,
    TaskRunStatus.NOT_COMPATIBLE,
    TaskRunStatus.FAILED,
    TaskRunStatus.CANCELED,
    TaskRunStatus.SUCCEEDED,
)
"""The aggregate is the first status in this order that any task has.

Every active status comes before every terminal one, so the aggregate is terminal exactly when no
task is active: a waiter never sees a finished job while work is still moving. FAILED outranks
CANCELED (a job that hit maxFailedTasksCount reads FAILED though most tasks were canceled), and
NOT_COMPATIBLE outranks CANCELED (an incompatible step cancels its siblings; the job reads
NOT_COMPATIBLE).
"""

TERMINAL_IN_WAITER_ORDER: tuple[TaskRunStatus, ...] = (
    TaskRunStatus.SUCCEEDED,
    TaskRunStatus.FAILED,
    TaskRunStatus.CANCELED,
    TaskRunStatus.SUSPENDED,
    TaskRunStatus.NOT_COMPATIBLE,
)
"""The values the JobComplete waiter stops on, in the waiter's order (the order messages name them in)."""

TERMINAL: frozenset[TaskRunStatus] = frozenset(TERMINAL_IN_WAITER_ORDER)
"""The values the JobComplete waiter stops on; SUSPENDED counts because nothing will move on its own."""

ACTIVE: frozenset[TaskRunStatus] = frozenset(TaskRunStatus) - TERMINAL
"""Work still moving (or waiting to): PENDING, READY, ASSIGNED, STARTING, SCHEDULED, INTERRUPTING, RUNNING."""

Counts = dict[str, int]


def is_terminal(status: str) -> bool:
    return TaskRunStatus(status) in TERMINAL


def is_active(status: str) -> bool:
    return TaskRunStatus(status) in ACTIVE


def empty_counts() -> Counts:
    """All 12 keys at zero: GetJob returns zero counts too, and clients index the map directly."""
    return {status.value: 0 for status in ALL_STATUSES}


def count_statuses(statuses: Iterable[str]) -> Counts:
    """The counts map for a list of task statuses (creation, tests, repair of drifted counters)."""
    counts = empty_counts()
    for status in statuses:
        counts[TaskRunStatus(status).value] += 1
    return counts


def status_from_counts(counts: Mapping[str, int]) -> TaskRunStatus:
    """Aggregate `taskRunStatus` of a step or job from its counts.

    A step or job without tasks reads SUCCEEDED: there is nothing left to do, and a terminal
    value keeps the waiters from hanging on it.
    """
    for status in PRECEDENCE:
        number = counts.get(status.value, 0)
        if number < 0:
            raise ValueError(f"negative task count for {status}: {number}")
        if number:
            return status
    return TaskRunStatus.SUCCEEDED


def delta(old_status: str | None, new_status: str | None, n: int = 1) -> Counts:
    """The change to the counts when `n` tasks move from `old_status` to `new_status`.

    `old_status=None` creates tasks, `new_status=None` deletes them. Keys that don't change are
    left out, so an empty dict means "nothing to write".
    """
    if n < 0:
        raise ValueError(f"n must not be negative: {n}")
    old = None if old_status is None else TaskRunStatus(old_status).value
    new = None if new_status is None else TaskRunStatus(new_status).value
    if old == new or n == 0:
        return {}
    change: Counts = {}
    if old is not None:
        change[old] = -n
    if new is not None:
        change[new] = n
    return change


def combine(*deltas: Mapping[str, int]) -> Counts:
    """One delta with the effect of all of them (a step's moves summed into its job's)."""
    total: Counts = {}
    for one in deltas:
        for key, number in one.items():
            total[TaskRunStatus(key).value] = total.get(TaskRunStatus(key).value, 0) + number
    return {key: number for key, number in total.items() if number}


def apply_delta(counts: Mapping[str, int], change: Mapping[str, int]) -> Counts:
    """New counts (all 12 keys) after `change`; `counts` is not modified.

    A count going below zero means the stored counters drifted from the tasks; raising makes the
    transaction roll back instead of publishing a negative count.
    """
    result = empty_counts()
    for key, number in counts.items():
        result[TaskRunStatus(key).value] = number
    for key, number in change.items():
        name = TaskRunStatus(key).value
        result[name] += number
        if result[name] < 0:
            raise ValueError(f"count for {name} would become {result[name]}")
    return result


def times_after_change(
    old_job_status: str | None,
    new_job_status: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    now: datetime,
    *,
    any_task_started: bool,
) -> tuple[datetime | None, datetime | None]:
    """(`startedAt`, `endedAt`) of a job or step after its aggregate changed.

    Args:
        old_job_status: the aggregate before the change; None for a job or step being created,
            which counts as active (a job created with no tasks, or NOT_COMPATIBLE, has ended).
        new_job_status: the aggregate after the change.
        now: the time to record; pass the worker's reported start time when a run start caused
            the change, if that is what startedAt should show.
        any_task_started: whether any task of the job (step) has ever started running, including
            the change being applied.

    startedAt is set once, at the first task start, and never cleared ("Requeuing the job doesn't
    change this value"). endedAt is set each time the aggregate moves from active to terminal, is
    removed while the aggregate is active again (after a requeue), and is kept as it is when the
    aggregate moves between terminal values (e.g. a FAILED job marked SUCCEEDED did not run again).
    """
    if started_at is None and any_task_started:
        started_at = now
    was_active = old_job_status is None or is_active(old_job_status)
    if is_active(new_job_status):
        ended_at = None
    elif was_active:
        ended_at = now
    return started_at, ended_at


class Aggregate(NamedTuple):
    """What a step or job row shows of its tasks beside the counts: `taskRunStatus`, `startedAt`, `endedAt`."""

    task_run_status: str
    started_at: datetime | None
    ended_at: datetime | None


def after_counts_changed(current: Aggregate, counts: Mapping[str, int], now: datetime) -> Aggregate | None:
    """The aggregate a step or job should have now that its counts are `counts`; None when it has it.

    startedAt is left as it is: the first task start stamps it with the counters (it is never
    cleared, and a roll-up does not know when that start was)."""
    status = status_from_counts(counts)
    started_at, ended_at = times_after_change(current.task_run_status, status, current.started_at, current.ended_at,
                                              now, any_task_started=current.started_at is not None)
    after = Aggregate(str(status), started_at, ended_at)
    return None if after == current else after


def at_creation(counts: Mapping[str, int], now: datetime) -> Aggregate:
    """The aggregate of a step or job whose tasks are all just created: one that starts out finished
    (all NOT_COMPATIBLE or CANCELED, SUSPENDED, or no tasks) has ended at creation."""
    status = status_from_counts(counts)
    started_at, ended_at = times_after_change(None, status, None, None, now, any_task_started=False)
    return Aggregate(str(status), started_at, ended_at)

