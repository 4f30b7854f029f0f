"""A logs call that finds the store busy (SQLite's write lock held past the busy timeout) is told to
retry: ThrottlingException with Retry-After, which botocore and the worker agent retry, not a 500."""

from __future__ import annotations

import orjson
import pytest

from farmstead.api.context import Caller
from farmstead.clock import SystemClock
from farmstead.config import Settings
from farmstead.logs.executor import LogsExecutor
from farmstead.protocol.json_rpc import JsonRpcPipeline
from farmstead.protocol.pagination import TokenCodec
from farmstead.store import engine as engine_module
from farmstead.store.engine import Store

ADMIN = Caller("admin", "admin", True, "arn:aws:iam::000000000000:user/admin")


@pytest.fixture
def busy_store(tmp_path, monkeypatch):
    """A store whose write lock another connection holds, and a server side that waits 50 ms for it."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    url = f"sqlite:///{tmp_path / 'farmstead.db'}"
    holder, served = Store.open(url), Store.open(url, migrate=False)
    with holder.write():
        yield served
    holder.dispose()
    served.dispose()


def test_a_busy_store_is_answered_throttling_with_retry_after(busy_store, tmp_path):
    executor = LogsExecutor(busy_store, Settings.from_env(tmp_path), SystemClock(), TokenCodec(b"secret"))
    pipeline = JsonRpcPipeline("logs", lambda request: ADMIN, executor.execute, implemented=executor.operations,
                               validation_error_code="InvalidParameterException",
                               internal_error_code="ServiceUnavailableException")
    scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(b"x-amz-target", b"Logs_20140328.CreateLogGroup"),
                         (b"content-type", b"application/x-amz-json-1.1")]}

    status, headers, body = pipeline.handle(scope, orjson.dumps({"logGroupName": "/farmstead/busy"}), "request-1")

    answer = dict(headers)
    assert (status, answer[b"x-amzn-errortype"], answer[b"retry-after"]) == (400, b"ThrottlingException", b"1")
    assert orjson.loads(body)["message"] == "The store is busy; retry shortly."
