"""Waiting for something a live server or worker does in its own time."""

from __future__ import annotations

import time


def wait_until(check, timeout: float, what: str, interval: float = 0.2):
    """`check()`'s first truthy value; AssertionError naming `what` after `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
