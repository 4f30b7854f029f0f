"""What the worker tells the server about its session actions: `updatedSessionActions` values.

Owns: turning an openjd-sessions `ActionStatus` (or a failure before any process ran) into the report
fields the official agent sends (docs/compatibility.md, UpdateWorkerSchedule), and `ActionReports`,
the latest report per action until an UpdateWorkerSchedule call has carried it. Must not: run anything
or call the server.

Field rules: ISO timestamps (botocore serializes the datetimes); `updatedAt` only while running;
`progressPercent` only when truthy, clamped to 0..100; `progressMessage` from `openjd_status` (or
`openjd_fail` / the error on failure), at most 4096 characters; `processExitCode` folded into a
signed 32-bit integer; TIMEOUT reported as FAILED.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from openjd.sessions import ActionState, ActionStatus

from farmstead.protocol.shapes import CompletedStatus

MAX_MESSAGE = 4096
TIMEOUT_MESSAGE = "TIMEOUT - Exceeded the allotted runtime limit."


def exit_code32(code: int) -> int:
    """An exit status as the model's signed 32-bit ProcessExitCode (Windows codes are unsigned)."""
    code &= 0xFFFFFFFF
    return code - 0x1_0000_0000 if code >= 0x8000_0000 else code


def _message(text: str | None) -> str | None:
    return text[:MAX_MESSAGE] if text else None


def _percent(progress: float | None) -> float | None:
    return min(100.0, max(0.0, float(progress))) if progress else None


def running(started_at: datetime, now: datetime, status: ActionStatus | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {"startedAt": started_at, "updatedAt": now}
    if status is not None:
        if (message := _message(status.status_message)) is not None:
            report["progressMessage"] = message
        if (percent := _percent(status.progress)) is not None:
            report["progressPercent"] = percent
    return report


def completed(started_at: datetime, ended_at: datetime, status: ActionStatus) -> dict[str, Any]:
    """The final report of an action whose process (or lack of one) has ended."""
    report: dict[str, Any] = {"startedAt": started_at}
    message: str | None
    if status.state == ActionState.SUCCESS:
        report["completedStatus"] = CompletedStatus.SUCCEEDED
        message = status.status_message
        percent = _percent(status.progress)
        if percent is not None:
            report["progressPercent"] = percent
    elif status.state == ActionState.CANCELED:
        report["completedStatus"] = CompletedStatus.CANCELED
        message = status.fail_message or status.status_message
    elif status.state == ActionState.TIMEOUT:
        report["completedStatus"] = CompletedStatus.FAILED
        message = TIMEOUT_MESSAGE
    else:
        report["completedStatus"] = CompletedStatus.FAILED
        message = status.fail_message
        if not message and status.exit_code is not None:
            message = f"Process exited with code {status.exit_code}"
        message = message or status.status_message
    if status.exit_code is not None:
        report["processExitCode"] = exit_code32(status.exit_code)
    if (text := _message(message)) is not None:
        report["progressMessage"] = text
    report["endedAt"] = ended_at
    return report


def failed(started_at: datetime, ended_at: datetime, message: str) -> dict[str, Any]:
    """An action that failed before (or without) running a process: bad entity, bad template, ..."""
    return {"startedAt": started_at, "completedStatus": CompletedStatus.FAILED,
            "progressMessage": _message(message) or "failed", "endedAt": ended_at}


def succeeded_without_process(started_at: datetime, ended_at: datetime) -> dict[str, Any]:
    return {"startedAt": started_at, "completedStatus": CompletedStatus.SUCCEEDED, "endedAt": ended_at}


def interrupted(started_at: datetime, ended_at: datetime, message: str,
                exit_code: int | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {"startedAt": started_at, "completedStatus": CompletedStatus.INTERRUPTED,
                              "progressMessage": _message(message), "endedAt": ended_at}
    if exit_code is not None:
        report["processExitCode"] = exit_code32(exit_code)
    return report


def never_attempted(reason: str) -> dict[str, Any]:
    """No times: the action never started."""
    return {"completedStatus": CompletedStatus.NEVER_ATTEMPTED,
            "progressMessage": _message(reason) or "never attempted"}


class ActionReports:
    """The latest report per session action, kept until an UpdateWorkerSchedule call carried it.

    A report replaced while a call was in flight stays for the next call: `commit` removes only the
    values that were sent. `on_completed` is called after a final report is put: the scheduler
    sends it at once rather than at its next interval (the task's status reaches GetJob meanwhile).
    """

    def __init__(self, on_completed: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, Any]] = {}
        self._on_completed = on_completed

    def put(self, action_id: str, report: dict[str, Any]) -> None:
        with self._lock:
            previous = self._items.get(action_id)
            if previous is not None and "completedStatus" in previous and "completedStatus" not in report:
                return  # a late progress callback must not hide the completion
            self._items[action_id] = report
        if "completedStatus" in report and self._on_completed is not None:
            self._on_completed()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._items)

    def commit(self, sent: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            for action_id, report in sent.items():
                if self._items.get(action_id) is report:
                    del self._items[action_id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
