"""A workstation's idle rule: join the farm only after N minutes without keyboard or mouse input.

Owns: reading how long the host's input has been left alone, where that can be read: the X server's
idle time through `xprintidle` (when it is installed and the worker can reach the display), else the
interrupt counts of the PS/2 keyboard and mouse controller (`i8042` lines of /proc/interrupts: laptop
keyboards and touchpads; USB keyboards and mice share their controller's interrupt with other USB
devices, so they can't be told apart there); and the rule work_hours.py asks (`ready`, `reason`).
The parsing functions are pure. Must not: call the server or decide what the worker does when the
rule says no (agent.py, through work_hours.py).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

log = logging.getLogger("farmstead.worker")

#: How often the input is looked at: a user coming back is noticed within this many seconds.
RECHECK_SECONDS = 5.0
_INTERRUPTS = Path("/proc/interrupts")


class IdleSource(Protocol):
    name: str

    def idle_seconds(self) -> float | None:
        """Seconds since the last input; None when it can't be read right now."""


def input_interrupts(text: str) -> int | None:
    """The total count of the keyboard/mouse controller's (i8042) interrupts over every CPU, from
    /proc/interrupts text; None when the host has none."""
    total, found = 0, False
    for line in text.splitlines()[1:]:
        if "i8042" not in line:
            continue
        found = True
        total += sum(int(field) for field in line.split(":", 1)[1].split() if field.isdigit())
    return total if found else None


def xprintidle_seconds(output: str) -> float | None:
    """`xprintidle` prints the X server's idle time in milliseconds."""
    text = output.strip()
    return int(text) / 1000 if re.fullmatch(r"\d+", text) else None


class XIdle:
    """The X server's idle time (keyboard, mouse, tablet: whatever X sees)."""

    name = "the X display's idle time (xprintidle)"

    def __init__(self, binary: str) -> None:
        self._binary = binary

    def idle_seconds(self) -> float | None:
        try:
            done = subprocess.run([self._binary], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return xprintidle_seconds(done.stdout) if done.returncode == 0 else None


class InterruptCounter:
    """Input seen as a change of the i8042 interrupt count; the first reading counts as input now."""

    name = "the keyboard and mouse interrupts (/proc/interrupts, i8042)"

    def __init__(self, read: Callable[[], str] = _INTERRUPTS.read_text,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self._clock = clock
        self._count: int | None = None
        self._changed_at = clock()

    def idle_seconds(self) -> float | None:
        try:
            count = input_interrupts(self._read())
        except OSError:
            return None
        if count is None:
            return None
        if count != self._count:
            self._count, self._changed_at = count, self._clock()
        return self._clock() - self._changed_at


def find_source() -> IdleSource | None:
    """Where this host's input idle time can be read, or None."""
    binary = shutil.which("xprintidle")
    if binary and os.environ.get("DISPLAY"):
        source: IdleSource = XIdle(binary)
        if source.idle_seconds() is not None:
            return source
    try:
        if input_interrupts(_INTERRUPTS.read_text()) is not None:
            return InterruptCounter()
    except OSError:
        pass
    return None


class InputIdleRule:
    """The host may work once its input has been idle for `minutes` (work_hours.IdleRule). An idle time
    that can't be read right now (the display went away) keeps the last answer."""

    recheck = RECHECK_SECONDS

    def __init__(self, minutes: float, source: IdleSource) -> None:
        self.minutes = minutes
        self.source = source
        self._last_idle = 0.0

    def ready(self) -> bool:
        idle = self.source.idle_seconds()
        if idle is not None:
            self._last_idle = idle
        return self._last_idle >= self.minutes * 60

    def reason(self) -> str:
        return (f"input {self._last_idle:.0f} s ago; it works after {self.minutes:g} minutes without input "
                f"({self.source.name})")
