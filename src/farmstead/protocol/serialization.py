"""Serialization: an output dict (or a ServiceError) -> status, headers and JSON body, by shape.

Owns: the success status from the model (201/204 where modelled), header-located members, iso8601
timestamps (datetimes are written as RFC 3339 UTC with a Z), absent members omitted (None dropped),
and the error wire format: `x-amzn-ErrorType` plus a JSON body with `message` and the modelled
members; `retryAfterSeconds` travels in `Retry-After`.
Must not: decide which error to raise or touch the store.
"""

from __future__ import annotations

from typing import Any

import orjson

from farmstead.protocol.errors import ServiceError
from farmstead.protocol.model import OperationInfo

_JSON = "application/json"
_ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def encode_json(value: Any) -> bytes:
    return orjson.dumps(_drop_none(value), option=_ORJSON_OPTIONS)


def success(info: OperationInfo, output: dict[str, Any] | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = info.success_status
    if status == 204:
        return status, [], b""
    return status, [(b"content-type", _JSON.encode())], encode_json(output or {})


def error(err: ServiceError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = err.body()
    headers = [
        (b"content-type", _JSON.encode()),
        (b"x-amzn-errortype", err.code.encode()),
    ]
    retry_after = body.pop("retryAfterSeconds", None)
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return err.status, headers, encode_json(body)
