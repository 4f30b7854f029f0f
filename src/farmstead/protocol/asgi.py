"""ASGI plumbing the pipelines (pipeline.py, json_rpc.py, query.py) share: what they read off the wire
and how they put a response on it.

Owns: reading a request body up to a limit (refused from Content-Length before anything is read, and
a chunked body as soon as it passes the limit), running a request inside admission control
(protocol/admission.py) or refusing it before its body is read, the request's raw path / query
string / headers as text, and sending a response with its x-amzn-requestid and content-length. Must not: route,
authenticate, parse or shape an error (the pipelines do); `handle` gets the body and request id and
returns (status, headers, payload), and `too_large` builds the protocol's answer to an oversized body.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from farmstead.protocol.admission import Admission, Kind, Refused, access_key_of

# The ASGI interface as the server hands it to an app (the spec's names, without importing Starlette).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
#: (status, headers, payload): what a pipeline's `handle` answers.
Answer = tuple[int, Headers, bytes]


class BodyTooLarge(Exception):
    """The request body is (or declares itself) longer than the route accepts."""


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number; None when absent (a chunked body) or unreadable."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it is known to exceed `limit` bytes.

    A declared length is judged before reading anything; a chunked body is counted as it arrives
    and dropped the moment it passes the limit, so a client can make the server hold at most
    `limit` bytes of its body (uvicorn stops reading the socket while nobody asks for more)."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise BodyTooLarge(f"{declared} bytes declared")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes sent")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def bounded_receive(scope: Scope, receive: Receive, limit: int, refuse: Callable[[], Exception]) -> Receive:
    """`receive` for an app that reads the body itself (the web monitor): `refuse()` is raised once
    more than `limit` bytes have arrived, before they are handed on."""
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise refuse()
        return message

    return bounded


async def serve(scope: Scope, receive: Receive, send: Send, handle: Callable[[bytes, str], Answer], *, max_body: int,
                too_large: Callable[[str], Answer], in_thread: bool = False) -> None:
    """Read the body (at most `max_body` bytes), answer with `handle(body, request_id)`, stamped with
    the request id and length.

    An oversized body is answered with `too_large(request_id)` without reading further, and the
    connection is closed after it, so the rest of the upload is never read.
    `handle` runs on the event loop: requests are short and the loop serves them one after another.
    With `in_thread`, for a request that may wait on another service or do long work, it runs in a
    worker thread so the loop goes on serving meanwhile."""
    request_id = str(uuid.uuid4())
    try:
        body = await read_body(scope, receive, max_body)
    except BodyTooLarge:
        status, headers, payload = too_large(request_id)
        headers.append((b"connection", b"close"))
        await send_answer(send, request_id, status, headers, payload)
        return
    if in_thread:
        status, headers, payload = await asyncio.to_thread(handle, body, request_id)
    else:
        status, headers, payload = handle(body, request_id)
    await send_answer(send, request_id, status, headers, payload)


async def admitted(scope: Scope, send: Send, admission: Admission | None, kind: Kind,
                   serve_request: Callable[[], Awaitable[None]], refuse: Callable[[str, str, int], Answer]) -> None:
    """Run `serve_request()` inside admission control (protocol/admission.py), or answer
    `refuse(request_id, message, retry_after_seconds)` at once, without reading the body."""
    if admission is None or not admission.enabled:
        await serve_request()
        return
    try:
        # Workers are not counted per key (protocol/admission.py): no need to read it.
        ticket = admission.enter(kind, access_key_of(scope) if kind is Kind.USER else "")
    except Refused as refusal:
        await _send_refusal(send, refuse, refusal)
        return
    try:
        if kind is Kind.USER:
            try:
                await admission.settle(ticket)
            except Refused as refusal:
                await _send_refusal(send, refuse, refusal)
                return
        await serve_request()
    finally:
        admission.leave(ticket)


async def _send_refusal(send: Send, refuse: Callable[[str, str, int], Answer], refusal: Refused) -> None:
    request_id = str(uuid.uuid4())
    status, headers, payload = refuse(request_id, refusal.message, refusal.retry_after_seconds)
    await send_answer(send, request_id, status, headers, payload)


async def send_answer(send: Send, request_id: str, status: int, headers: Headers, payload: bytes) -> None:
    headers.append((b"x-amzn-requestid", request_id.encode()))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def request_parts(scope: Scope) -> tuple[str, str, dict[str, str]]:
    """(raw path, query string, headers by lower-case name) as signature checks and parsing read them.

    A header sent more than once is joined with commas, as SigV4 canonicalizes it.
    """
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query_string = scope.get("query_string", b"").decode("latin-1")
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[name] = f"{headers[name]},{text}" if name in headers else text
    return raw_path, query_string, headers
