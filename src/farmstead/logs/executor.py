"""Running one `logs` handler: one transaction per request (a write transaction for writers).

Owns: the LogsContext handed to handlers and the transaction around them. The caller was already
authenticated (api.executor.Executor.authenticate with service="logs"); authorization is per log
group, so handlers do it (logs/access.py).
Must not: parse HTTP (protocol.json_rpc does) or hold SQL (store.logs does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from farmstead.api import store_outages
from farmstead.api.context import Caller
from farmstead.clock import Clock
from farmstead.config import Settings
from farmstead.domain import log_names
from farmstead.logs import registry
from farmstead.protocol.errors import ServiceError
from farmstead.protocol.pagination import TokenCodec
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable


@dataclass
class LogsContext:
    conn: Any  # the request's SQLAlchemy Connection (only store.logs uses it)
    caller: Caller
    now: datetime
    settings: Settings
    tokens: TokenCodec
    operation: str

    @property
    def now_ms(self) -> int:
        """Ingestion and creation times are epoch milliseconds in the logs API."""
        return int(self.now.timestamp() * 1000)

    def group_arn(self, log_group_name: str) -> str:
        return log_names.group_arn(self.settings.region, self.settings.account_id, log_group_name)

    def stream_arn(self, log_group_name: str, log_stream_name: str) -> str:
        return log_names.stream_arn(self.settings.region, self.settings.account_id, log_group_name, log_stream_name)


class LogsExecutor:
    def __init__(self, store: Store, settings: Settings, clock: Clock, tokens: TokenCodec) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.tokens = tokens
        self._handlers = registry.handlers()

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def execute(self, operation: str, caller: Caller, params: dict[str, Any], request_id: str) -> dict[str, Any]:
        handler = self._handlers.get(operation)
        if handler is None:  # the pipeline only routes implemented operations; this is a safety net
            raise ServiceError("UnknownOperationException", f"Farmstead does not implement logs:{operation}.")
        try:
            transaction = self.store.write() if handler.write else self.store.read()
            with transaction as conn:
                ctx = LogsContext(conn, caller, self.clock.now(), self.settings, self.tokens, operation)
                return handler.fn(ctx, params)
        except (StoreBusy, StoreUnavailable) as error:
            refusal = store_outages.refusal(error)
            # Modelled by every logs operation's client (botocore retries it by its code).
            raise ServiceError("ThrottlingException", refusal.message,
                               retryAfterSeconds=refusal.retry_after_seconds) from None
