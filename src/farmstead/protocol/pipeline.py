"""The fixed pipeline, as one ASGI app: route -> verify signature -> parse -> validate -> execute -> serialize.

Owns: the order of the steps and turning every failure into the modelled error response; an
unexpected exception becomes a 500 InternalServerErrorException whose id is also in the server log.
Must not: know any operation, table or business rule. Authentication and execution are injected
(`api.executor` provides them), so this module imports neither the store nor the handlers.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from farmstead.protocol import parsing, serialization
from farmstead.protocol.errors import ServiceError, validation_error
from farmstead.protocol.model import OperationInfo
from farmstead.protocol.routing import MethodNotAllowed, RouteNotFound, router
from farmstead.protocol.signing import IncomingRequest, SignatureError
from farmstead.protocol.validation import validate

log = logging.getLogger("farmstead.api")

Authenticate = Callable[[IncomingRequest], Any]
Execute = Callable[[OperationInfo, Any, dict[str, Any], str], dict[str, Any] | None]

MAX_BODY_BYTES = 8 * 1024 * 1024  # CreateJob templates are at most 1,000,000 characters


class ApiPipeline:
    def __init__(self, authenticate: Authenticate, execute: Execute) -> None:
        self._authenticate = authenticate
        self._execute = execute
        self._router = router()
        # Tests turn this on: every response is validated against the model's output shape.
        self._strict_output = os.environ.get("FARMSTEAD_STRICT_OUTPUT") == "1"

    async def __call__(self, scope, receive, send) -> None:
        body = await _read_body(receive)
        request_id = str(uuid.uuid4())
        status, headers, payload = self.handle(scope, body, request_id)
        headers.append((b"x-amzn-requestid", request_id.encode()))
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def handle(self, scope, body: bytes, request_id: str) -> tuple[int, list, bytes]:
        try:
            raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            query_string = scope.get("query_string", b"").decode("latin-1")
            headers: dict[str, str] = {}
            for key, value in scope["headers"]:
                name = key.decode("latin-1").lower()
                text = value.decode("latin-1")
                headers[name] = f"{headers[name]},{text}" if name in headers else text
            if len(body) > MAX_BODY_BYTES:
                raise validation_error("Request body is too large.", reason="OTHER")
            principal = self._authenticate(
                IncomingRequest(scope["method"], raw_path, query_string, headers, body))
            info, labels = self._match(scope["method"], raw_path.split("?", 1)[0])
            params, errors = parsing.parse_request(info.model, labels, query_string, headers, body)
            shape = info.model.input_shape
            converted_badly = {e.name for e in errors}
            errors += [e for e in validate(shape, params) if e.name not in converted_badly]
            if errors:
                raise validation_error(
                    "Validation failed: " + "; ".join(f"{e.name}: {e.message}" for e in errors[:5]),
                    [{"name": e.name, "message": e.message} for e in errors])
            params = parsing.coerce_timestamps(shape, params)
            output = self._execute(info, principal, params, request_id)
            if self._strict_output and info.model.output_shape is not None:
                self._check_output(info, output)
            return serialization.success(info, output)
        except ServiceError as err:
            return serialization.error(err)
        except SignatureError as err:
            return serialization.error(ServiceError(err.code, err.message))
        except Exception:
            log.exception("internal error %s", request_id)
            return serialization.error(
                ServiceError("InternalServerErrorException", f"Internal server error (request {request_id})."))

    def _match(self, method: str, path: str) -> tuple[OperationInfo, dict[str, str]]:
        try:
            return self._router.match(method, path)
        except (RouteNotFound, MethodNotAllowed):
            raise ServiceError("UnknownOperationException", f"No operation matches {method} {path}.") from None

    def _check_output(self, info: OperationInfo, output: dict[str, Any] | None) -> None:
        import orjson

        wire = orjson.loads(serialization.encode_json(output or {}))
        problems = validate(info.model.output_shape, wire)
        if problems:
            raise RuntimeError(f"{info.name} answered outside its output shape: {problems}")


async def _read_body(receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
