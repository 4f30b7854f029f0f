"""The times a worker reports for a session action, kept within the server's clock (pure rule).

Owns: what startedAt, endedAt and updatedAt of an UpdateWorkerSchedule report are recorded as. A
worker's clock may be minutes off (no NTP, a paused VM); stored as given, a task would start in
the server's future, end before it started, or start before it was assigned, and every duration,
roll-up time and "newest run" order built on them would be wrong. So each time is held within
[the action's assignment, now] of the server's clock, an end is never before its start, and a start
already recorded is kept (a fast worker's later reports must not move it). Differences beyond
`TOLERANCE` are listed as corrections, for the session's log to say so.
Must not: read or write storage, or know how a note reaches a log (orchestration/report_times.py does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: Differences up to this are ordinary clock jitter and network delay: still held within bounds,
#: but not worth a note. Beyond it, the session's log says the worker's clock is off.
TOLERANCE = timedelta(seconds=5)


@dataclass(frozen=True)
class Correction:
    """One reported time recorded as another, by more than TOLERANCE."""

    member: str
    """The report's member: startedAt, endedAt or updatedAt."""
    reported: datetime
    recorded: datetime
    reason: str
    """"ahead" (after the server's now), "behind" (before the assignment) or "order" (an end before its start)."""

    def describe(self) -> str:
        seconds = abs((self.reported - self.recorded).total_seconds())
        if self.reason == "ahead":
            why = f"{seconds:.0f} s ahead of the server's clock"
        elif self.reason == "behind":
            why = f"{seconds:.0f} s behind the server's clock (before the action was assigned)"
        else:
            why = f"{seconds:.0f} s before the action's start"
        return f"{self.member} {_stamp(self.reported)} is {why}; recorded as {_stamp(self.recorded)}"


@dataclass(frozen=True)
class SettledTimes:
    started_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime | None
    corrections: tuple[Correction, ...] = ()

    def note(self, session_action_id: str) -> str | None:
        """The session log line about the corrections; None when there are none."""
        if not self.corrections:
            return None
        details = "; ".join(c.describe() for c in self.corrections)
        return (f"Farmstead server: session action {session_action_id} reported times off the server's clock: "
                f"{details}. Check this worker host's clock (NTP).")


def settle(*, started_at: datetime | None, ended_at: datetime | None, updated_at: datetime | None,
           now: datetime, assigned_at: datetime | None = None, recorded_started_at: datetime | None = None,
           tolerance: timedelta = TOLERANCE) -> SettledTimes:
    """The times to record for one report (each None where the report has none).

    Args:
        now: the server's time of this request.
        assigned_at: when the server assigned the action (None for rows from before it was kept):
            nothing of the action happened before it.
        recorded_started_at: the action's start as already recorded by an earlier report; it stays.
    """
    # Another replica's clock may be a little ahead of this one's: the bounds must not cross.
    floor = min(assigned_at, now) if assigned_at is not None else None
    corrections: list[Correction] = []

    def bounded(member: str, value: datetime | None, noted: bool = True) -> datetime | None:
        if value is None:
            return None
        held, reason = value, None
        if value > now:
            held, reason = now, "ahead"
        elif floor is not None and value < floor:
            held, reason = floor, "behind"
        if noted and reason is not None and abs(value - held) > tolerance:
            corrections.append(Correction(member, value, held, reason))
        return held

    started = bounded("startedAt", started_at)
    if recorded_started_at is not None:
        started = recorded_started_at
    ended = bounded("endedAt", ended_at)
    if ended is not None and started is not None and ended < started:
        if started - ended > tolerance and ended_at is not None and not any(
                c.member == "endedAt" for c in corrections):
            corrections.append(Correction("endedAt", ended_at, started, "order"))
        ended = started
    updated = bounded("updatedAt", updated_at, noted=False)  # it says what startedAt/endedAt say
    return SettledTimes(started, ended, updated, tuple(corrections))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
