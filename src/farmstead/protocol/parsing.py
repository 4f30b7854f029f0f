"""Parsing: the pieces of an HTTP request -> the operation's input dict, by each member's `location`.

Owns: reading URI labels, query string, headers and the JSON body into member names, converting the
string-typed locations (uri, querystring, header) to the member's type. Body values stay as decoded
JSON so validation can judge their types; after validation, `coerce_timestamps` turns timestamp
members into datetimes. Never invents a key: an absent member stays absent.
Must not: validate ranges or patterns (validation.py) or know any operation by name.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from farmstead.protocol.errors import validation_error
from farmstead.protocol.validation import FieldError


@functools.cache
def _layout(op: OperationModel) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """Members of the input by location: (uri label -> member, query key -> member, header -> member,
    json key -> member)."""
    uri: dict[str, str] = {}
    query: dict[str, str] = {}
    header: dict[str, str] = {}
    body: dict[str, str] = {}
    shape = op.input_shape
    if shape is not None:
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                uri[wire] = name
            elif location == "querystring":
                query[wire] = name
            elif location == "header":
                header[wire.lower()] = name
            else:
                body[wire] = name
    return uri, query, header, body


def parse_request(op: OperationModel, labels: dict[str, str], query_string: str,
                  headers: dict[str, str], body: bytes) -> tuple[dict[str, Any], list[FieldError]]:
    """Returns the input dict and the conversion errors of string-typed locations."""
    uri_members, query_members, header_members, body_members = _layout(op)
    shape = op.input_shape
    params: dict[str, Any] = {}
    errors: list[FieldError] = []
    if shape is None:  # an operation without input reads none (every deadline operation has one)
        return params, errors

    if body_members and body:
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise validation_error("Request body is not valid JSON.", reason="CANNOT_PARSE") from None
        if not isinstance(decoded, dict):
            raise validation_error("Request body must be a JSON object.", reason="CANNOT_PARSE")
        for key, value in decoded.items():
            if value is not None:
                # Unknown keys keep their wire name so validation reports them as unknown members.
                params[body_members[key] if key in body_members else key] = value

    for label, value in labels.items():
        name = uri_members.get(label)
        if name is not None:
            params[name] = _convert(shape.members[name], value, name, errors)

    if query_members and query_string:
        grouped: dict[str, list[str]] = {}
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            name = query_members.get(key)
            if name is None:
                continue  # AWS ignores query parameters it does not model (signing ones, cache busters)
            member = shape.members[name]
            if isinstance(member, ListShape):
                params[name] = [_convert(member.member, v, name, errors) for v in values]
            else:
                params[name] = _convert(member, values[-1], name, errors)

    for header, name in header_members.items():
        value = headers.get(header)
        if value is not None:
            params[name] = _convert(shape.members[name], value, name, errors)
    return params, errors


def _convert(shape: Shape, raw: str, name: str, errors: list[FieldError]) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "timestamp":
            return parse_timestamp(raw)
    except (ValueError, OverflowError):
        errors.append(FieldError(name, f"Value '{raw}' cannot be converted to {kind}"))
        return raw
    return raw


def parse_timestamp(value: str | int | float) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@functools.cache
def _has_timestamp(shape: Shape) -> bool:
    return _walk_has_timestamp(shape, set())


def _walk_has_timestamp(shape: Shape, seen: set[str]) -> bool:
    if shape.type_name == "timestamp":
        return True
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if isinstance(shape, StructureShape):
        return any(_walk_has_timestamp(m, seen) for m in shape.members.values())
    if isinstance(shape, ListShape):
        return _walk_has_timestamp(shape.member, seen)
    if isinstance(shape, MapShape):
        return _walk_has_timestamp(shape.value, seen)
    return False


def coerce_timestamps(shape: Shape, value: Any) -> Any:
    """Turn validated timestamp values (ISO-8601 strings or epoch numbers) into aware datetimes."""
    if not _has_timestamp(shape):
        return value
    kind = shape.type_name
    if kind == "timestamp":
        return value if isinstance(value, datetime) else parse_timestamp(value)
    if isinstance(shape, StructureShape):
        return {k: coerce_timestamps(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if isinstance(shape, ListShape):
        return [coerce_timestamps(shape.member, v) for v in value]
    if isinstance(shape, MapShape):
        return {k: coerce_timestamps(shape.value, v) for k, v in value.items()}
    return value
