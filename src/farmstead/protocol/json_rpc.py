"""The JSON-protocol counterpart of pipeline.py: `POST /` with `X-Amz-Target: <prefix>.<Operation>`.

Owns, for any botocore service whose protocol is `json` (CloudWatch Logs today): loading that model,
target -> operation, signature check (the service's signing name), body parsing, validation against
the operation's input shape, calling the injected executor, serializing the output by shape, and the
JSON error wire format `{"__type": code, "message": ...}` (botocore reads the code from `__type`).
Error statuses follow AWS's JSON ("coral") front ends: 400 for every client fault, including
signature failures and unknown targets; modelled faults with their own status keep it.
Must not: know any operation, table or business rule. Authentication and execution are injected.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.session
import orjson
from botocore.model import OperationModel, ServiceModel, StructureShape

from farmstead.protocol import asgi, parsing
from farmstead.protocol.admission import Admission, Kind
from farmstead.protocol.errors import ServiceError, Unavailable
from farmstead.protocol.signing import IncomingRequest, SignatureError
from farmstead.protocol.validation import FieldError, validate

log = logging.getLogger("farmstead.api")

Authenticate = Callable[[IncomingRequest], Any]
# (operation name, caller, validated input) -> output dict
Execute = Callable[[str, Any, dict[str, Any], str], dict[str, Any] | None]

MAX_BODY_BYTES = 8 * 1024 * 1024  # a 1 MiB PutLogEvents batch of control characters escapes to ~6 MiB
_CONTENT_TYPE = b"application/x-amz-json-1.1"
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class JsonService:
    """One json-protocol service model, with what the hot path needs precomputed."""

    model: ServiceModel
    target_prefix: str  # "Logs_20140328"
    signing_name: str  # "logs"

    def operation(self, name: str) -> OperationModel | None:
        return self.model.operation_model(name) if name in self.model.operation_names else None

    @functools.cached_property
    def operation_names(self) -> frozenset[str]:
        return frozenset(self.model.operation_names)

    def error_status(self, code: str) -> int:
        if code in self.model.shape_names:
            metadata = self.model.shape_for(code).metadata
            if "error" in metadata and "httpStatusCode" in metadata["error"]:
                return int(metadata["error"]["httpStatusCode"])
            return 500 if metadata.get("fault") else 400
        return 500 if code in _SERVER_FAULTS else 400


_SERVER_FAULTS = {"InternalFailure", "ServiceUnavailable", "ServiceUnavailableException"}


@functools.cache
def load_service(service_name: str) -> JsonService:
    model = botocore.session.get_session().get_service_model(service_name)
    if model.protocol != "json":
        raise ValueError(f"{service_name} speaks {model.protocol}, not json")
    return JsonService(model, model.metadata["targetPrefix"], model.signing_name)


class JsonRpcPipeline:
    """ASGI app for one json-protocol service: route by target, verify, parse, validate, execute, serialize."""

    def __init__(self, service_name: str, authenticate: Authenticate, execute: Execute, *,
                 implemented: Collection[str], validation_error_code: str = "ValidationException",
                 internal_error_code: str = "InternalFailure", admission: Admission | None = None,
                 worker_operations: Collection[str] = ()) -> None:
        self.service = load_service(service_name)
        unknown = set(implemented) - self.service.operation_names
        if unknown:
            raise ValueError(f"no operations of {service_name}: {sorted(unknown)}")
        self._authenticate = authenticate
        self._execute = execute
        # Only implemented operations are parsed or validated: anything else is an unknown target.
        self._implemented = frozenset(implemented)
        self._input_shapes = {name: _input_shape(self.service.model.operation_model(name)) for name in implemented}
        self._validation_error_code = validation_error_code  # CloudWatch Logs: InvalidParameterException
        self._internal_error_code = internal_error_code
        self._admission = admission
        #: Operations admission control counts as workers' traffic (protocol/admission.py).
        self._worker_targets = frozenset(f"{self.service.target_prefix}.{name}" for name in worker_operations)
        self._strict_output = os.environ.get("FARMSTEAD_STRICT_OUTPUT") == "1"

    def handles(self, target: str) -> bool:
        """Whether an X-Amz-Target value is addressed to this service (known operation or not)."""
        return target.startswith(self.service.target_prefix + ".")

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        async def serve_request() -> None:
            await asgi.serve(scope, receive, send, lambda body, request_id: self.handle(scope, body, request_id),
                             max_body=MAX_BODY_BYTES, too_large=self._too_large)

        kind = Kind.WORKER if _target_of(scope) in self._worker_targets else Kind.USER
        await asgi.admitted(scope, send, self._admission, kind, serve_request,
                            lambda _id, message, retry_after: self._unavailable(message, retry_after))

    def _too_large(self, _request_id: str) -> asgi.Answer:
        """Answered before the signature is checked: the body was never read in full."""
        return self._error(self._validation_error_code,
                           f"Request body is too large: the limit is {MAX_BODY_BYTES} bytes.", {})

    def handle(self, scope: asgi.Scope, body: bytes, request_id: str) -> asgi.Answer:
        try:
            raw_path, query_string, headers = asgi.request_parts(scope)
            principal = self._authenticate(IncomingRequest(scope["method"], raw_path, query_string, headers, body))
            name, op = self._operation(scope["method"], raw_path, headers.get("x-amz-target", ""))
            shape = self._input_shapes[name]
            params = _decode(body)
            errors = [e for e in validate(shape, params) if e.message != "Unknown member"]
            if errors:
                raise self._invalid(errors)
            params = parsing.coerce_timestamps(shape, params)
            output = self._execute(name, principal, params, request_id)
            wire = _to_wire(output or {})
            if self._strict_output and op.output_shape is not None:
                problems = validate(op.output_shape, wire)
                if problems:
                    raise RuntimeError(f"{name} answered outside its output shape: {problems}")
            return 200, [(b"content-type", _CONTENT_TYPE)], orjson.dumps(wire)
        except ServiceError as err:
            return self._error(err.code, err.message, err.members)
        except SignatureError as err:
            return self._error(err.code, err.message, {})
        except Unavailable as err:
            return self._unavailable(err.message, err.retry_after_seconds)
        except Exception:
            log.exception("internal error %s", request_id)
            return self._error(self._internal_error_code, f"Internal server error (request {request_id}).", {})

    def _operation(self, method: str, raw_path: str, target: str) -> tuple[str, OperationModel]:
        prefix, _, name = target.partition(".")
        op = self.service.operation(name) if prefix == self.service.target_prefix else None
        # AWS answers an unknown target the same whether or not the model has it.
        if method != "POST" or raw_path.split("?", 1)[0] != "/" or op is None or name not in self._implemented:
            raise ServiceError("UnknownOperationException", f"No operation {target or '(no X-Amz-Target)'}"
                               f" is served at {method} {raw_path.split('?', 1)[0]}.")
        return name, op

    def _invalid(self, errors: list[FieldError]) -> ServiceError:
        # A JSON value of the wrong type never reaches a coral service's validation: it fails to
        # deserialize (SerializationException). Constraint violations are validation errors.
        wrong_type = [e for e in errors if e.message.startswith("Expected ") or e.message.startswith("Map key must be")]
        if wrong_type:
            return ServiceError("SerializationException", "; ".join(
                f"{_wire_path(e.name)}: {e.message}" for e in wrong_type[:5]))
        count = len(errors)
        detail = "; ".join(f"Value at '{_wire_path(e.name)}' failed to satisfy constraint: {e.message}"
                           for e in errors[:10])
        return ServiceError(self._validation_error_code,
                            f"{count} validation error{'s' if count > 1 else ''} detected: {detail}")

    def _unavailable(self, message: str, retry_after_seconds: int) -> asgi.Answer:
        """ThrottlingException (botocore retries it by its code) with Retry-After."""
        return self._error("ThrottlingException", message, {"retryAfterSeconds": retry_after_seconds})

    def _error(self, code: str, message: str, members: dict[str, Any]) -> asgi.Answer:
        members = dict(members)
        retry_after = members.pop("retryAfterSeconds", None)  # a header, as the REST protocols send it
        body = {"__type": code, "message": message, **members}
        headers = [(b"content-type", _CONTENT_TYPE), (b"x-amzn-errortype", code.encode())]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        return self.service.error_status(code), headers, orjson.dumps(_to_wire(body))


def _input_shape(op: OperationModel) -> StructureShape:
    if op.input_shape is None:  # validation needs one; every operation of the json models served has one
        raise ValueError(f"operation {op.name} has no input shape")
    return op.input_shape


def _target_of(scope: asgi.Scope) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"x-amz-target":
            return str(value.decode("latin-1"))
    return ""


def _decode(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}  # botocore sends "{}" for an empty input; other clients may send nothing
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ServiceError("SerializationException", "Request body is not valid JSON.") from None
    if not isinstance(decoded, dict):
        raise ServiceError("SerializationException", "Request body must be a JSON object.")
    return {k: v for k, v in decoded.items() if v is not None}


def _wire_path(name: str) -> str:
    """`logEvents[0].timestamp` -> `logEvents.1.member.timestamp`, the way AWS names members."""
    return _INDEX.sub(lambda m: f".{int(m[1]) + 1}.member", name)


def _to_wire(value: Any) -> Any:
    """The JSON protocol's scalars: timestamps as epoch seconds, blobs base64, absent members dropped."""
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_wire(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value
