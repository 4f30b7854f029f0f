"""Jinja2 templates (autoescaped) and the small filters the pages share: times, durations, users, progress."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from farmstead.domain.statuses import JobLifecycleStatus, SessionActionStatus, WorkerStatus
from farmstead.domain.statuses import TaskRunStatus as S

# The statuses a progress bar shows, in the order it stacks them.
PROGRESS_ORDER = (S.SUCCEEDED, S.RUNNING, S.FAILED, S.CANCELED, S.SUSPENDED)
#: Every task status, in the order the pages' status filters list them (the job's life, then its ends).
TASK_STATUSES = (S.PENDING, S.READY, S.ASSIGNED, S.STARTING, S.SCHEDULED, S.RUNNING, S.INTERRUPTING, S.SUSPENDED,
                 S.CANCELED, S.FAILED, S.SUCCEEDED, S.NOT_COMPATIBLE)


class Renderer:
    def __init__(self, directory: Path) -> None:
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(when=when, duration=duration, seconds=seconds_text, user=user_of, param=parameter_value,
                                short=short_id, task_label=task_label, params_label=parameters_label)
        # The status vocabularies, so that a template compares with `TaskRunStatus.FAILED`, never "FAILED".
        self.env.globals.update(progress=progress, TaskRunStatus=S, SessionActionStatus=SessionActionStatus,
                                WorkerStatus=WorkerStatus, JobLifecycleStatus=JobLifecycleStatus)

    def __call__(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


def when(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(started: datetime | None, ended: datetime | None = None) -> str:
    """How long a run took (to now while it runs): the one way every page shows a duration. Under 10 s
    it keeps tenths (hundredths under 1 s), where a frame's time matters; above, whole seconds."""
    if not isinstance(started, datetime):
        return "—"
    ended = ended if isinstance(ended, datetime) else None
    return seconds_text(max(0.0, ((ended or datetime.now(UTC)) - started).total_seconds()))


def seconds_text(seconds: float | None) -> str:
    """A length of time in seconds, written as `duration` writes one ("—" for None)."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def user_of(arn: str | None) -> str:
    """`arn:aws:iam::123:user/alice` -> `alice`; anything else as it is."""
    if not isinstance(arn, str) or not arn:
        return "—"
    return arn.rsplit("/", 1)[-1] if ":user/" in arn or ":role/" in arn else arn


def short_id(value: str | None) -> str:
    """`job-0123456789abcdef...` shortened for tables; the full id stays in the link and title."""
    if not isinstance(value, str) or not value:
        return "—"
    parts = value.split("-")
    if len(parts) == 3 and parts[2].isdigit():  # task-<step>-<index>: the index is what tells tasks apart
        return f"{parts[0]}-{parts[1][:6]}…-{parts[2]}"
    prefix, _, rest = value.partition("-")
    return f"{prefix}-{rest[:8]}…" if len(rest) > 10 else value


def parameters_label(parameters: dict[str, Any] | None) -> str:
    """A task by what it renders: `Frame 17`, or `Frame 17 · Layer beauty`; "" without parameters."""
    if not isinstance(parameters, dict) or not parameters:
        return ""
    return " · ".join(f"{name} {parameter_value(value)}" for name, value in sorted(parameters.items()))


def task_label(task: dict[str, Any] | None) -> str:
    """What a task is called in lists: its parameters, else its short id."""
    if not isinstance(task, dict):
        return "—"
    return parameters_label(task.get("parameters")) or short_id(task.get("taskId"))


def parameter_value(value: Any) -> str:
    """A job or task parameter as the API gives it ({"int": "3"}, {"string": "x"}, ...)."""
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)


def progress(counts: dict[str, int] | None) -> dict[str, Any]:
    """Done/total and stacked bar segments (percent) from an item's taskRunStatusCounts."""
    counts = counts if isinstance(counts, dict) else {}
    total = sum(counts.values())
    done = counts.get(S.SUCCEEDED, 0)
    segments = []
    for status in PROGRESS_ORDER:
        n = counts.get(status, 0)
        if n and total:
            segments.append({"status": status, "count": n, "percent": round(100 * n / total, 2)})
    return {"done": done, "total": total, "failed": counts.get(S.FAILED, 0), "segments": segments,
            "percent": round(100 * done / total) if total else 0}
