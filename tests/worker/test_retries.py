"""Which failures the worker rides out, and how it backs off."""

import threading
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from farmstead.worker import retries


def client_error(code: str, status: int, reason: str | None = None, headers: dict | None = None) -> ClientError:
    response = {"Error": {"Code": code, "Message": "m"},
                "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}}
    if reason:
        response["reason"] = reason
    return ClientError(response, "UpdateWorkerSchedule")


@pytest.mark.parametrize("error", [
    EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    client_error("ThrottlingException", 429),
    client_error("InternalServerErrorException", 500),
    client_error("Whatever", 503),
    client_error("ConflictException", 409, "CONCURRENT_MODIFICATION"),
])
def test_transient_failures(error):
    assert retries.is_transient(error)


@pytest.mark.parametrize("error", [
    client_error("ValidationException", 400),
    client_error("AccessDeniedException", 403),
    client_error("ResourceNotFoundException", 404),
    client_error("ConflictException", 409, "STATUS_CONFLICT"),
    ValueError("a bug"),
])
def test_answers_that_are_not_transient(error):
    assert not retries.is_transient(error)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    assert retries.backoff_delay(0, rand=lambda: 0.0) == 0.25
    assert retries.backoff_delay(0, rand=lambda: 1.0) == 0.5
    assert retries.backoff_delay(3, rand=lambda: 1.0) == 4.0
    assert retries.backoff_delay(50, rand=lambda: 1.0) == retries.MAX_DELAY
    assert retries.backoff_delay(50, rand=lambda: 0.0) == retries.MAX_DELAY / 2


def test_retry_after_header_is_read():
    assert retries.retry_after(client_error("ThrottlingException", 429, headers={"retry-after": "3"})) == 3.0
    assert retries.retry_after(client_error("ThrottlingException", 429)) is None


def test_call_retries_transient_failures_until_success(monkeypatch):
    monkeypatch.setattr(retries, "BASE_DELAY", 0.001)
    monkeypatch.setattr(retries, "backoff_delay", lambda attempt: 0.001)
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise client_error("ThrottlingException", 429)
        return "ok"

    assert retries.call(flaky, "flaky") == "ok"
    assert len(attempts) == 3


def test_call_raises_answers_at_once():
    attempts = []

    def refused():
        attempts.append(1)
        raise client_error("ValidationException", 400)

    with pytest.raises(ClientError):
        retries.call(refused, "refused")
    assert len(attempts) == 1


def test_call_stops_waiting_when_asked(monkeypatch):
    monkeypatch.setattr(retries, "backoff_delay", lambda attempt: 60.0)
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    with pytest.raises(retries.Stopped):
        retries.call(lambda: (_ for _ in ()).throw(EndpointConnectionError(endpoint_url="x")), "down", stop=stop)
    assert time.monotonic() - started < 5


def test_call_gives_up_at_its_deadline(monkeypatch):
    monkeypatch.setattr(retries, "backoff_delay", lambda attempt: 0.05)

    def down():
        raise EndpointConnectionError(endpoint_url="x")

    with pytest.raises(EndpointConnectionError):
        retries.call(down, "down", deadline=time.monotonic() + 0.2)
