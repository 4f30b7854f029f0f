"""A scrape while the store cannot be reached is a 503 naming the cause, not a 500."""

from __future__ import annotations

import asyncio

from farmstead.clock import SystemClock
from farmstead.config import Settings
from farmstead.metrics.endpoint import MetricsEndpoint
from farmstead.store.engine import Store, create_engine

#: Nothing listens on port 1: every connection attempt is refused at once.
UNREACHABLE = "postgresql+psycopg://farmstead@127.0.0.1:1/farmstead"


def _get(endpoint: MetricsEndpoint) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": [], "client": ("127.0.0.1", 40000)}
    asyncio.run(endpoint(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_scrape_with_the_database_unreachable_is_503_saying_so(tmp_path):
    store = Store(create_engine(UNREACHABLE))
    try:
        status, headers, body = _get(MetricsEndpoint(Settings(tmp_path, UNREACHABLE), store, SystemClock()))
    finally:
        store.dispose()
    assert status == 503 and headers[b"retry-after"] == b"5"
    assert b"the database cannot be reached" in body
