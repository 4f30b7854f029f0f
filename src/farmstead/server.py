"""The ASGI application: the API pipeline under /2023-10-12/, a health route, the web monitor at every
other path, and the store's lifetime.

The API path skips Starlette's router on purpose: it is the hot path, and the pipeline does its own
model-driven routing (Starlette adds 15-25 us per request: docs/benchmarks.md, "What the building
blocks cost").
"""

from __future__ import annotations

import functools
import logging

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from farmstead import __version__
from farmstead.api import caller_identity
from farmstead.api.context import Signals
from farmstead.api.executor import Executor
from farmstead.api import fan_outs
from farmstead.background.fan_outs import FanOutRunner
from farmstead.background.materializer import Materializer
from farmstead.background.sweeper import Sweeper
from farmstead.clock import Clock, SystemClock
from farmstead.config import Settings
from farmstead.logs.executor import LogsExecutor
from farmstead.protocol.json_rpc import JsonRpcPipeline
from farmstead.protocol.model import API_VERSION
from farmstead.protocol.pipeline import ApiPipeline
from farmstead.protocol.query import QueryPipeline, is_query_request
from farmstead.store.engine import Store
from farmstead.web.app import WebMonitor
from farmstead.web.calls import Api
from farmstead.web.signin import Sessions

log = logging.getLogger("farmstead.server")
_API_PREFIX = f"/{API_VERSION}/"
_TELEMETRY_PATH = f"/{API_VERSION}/telemetry"


class FarmsteadApp:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.materializer = Materializer(store, self.clock)
        fan_outs.configure(fan_outs.Limits(settings.fan_out_inline_tasks, settings.fan_out_batch_tasks,
                                           settings.fan_out_pause_seconds))
        self.fan_outs = FanOutRunner(store, self.clock)
        self.sweeper = Sweeper(store, self.clock, settings.worker_timeout_seconds)
        self.executor = Executor(store, settings, self.clock, _ServerSignals(self))
        self.api = ApiPipeline(self.executor.authenticate, self.executor.execute, in_thread=self.executor.is_staged)
        # CloudWatch Logs subset (docs/logs.md): same keys, signing name `logs`, JSON protocol on POST /.
        logs = LogsExecutor(store, settings, self.clock, self.executor.tokens)
        self.logs_api = JsonRpcPipeline(
            "logs", functools.partial(self.executor.authenticate, service="logs"), logs.execute,
            implemented=logs.operations, validation_error_code="InvalidParameterException",
            internal_error_code="ServiceUnavailableException")
        # STS GetCallerIdentity (query protocol, form POST /): job-attachment clients ask it (docs/attachments.md).
        self.sts_api = QueryPipeline(
            "sts", caller_identity.NAMESPACE, functools.partial(self.executor.authenticate, service="sts"),
            {"GetCallerIdentity": functools.partial(caller_identity.get_caller_identity, settings)})
        # The web monitor (docs/web.md) takes every other path; it reads and acts through the same executor.
        self.web = WebMonitor(Api(self.executor, logs), Sessions(store, settings.account_id))
        self.site = Starlette(routes=[Route("/health", self._health),
                                      Route(_TELEMETRY_PATH, self._telemetry, methods=["POST"]),
                                      Mount("", app=self.web)])

    def start_background(self) -> None:
        self.materializer.start()
        self.fan_outs.start()
        self.sweeper.start()

    def stop_background(self) -> None:
        self.sweeper.stop()
        self.fan_outs.stop()
        self.materializer.stop()

    async def _telemetry(self, request):
        """AWS clients post usage telemetry here unsigned unless opted out; it is accepted and dropped."""
        await request.body()
        return JSONResponse({})

    async def _health(self, request):
        return JSONResponse({"status": "ok", "version": __version__, "store": self.store.dialect})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == _TELEMETRY_PATH:
            await self.site(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(_API_PREFIX):
            await self.api(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == "/" and self.logs_api.handles(_target(scope)):
            # JSON-protocol services are told apart by X-Amz-Target, not by path (docs/logs.md).
            await self.logs_api(scope, receive, send)
        elif scope["type"] == "http" and is_query_request(scope):
            await self.sts_api(scope, receive, send)
        else:
            await self.site(scope, receive, send)


def _target(scope) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"x-amz-target":
            return value.decode("latin-1")
    return ""


class _ServerSignals(Signals):
    def __init__(self, app: FarmsteadApp) -> None:
        self._app = app

    def job_created(self) -> None:
        self._app.materializer.wake()

    def fan_out_queued(self) -> None:
        self._app.fan_outs.wake()


def create_app(settings: Settings, clock: Clock | None = None) -> FarmsteadApp:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, pool_size=settings.db_pool_size,
                       max_overflow=settings.db_max_overflow)
    return FarmsteadApp(settings, store, clock)
