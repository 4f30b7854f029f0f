"""The ASGI application: the API pipeline under /2023-10-12/, a health route, the web monitor at every
other path, and the store's lifetime.

The API path skips Starlette's router on purpose: it is the hot path, and the pipeline does its own
model-driven routing (Starlette adds 15-25 us per request: docs/benchmarks.md, "What the building
blocks cost").
"""

from __future__ import annotations

import functools
import logging

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from farmstead import __version__
from farmstead.api import caller_identity
from farmstead.api.context import Signals
from farmstead.api.executor import Executor
from farmstead.background.event_mail import SmtpSettings
from farmstead.background.events import DeliverySettings, EventDelivery
from farmstead.background.fan_outs import FanOutRunner
from farmstead.background.materializer import Materializer
from farmstead.background.sweeper import Sweeper
from farmstead.clock import Clock, SystemClock
from farmstead.config import Settings
from farmstead.logs.executor import LogsExecutor
from farmstead.metrics.endpoint import PATH as METRICS_PATH
from farmstead.metrics.endpoint import MetricsEndpoint
from farmstead.orchestration import deferral
from farmstead.orchestration.wakeups import ALL, Wakeups
from farmstead.protocol import asgi
from farmstead.protocol.admission import Admission, Limits
from farmstead.protocol.json_rpc import JsonRpcPipeline
from farmstead.protocol.model import API_VERSION
from farmstead.protocol.pipeline import ApiPipeline
from farmstead.protocol.query import QueryPipeline, is_query_request
from farmstead.store import notifications
from farmstead.store.engine import Store
from farmstead.web.app import WebMonitor
from farmstead.web.calls import Api
from farmstead.web.directory import Directory
from farmstead.web.login_keys import LoginKeys
from farmstead.web.oidc import OidcProvider
from farmstead.web.signin import Sessions

log = logging.getLogger("farmstead.server")
_API_PREFIX = f"/{API_VERSION}/"
_TELEMETRY_PATH = f"/{API_VERSION}/telemetry"
#: Workers upload their session logs with these: admission control gives them workers' priority.
_WORKER_LOG_OPERATIONS = ("CreateLogGroup", "CreateLogStream", "PutLogEvents")
#: The official clients post one small usage record at a time (a few KiB with an error trace).
TELEMETRY_MAX_BODY_BYTES = 64 * 1024
#: The web monitor's forms: sign-in, and an action on at most 100 selected items.
WEB_MAX_BODY_BYTES = 1024 * 1024
#: A webhook receiver (or SMTP server) that has not answered in this long has failed that attempt (it is retried).
WEBHOOK_TIMEOUT_SECONDS = 10.0


