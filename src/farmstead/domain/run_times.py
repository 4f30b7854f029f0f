"""Running longest (docs/self-managing.md): a run far beyond its step's median run time is flagged.

Owns: the median of a step's finished runs and when a running task counts as far beyond it.
Must not: query anything (store/stuck_tasks.py reads the runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

#: A run longer than this many times its step's median is far beyond it.
FAR_BEYOND_FACTOR = 3.0
#: Fewer finished runs than this give no median worth comparing with.
MIN_SAMPLES = 3


def step_median(run_seconds: Sequence[float]) -> float | None:
    """The median of the step's finished runs, None with too few of them."""
    return median(run_seconds) if len(run_seconds) >= MIN_SAMPLES else None


def times_median(running_seconds: float, step_median_seconds: float | None) -> float | None:
    if step_median_seconds is None or step_median_seconds <= 0:
        return None
    return running_seconds / step_median_seconds


def far_beyond(running_seconds: float, step_median_seconds: float | None) -> bool:
    ratio = times_median(running_seconds, step_median_seconds)
    return ratio is not None and ratio > FAR_BEYOND_FACTOR
