"""GET /metrics: this process's metrics and the farm's gauges in Prometheus text format.

Owns: the registry of one server process (its own, not prometheus_client's global one, so several
apps in one process never mix figures), the access check, and rendering off the event loop (the
farm gauges read the store).
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, exposition
from prometheus_client.process_collector import ProcessCollector

from farmstead.clock import Clock
from farmstead.config import Settings
from farmstead.metrics.access import MetricsAccess
from farmstead.metrics.farm import FarmCollector
from farmstead.metrics.process import ProcessMetrics
from farmstead.protocol import asgi
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable

PATH = "/metrics"


class MetricsEndpoint:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.registry = CollectorRegistry()
        self.process = ProcessMetrics(self.registry)
        ProcessCollector(registry=self.registry)  # CPU seconds, memory, open files of this process
        self.registry.register(FarmCollector(store, clock, settings.scaling_rule))
        self._access = MetricsAccess(settings.metrics_allow, settings.metrics_token)
        store.observe_transaction = self.process.transaction

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        client = scope.get("client")
        authorization = next((value for name, value in scope["headers"] if name.lower() == b"authorization"), None)
        if scope["method"] != "GET":
            await _answer(send, 405, b"Use GET.\n", [(b"allow", b"GET")])
        elif not self._access.admits(client[0] if client else None, authorization):
            await _answer(send, 403, b"Not allowed: give the metrics key, or scrape from an allowed address "
                                     b"(docs/monitoring.md).\n", [(b"www-authenticate", b"Bearer")])
        else:
            try:
                body = await asyncio.to_thread(exposition.generate_latest, self.registry)
            except (StoreBusy, StoreUnavailable) as error:
                # Not a bug: Prometheus records the target down (`up` 0) and the reason is in the body.
                await _answer(send, 503, f"The farm's figures cannot be read now: {error}\n".encode(),
                              [(b"retry-after", b"5")])
                return
            await _answer(send, 200, body, [(b"content-type", exposition.CONTENT_TYPE_LATEST.encode())])


async def _answer(send: asgi.Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
