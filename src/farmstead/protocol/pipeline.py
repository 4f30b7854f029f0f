"""The fixed pipeline, as one ASGI app: route -> verify signature -> parse -> validate -> execute -> serialize.

Owns: the order of the steps and turning every failure into the modelled error response; an
unexpected exception becomes a 500 InternalServerErrorException whose id is also in the server log.
Must not: know any operation, table or business rule. Authentication and execution are injected
(`api.executor` provides them), so this module imports neither the store nor the handlers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from botocore.model import StructureShape

from farmstead.protocol import asgi, origins, parsing, serialization
from farmstead.protocol.admission import Admission, Kind
from farmstead.protocol.errors import ServiceError, Unavailable, throttled, validation_error
from farmstead.protocol.model import OperationInfo
from farmstead.protocol.routing import MethodNotAllowed, RouteNotFound, router
from farmstead.protocol.signing import IncomingRequest, SignatureError
from farmstead.protocol.validation import validate

log = logging.getLogger("farmstead.api")

Authenticate = Callable[[IncomingRequest], Any]
Execute = Callable[[OperationInfo, Any, dict[str, Any], str], dict[str, Any] | None]
#: (service, operation, outcome, seconds) of one answered request.
Observe = Callable[[str, str, str, float], None]

#: An operation and its URI labels, as the router matched them.
Route = tuple[OperationInfo, dict[str, str]]

MAX_BODY_BYTES = 8 * 1024 * 1024  # CreateJob templates are at most 1,000,000 characters


class ApiPipeline:
    def __init__(self, authenticate: Authenticate, execute: Execute,
                 in_thread: Callable[[str], bool] | None = None, admission: Admission | None = None,
                 observe: Observe | None = None, hold_seconds: float = 0.0) -> None:
        self._authenticate = authenticate
        #: Told each answered request's service, operation, outcome and seconds (farmstead.metrics).
        self._observe = observe
        self._execute = execute
        self._admission = admission
        #: Which operations may wait on another service or their database (the executor says which):
        #: those run in a worker thread, so the event loop goes on serving while they wait.
        self._in_thread = in_thread
        self._router = router()
        #: How long a worker call may be held when its handler offers to (protocol/asgi.offer_hold).
        self._hold_seconds = hold_seconds
        # Tests turn this on: every response is validated against the model's output shape.
        self._strict_output = os.environ.get("FARMSTEAD_STRICT_OUTPUT") == "1"

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        # Routed once, before the body is read: the operation decides admission's class and whether
        # the request runs in a thread, and `handle` reuses the match.
        route = self._route(scope)
        info = route[0] if route is not None else None
        in_thread = info is not None and self._in_thread is not None and self._in_thread(info.name)
        kind = Kind.WORKER if info is not None and info.worker_call else Kind.USER
        hold_seconds = min(self._hold_seconds, asgi.preferred_wait(scope)) if (
            kind is Kind.WORKER and self._hold_seconds) else 0.0

        outcome = ["success"]  # of the latest run of `handle`: a held call's last one is the answer

        def handle(body: bytes, request_id: str) -> asgi.Answer:
            answer, outcome[0] = self._answer(scope, body, request_id, route)
            return answer

        # Counted once per request, when its answer is final (the executor has committed or rolled back).
        observe, name = self._observe, info.name if info is not None else "unknown"
        answered = None if observe is None else lambda seconds: observe("deadline", name, outcome[0], seconds)

        async def serve_request() -> None:
            await asgi.serve(scope, receive, send, handle, max_body=MAX_BODY_BYTES, too_large=_too_large,
                             in_thread=in_thread, hold_seconds=hold_seconds, answered=answered)

        await asgi.admitted(scope, send, self._admission, kind, serve_request, _refused)

    def _route(self, scope: asgi.Scope) -> Route | None:
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        try:
            return self._router.match(scope["method"], raw_path.split("?", 1)[0])
        except (RouteNotFound, MethodNotAllowed):
            return None

    def _answer(self, scope: asgi.Scope, body: bytes, request_id: str, route: Route | None) -> tuple[asgi.Answer, str]:
        """The answer to one request whose body is read (`route`: its match, None when no operation
        has it) and its outcome: "success", or the error code it carries."""
        try:
            origins.current.set(origins.from_client("api", scope.get("client")))
            raw_path, query_string, headers = asgi.request_parts(scope)
            principal = self._authenticate(
                IncomingRequest(scope["method"], raw_path, query_string, headers, body))
            if route is None:  # known only now: the caller is told who they are not before what does not exist
                raise ServiceError("UnknownOperationException",
                                   f"No operation matches {scope['method']} {raw_path.split('?', 1)[0]}.")
            info, labels = route
            params, errors = parsing.parse_request(info.model, labels, query_string, headers, body)
            shape = info.input_shape
            converted_badly = {e.name for e in errors}
            errors += [e for e in validate(shape, params) if e.name not in converted_badly]
            if errors:
                raise validation_error(
                    "Validation failed: " + "; ".join(f"{e.name}: {e.message}" for e in errors[:5]),
                    [{"name": e.name, "message": e.message} for e in errors])
            params = parsing.coerce_timestamps(shape, params)
            output = self._execute(info, principal, params, request_id)
            if self._strict_output and info.output_shape is not None:
                self._check_output(info.name, info.output_shape, output)
            return serialization.success(info, output), "success"
        except ServiceError as err:
            return serialization.error(err), err.code
        except SignatureError as err:
            return serialization.error(ServiceError(err.code, err.message)), err.code
        except Unavailable as err:
            refusal = throttled(err.message, err.retry_after_seconds)
            return serialization.error(refusal), refusal.code
        except Exception:
            log.exception("internal error %s", request_id)
            internal = ServiceError("InternalServerErrorException", f"Internal server error (request {request_id}).")
            return serialization.error(internal), internal.code

    def _check_output(self, name: str, shape: StructureShape, output: dict[str, Any] | None) -> None:
        import orjson

        wire = orjson.loads(serialization.encode_json(output or {}))
        problems = validate(shape, wire)
        if problems:
            raise RuntimeError(f"{name} answered outside its output shape: {problems}")


def _refused(_request_id: str, message: str, retry_after_seconds: int) -> asgi.Answer:
    """Admission control's answer (protocol/admission.py), before the body is read."""
    return serialization.error(throttled(message, retry_after_seconds))


def _too_large(_request_id: str) -> asgi.Answer:
    """Answered before the signature is checked: the body was never read in full."""
    return serialization.error(validation_error(
        f"Request body is too large: the limit is {MAX_BODY_BYTES} bytes.", reason="OTHER"))
