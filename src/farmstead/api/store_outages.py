"""What a caller is told when the store cannot take its request, and what the operator is told.

Owns: the message and Retry-After for each kind of store trouble (store.engine's StoreBusy, and
StoreUnavailable with its cause: the database cannot be reached, the disk is full or failing), and
logging the driver's detail, at most once per LOG_INTERVAL_SECONDS per cause so an outage does not
flood the log. *(choice)* Every such refusal is a ThrottlingException (429, Retry-After) wherever a
protocol lets us say it: every operation models it, botocore's retry modes and the official worker
agent retry it (the agent gives up on InternalServerErrorException, and a worker that gives up
during a database restart abandons its running tasks), and nothing was written.
Must not: decide the wire format (the pipelines do) or retry anything itself.
"""

from __future__ import annotations

import logging
import threading
import time

from farmstead.protocol.errors import Unavailable
from farmstead.store.engine import DISK_FAILING, OUT_OF_SPACE, UNREACHABLE, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.store")

#: Retry-After by cause: a database restart takes seconds; a full disk waits for an operator.
RETRY_AFTER_SECONDS = {UNREACHABLE: 5, OUT_OF_SPACE: 30, DISK_FAILING: 30}
BUSY_RETRY_AFTER_SECONDS = 1
LOG_INTERVAL_SECONDS = 10.0

_lock = threading.Lock()
_last_logged: dict[str, float] = {}
_suppressed: dict[str, int] = {}


def refusal(error: StoreBusy | StoreUnavailable) -> Unavailable:
    """The caller's answer to `error` (logged here for the operator when the store is unavailable)."""
    if isinstance(error, StoreBusy):
        return Unavailable("The store is busy; retry shortly.", BUSY_RETRY_AFTER_SECONDS)
    retry_after = RETRY_AFTER_SECONDS.get(error.cause, 10)
    _log_outage(error)
    return Unavailable(f"The store is unavailable: {error.cause}; retry in {retry_after} seconds.", retry_after)


def _log_outage(error: StoreUnavailable) -> None:
    now = time.monotonic()
    with _lock:
        if now - _last_logged.get(error.cause, -LOG_INTERVAL_SECONDS) < LOG_INTERVAL_SECONDS:
            _suppressed[error.cause] = _suppressed.get(error.cause, 0) + 1
            return
        _last_logged[error.cause] = now
        earlier = _suppressed.pop(error.cause, 0)
    more = f" ({earlier} more refused since the last report)" if earlier else ""
    log.error("store unavailable, requests refused with Retry-After: %s: %s%s", error.cause, error.detail, more)
