"""Riding out a short outage: which call failures are transient, and how long to wait before the next try.

Owns: the classification of botocore errors (connection failures, timeouts, throttling, 5xx and
CONCURRENT_MODIFICATION are transient; everything else is an answer), exponential backoff with
jitter and the `Retry-After` floor, and `call()`, which retries one call until it succeeds, the
caller stops, or a deadline passes. Must not: know what any operation means.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

T = TypeVar("T")

#: Codes a server (or a proxy in front of it) uses for "not now": retried, never surfaced.
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "InternalServerException",
    "InternalServerErrorException", "ServiceUnavailableException", "ServiceUnavailable", "RequestTimeout",
    "RequestTimeoutException", "SlowDown",
})
BASE_DELAY = 0.5
MAX_DELAY = 30.0

log = logging.getLogger("farmstead.worker")


class Stopped(Exception):
    """The worker was asked to stop while a call was waiting for its next attempt."""


def error_code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return _response(error).get("Error", {}).get("Code")
    return None


def error_reason(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return _response(error).get("reason")
    return None


def conflicting_status(error: ClientError) -> str | None:
    """A ConflictException's `context.status`: the status the resource is in."""
    return (_response(error).get("context") or {}).get("status")


def _response(error: ClientError) -> Mapping[str, Any]:
    # Read as plain data: the modelled error's own members (reason, context) are not in botocore's type.
    return error.response


def status_code(error: BaseException) -> int | None:
    if isinstance(error, ClientError):
        return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return True  # refused, reset, timed out: the server restarting or the network blinking
    if not isinstance(error, ClientError):
        return False
    status = status_code(error) or 0
    return (error_code(error) in TRANSIENT_CODES or status >= 500 or status == 429
            or error_reason(error) == "CONCURRENT_MODIFICATION")


def retry_after(error: BaseException) -> float | None:
    """Seconds from a `Retry-After` header (the server's own hint under load), if any."""
    if not isinstance(error, ClientError):
        return None
    headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        return max(0.0, float(headers["retry-after"]))
    except (KeyError, TypeError, ValueError):
        return None


def backoff_delay(attempt: int, *, base: float = BASE_DELAY, cap: float = MAX_DELAY,
                  rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": half the ceiling for sure, the other half random, so
    a farm of workers restarted together spreads out without any of them retrying at once."""
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return ceiling / 2 + rand() * ceiling / 2


def describe(error: BaseException) -> str:
    code = error_code(error)
    if code:
        message = error.response.get("Error", {}).get("Message", "") if isinstance(error, ClientError) else ""
        return f"{code}: {message}".rstrip(": ")
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        # The full request URL adds nothing to "the server is unreachable" and buries the line.
        endpoint = urlsplit(str(getattr(error, "kwargs", {}).get("endpoint_url", "")))
        return f"{type(error).__name__} ({endpoint.scheme}://{endpoint.netloc})" if endpoint.netloc \
            else type(error).__name__
    return f"{type(error).__name__}: {error}"


def call(fn: Callable[[], T], what: str, *, stop: threading.Event | None = None,
         deadline: float | None = None, logger: logging.Logger = log) -> T:
    """`fn()` retried while it fails transiently.

    Args:
        stop: when set during a wait, `Stopped` is raised instead of trying again.
        deadline: a `time.monotonic()` value after which the last error is raised.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as error:
            if not is_transient(error):
                raise
            delay = max(backoff_delay(attempt), retry_after(error) or 0.0)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            level = logging.INFO if attempt == 0 else logging.WARNING
            logger.log(level, "%s failed (%s); retrying in %.1f s", what, describe(error), delay)
            attempt += 1
            if stop is not None:
                if stop.wait(delay):
                    raise Stopped(what) from error
            else:
                time.sleep(delay)
