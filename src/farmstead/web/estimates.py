"""How long frames take and how long a job has left, from the run times so far and the workers on it.

Owns: the arithmetic, as pure functions of a step's counters and its frames' run times (task_maps.py
collects those). A frame's run time is its task's start to its end as the worker reported them; a task
that was retried counts from its first start, so a retried frame reads longer than its last run.
Time left for a step is its unfinished work (each task not yet run at the mean frame time, each running
task at half of it) shared by the tasks running now (one per worker); for a job, the steps' unfinished
work shared by all the job's running tasks. Steps that wait for others run later on the same workers,
so a job's figure is a floor while its first steps run. No figure when nothing has succeeded yet or
nothing runs.
Must not: call the API or know about pages.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from farmstead.domain.statuses import TaskRunStatus as S

#: Tasks still to run (their run time ahead of them in full).
_WAITING = (S.PENDING, S.READY, S.ASSIGNED, S.STARTING, S.SCHEDULED, S.SUSPENDED)
#: Tasks on a worker now (half their run time left, on average).
_RUNNING = (S.RUNNING, S.INTERRUPTING)


@dataclass(frozen=True)
class FrameTimes:
    count: int
    mean_ms: float
    median_ms: float
    max_ms: int


def frame_times(run_ms: list[int]) -> FrameTimes | None:
    if not run_ms:
        return None
    return FrameTimes(len(run_ms), statistics.fmean(run_ms), statistics.median(run_ms), max(run_ms))


def work_left_ms(counts: dict[str, int], times: FrameTimes | None) -> float | None:
    """Frame-milliseconds of work this step still has (None without a run time to go by)."""
    waiting = sum(counts.get(s, 0) for s in _WAITING)
    running = sum(counts.get(s, 0) for s in _RUNNING)
    if not waiting and not running:
        return 0.0
    if times is None:
        return None
    return waiting * times.mean_ms + running * times.mean_ms / 2


def running(counts: dict[str, int]) -> int:
    return sum(counts.get(s, 0) for s in _RUNNING)


def seconds_left(work_ms: float | None, workers: int) -> float | None:
    """Wall-clock seconds for `work_ms` shared by `workers` running tasks; None when nobody works on it."""
    if work_ms is None:
        return None
    if work_ms == 0:
        return 0.0
    if workers <= 0:
        return None
    return work_ms / workers / 1000


def job_seconds_left(steps: list[tuple[dict[str, int], FrameTimes | None]]) -> float | None:
    """For a job: every step's work left, over the tasks the whole job has running."""
    total = 0.0
    for counts, times in steps:
        work = work_left_ms(counts, times)
        if work is None:
            return None
        total += work
    return seconds_left(total, sum(running(counts) for counts, _ in steps))