class FarmsteadApp:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.materializer = Materializer(store, self.clock)
        deferral.configure(deferral.Limits(settings.fan_out_inline_tasks, settings.fan_out_batch_tasks,
                                           settings.fan_out_pause_seconds))
        self.fan_outs = FanOutRunner(store, self.clock)
        # Webhook and e-mail deliveries from the event outbox (docs/events.md), off the request path.
        self.events = EventDelivery(store, self.clock, DeliverySettings(
            settings.account_id, settings.region, timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
            retry_seconds=settings.event_retry_seconds, retry_max_seconds=settings.event_retry_max_seconds,
            retention_seconds=settings.event_retention_hours * 3600,
            smtp=SmtpSettings(settings.smtp_host, settings.smtp_port, settings.smtp_starttls, settings.smtp_ca_file,
                              settings.smtp_username, settings.smtp_password, settings.smtp_from,
                              WEBHOOK_TIMEOUT_SECONDS)))
        store.events_outbox = settings.events
        # GET /metrics (docs/monitoring.md); None with FARMSTEAD_METRICS=0: nothing counted, /metrics not served.
        self.metrics = MetricsEndpoint(settings, store, self.clock) if settings.metrics else None
        process_metrics = self.metrics.process if self.metrics is not None else None
        self.sweeper = Sweeper(store, self.clock, settings.worker_timeout_seconds,
                               workers_lost=process_metrics.workers_lost if process_metrics else None,
                               audit_retention_days=settings.audit_retention_days,
                               worker_hour_cost=settings.worker_hour_cost,
                               scaling=settings.scaling_rule)
        # Idle workers' held schedule calls (docs/protocol.md): woken by this process's commits, or on
        # PostgreSQL by every replica's, through one LISTEN connection.
        self.wakeups = Wakeups()
        self.wakeup_listener = notifications.Listener(settings.database_url, self.wakeups.wake) \
            if store.dialect == "postgresql" else None
        if self.wakeup_listener is None:
            store.on_wakeup = self.wakeups.wake
        self.executor = Executor(store, settings, self.clock, _ServerSignals(self),
                                 dispatched=process_metrics.dispatched if process_metrics else None)
        # One admission control for the three API protocols (docs/operations.md); /health and the
        # web monitor (which calls the executor in its own threads) are outside it.
        self.admission = Admission(Limits(settings.max_in_flight, settings.max_in_flight_per_caller,
                                          settings.max_queue_seconds))
        self.api = ApiPipeline(self.executor.authenticate, self.executor.execute,
                               in_thread=self.executor.runs_in_thread, admission=self.admission,
                               observe=process_metrics.request if process_metrics else None,
                               hold_seconds=settings.schedule_hold)
        # CloudWatch Logs subset (docs/logs.md): same keys, signing name `logs`, JSON protocol on POST /.
        logs = LogsExecutor(store, settings, self.clock, self.executor.tokens)
        self.logs_api = JsonRpcPipeline(
            "logs", functools.partial(self.executor.authenticate, service="logs"), logs.execute,
            implemented=logs.operations, validation_error_code="InvalidParameterException",
            internal_error_code="ServiceUnavailableException", admission=self.admission,
            worker_operations=_WORKER_LOG_OPERATIONS)
        # STS GetCallerIdentity (query protocol, form POST /): job-attachment clients ask it (docs/attachments.md).
        self.sts_api = QueryPipeline(
            "sts", caller_identity.NAMESPACE, functools.partial(self.executor.authenticate, service="sts"),
            {"GetCallerIdentity": functools.partial(caller_identity.get_caller_identity, settings)},
            admission=self.admission)
        # The web monitor (docs/web.md) takes every other path; it reads and acts through the same executor.
        sessions = Sessions(store, settings.account_id, Directory.from_settings(settings),
                            OidcProvider.from_settings(settings))
        # `farmstead login`'s keys; its thread deletes those of users the directory has disabled.
        self.login_keys = LoginKeys(store, sessions, settings.login_credential_seconds)
        self.web = WebMonitor(Api(self.executor, logs), sessions, self.login_keys)
        self.site = Starlette(routes=[Route("/health", self._health), Mount("", app=self.web)])

    def start_background(self) -> None:
        if self.wakeup_listener is not None:
            self.wakeup_listener.start().wait_listening(timeout=5)
        self.materializer.start()
        self.fan_outs.start()
        if self.settings.events:
            self.events.start()
        self.sweeper.start()
        self.login_keys.start()

    def stop_background(self) -> None:
        self.wakeups.close()
        if self.wakeup_listener is not None:
            self.wakeup_listener.stop()
        self.login_keys.stop()
        self.sweeper.stop()
        if self.settings.events:
            self.events.stop()
        self.fan_outs.stop()
        self.materializer.stop()

    async def _telemetry(self, scope, receive, send) -> None:
        """The official clients (the deadline CLI and worker agent) post usage telemetry here unless
        opted out, unsigned (a plain urllib POST, no credentials): it is accepted and dropped, so it
        needs no signature, only a small size limit."""
        await asgi.serve(scope, receive, send, lambda _body, _id: (200, _JSON[:], b"{}"),
                         max_body=TELEMETRY_MAX_BODY_BYTES, too_large=_telemetry_too_large)

    async def _web(self, scope, receive, send) -> None:
        """The web monitor, with its request bodies bounded before Starlette reads any of them."""
        declared = asgi.declared_length(scope)
        if declared is not None and declared > WEB_MAX_BODY_BYTES:
            response = PlainTextResponse("Request body is too large.", status_code=413,
                                         headers={"connection": "close"})
            await response(scope, receive, send)
            return
        # An oversized chunked form stops being read at the limit; Starlette answers the HTTPException.
        receive = asgi.bounded_receive(scope, receive, WEB_MAX_BODY_BYTES,
                                       lambda: HTTPException(413, "Request body is too large.",
                                                             headers={"connection": "close"}))
        await self.site(scope, receive, send)

    async def _health(self, request):
        return JSONResponse({"status": "ok", "version": __version__, "store": self.store.dialect})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == _TELEMETRY_PATH and scope["method"] == "POST":
            await self._telemetry(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == METRICS_PATH and self.metrics is not None:
            await self.metrics(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(_API_PREFIX):
            await self.api(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == "/" and self.logs_api.handles(_target(scope)):
            # JSON-protocol services are told apart by X-Amz-Target, not by path (docs/logs.md).
            await self.logs_api(scope, receive, send)
        elif scope["type"] == "http" and is_query_request(scope):
            await self.sts_api(scope, receive, send)
        elif scope["type"] == "http":
            await self._web(scope, receive, send)
        else:
            await self.site(scope, receive, send)


def _target(scope) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"x-amz-target":
            return value.decode("latin-1")
    return ""


_JSON = [(b"content-type", b"application/json")]


def _telemetry_too_large(_request_id: str) -> asgi.Answer:
    return 413, _JSON[:], orjson.dumps({"message": f"Telemetry records are at most {TELEMETRY_MAX_BODY_BYTES} bytes."})


class _ServerSignals(Signals):
    def __init__(self, app: FarmsteadApp) -> None:
        self._app = app

    def job_created(self) -> None:
        self._app.materializer.wake()

    def fan_out_queued(self) -> None:
        self._app.fan_outs.wake()

    def wakeup_mark(self) -> int:
        return self._app.wakeups.mark()

    def hold_idle_worker(self, keys: tuple[str, ...], since: int) -> None:
        wakeups = self._app.wakeups
        asgi.offer_hold(lambda seconds: wakeups.wait((*keys, ALL), since, seconds))

    def woken_by_work(self) -> bool:
        return isinstance(asgi.last_wake(), tuple)  # a fleet's wake-up: (key, number)

    def pass_on_wakeup(self) -> None:
        woken = asgi.last_wake()
        if isinstance(woken, tuple):
            self._app.wakeups.pass_on(woken)


def create_app(settings: Settings, clock: Clock | None = None) -> FarmsteadApp:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, pool_size=settings.db_pool_size,
                       max_overflow=settings.db_max_overflow)
    return FarmsteadApp(settings, store, clock)
