"""Waiting for something a live server or worker does in its own time.

Owns: polling a check until it holds or a timeout passes. Must not: sleep a fixed time and hope.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T | Literal[False] | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """`check()`'s first truthy value (a check may answer False or None for "not yet"); AssertionError
    naming `what` after `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
