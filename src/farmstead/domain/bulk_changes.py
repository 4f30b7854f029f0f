"""What a bulk task change (a fan-out) means before it is applied, read off the state machine.

A change over a million tasks is applied in batches after the request that asked for it has been
answered (orchestration/deferral.py, orchestration/fan_outs.py). Meanwhile two questions need an
answer from the rules alone:
* does it take READY tasks away (a cancel, a suspend, a failure limit)? Then dispatch must hand out
  none of the job's tasks until it is done, or a worker would start a task the user just canceled;
* what will the job's counts be once it is done? UpdateJob with lifecycleStatus ARCHIVED must be
  refused at once when the job would not end terminal, as it is when the change applies inline.

Owns: those two answers, and two more the engine asks of a step's or job's counts before it moves
tasks: does a change move any task at all, and would the job end finished.
Must not: decide any transition itself (task_states.fan_out does; this
module only reads its table) or touch storage.
"""

from __future__ import annotations

from collections import Counter

from farmstead.domain import rollup, task_states
from farmstead.domain.statuses import TaskRunStatus

S = TaskRunStatus


def holds_dispatch(event: task_states.Event) -> bool:
    """Whether the change moves READY tasks somewhere else (whatever the step's dependencies)."""
    return any(S.READY in task_states.fan_out(event, dependencies_met=met).moves for met in (True, False))


def projected_counts(counts: dict[str, int], event: task_states.Event, *, dependencies_met: bool = True,
                     ) -> dict[str, int] | None:
    """The per-status counts once `event` has reached every task counted in `counts`; None when the
    counts can't tell (a requeue leaves FAILED tasks without retries where they are, and the counts
    don't say how many have retries left)."""
    fan = task_states.fan_out(event, dependencies_met=dependencies_met)
    if fan.retry_guarded & {S(status) for status, n in counts.items() if n}:
        return None
    after: Counter[str] = Counter()
    for status, n in counts.items():
        transition = fan.transitions.get(S(status))
        after[str(transition.new_status) if transition is not None else status] += n
    return {status: n for status, n in after.items() if n}


def moves_some_task(counts: dict[str, int], event: task_states.Event) -> bool:
    """Whether `event` changes the status of some task the counts count (INTERRUPTING tasks that
    only take a new target are not moved)."""
    return any(counts.get(str(source), 0) for source in task_states.fan_out(event, dependencies_met=True).moves)


def ends_terminal(counts: dict[str, int], event: task_states.Event) -> bool:
    """Whether a job with these counts is terminal once `event` has reached all its tasks (False when
    the counts can't tell, see `projected_counts`)."""
    projected = projected_counts(counts, event)
    return projected is not None and rollup.is_terminal(rollup.status_from_counts(projected))

