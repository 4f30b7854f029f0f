"""ASGI plumbing the pipelines (pipeline.py, json_rpc.py, query.py) share: what they read off the wire
and how they put a response on it.

Owns: reading a request body up to a limit (refused from Content-Length before anything is read, and
a chunked body as soon as it passes the limit), running a request inside admission control
(protocol/admission.py) or refusing it before its body is read, the request's raw path / query
string / headers as text, and sending a response with its x-amzn-requestid and content-length. Must not: route,
authenticate, parse or shape an error (the pipelines do); `handle` gets the body and request id and
returns (status, headers, payload), and `too_large` builds the protocol's answer to an oversized body.

Also owns holding an answer (a long poll) without a thread: code under `handle` may `offer_hold`
(the answer it just made says "nothing new"); the edge then gives back the request's admission
place, awaits the offered wait (bounded by `hold_seconds`) and asks `handle` again for a fresh
answer, which is the one sent (docs/protocol.md "Held schedule calls").
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
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


#: Waits until there may be news (truthy: what woke it, for `last_wake`) or the given seconds pass (falsy).
HoldWait = Callable[[float], Awaitable[object]]


@dataclass
class _HoldOffer:
    wait: HoldWait | None = None
    #: What the last offered wait returned (None before any): code under `handle` asks `last_wake`.
    woken: object = None


#: The request's hold offer (each ASGI request runs in its own task, so its own context; a handler
#: run with asyncio.to_thread sees a copy that holds the same offer object).
_offer: ContextVar[_HoldOffer | None] = ContextVar("farmstead_hold_offer", default=None)
#: Gives the request's admission place back (protocol/admission.py): a held call waits outside it.
_give_back: ContextVar[Callable[[], None] | None] = ContextVar("farmstead_admission_give_back", default=None)


def offer_hold(wait: HoldWait) -> None:
    """Called under `handle` once its answer is final (committed): the edge may await `wait` and ask
    `handle` again instead of sending this answer now. A no-op where the edge does not hold."""
    offer = _offer.get()
    if offer is not None:
        offer.wait = wait


def last_wake() -> object:
    """Under `handle`: what ended the wait this answer is made after (None on a first answer)."""
    offer = _offer.get()
    return offer.woken if offer is not None else None


class BodyTooLarge(Exception):
    """The request body is (or declares itself) longer than the route accepts."""


def preferred_wait(scope: Scope) -> float:
    """Seconds the client says it will wait for an answer (RFC 7240 `Prefer: wait=N`); 0 without one.
    Only a client that says so is held: one that does not (the official worker agent) may not expect
    a call to take long, and would not be stopped before it came back."""
    for name, value in scope["headers"]:
        if name.lower() == b"prefer":
            for preference in value.decode("latin-1").split(","):
                key, _, seconds = preference.strip().partition("=")
                if key.strip().lower() == "wait":
                    try:
                        return max(0.0, float(seconds.strip().strip('"')))
                    except ValueError:
                        return 0.0
    return 0.0


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
                too_large: Callable[[str], Answer], in_thread: bool = False, hold_seconds: float = 0.0,
                answered: Callable[[float], None] | None = None) -> None:
    """Read the body (at most `max_body` bytes), answer with `handle(body, request_id)`, stamped with
    the request id and length.

    An oversized body is answered with `too_large(request_id)` without reading further, and the
    connection is closed after it, so the rest of the upload is never read.
    `handle` runs on the event loop: requests are short and the loop serves them one after another.
    With `in_thread`, for a request that may wait on another service or its database (PostgreSQL)
    or do long work, it runs in a worker thread so the loop goes on serving meanwhile. With
    `hold_seconds`, `handle` may offer to hold its answer (`offer_hold`) for at most that long.
    `answered` is told, once per request and just before its answer is sent, the seconds spent
    making it: every run of `handle`, a hold's wait not counted (a held call runs `handle` again,
    and is still one request)."""
    request_id = str(uuid.uuid4())
    try:
        body = await read_body(scope, receive, max_body)
    except BodyTooLarge:
        status, headers, payload = too_large(request_id)
        headers.append((b"connection", b"close"))
        await send_answer(send, request_id, status, headers, payload)
        return
    offer = None
    if hold_seconds > 0:
        offer = _HoldOffer()
        _offer.set(offer)
    working = [0.0]  # seconds in `handle` so far
    status, headers, payload = await _run(handle, body, request_id, in_thread, working)
    if offer is not None and offer.wait is not None:
        status, headers, payload = await _held(offer, hold_seconds, (status, headers, payload),
                                               lambda: _run(handle, body, request_id, in_thread, working))
    if answered is not None:
        answered(working[0])
    await send_answer(send, request_id, status, headers, payload)


async def _run(handle: Callable[[bytes, str], Answer], body: bytes, request_id: str, in_thread: bool,
               working: list[float]) -> Answer:
    started = time.perf_counter()
    try:
        if in_thread:
            return await asyncio.to_thread(handle, body, request_id)
        return handle(body, request_id)
    finally:
        working[0] += time.perf_counter() - started


async def _held(offer: _HoldOffer, hold_seconds: float, answer: Answer, run: Callable[[], Awaitable[Answer]]) -> Answer:
    """Await the offered wait, then answer afresh; again while the fresh answer offers to hold and
    time remains (a wake-up that brought this caller nothing), at most `hold_seconds` in all."""
    give_back = _give_back.get()
    if give_back is not None:
        give_back()  # a held call is no load: admission's place goes to another request
    loop = asyncio.get_running_loop()
    until = loop.time() + hold_seconds
    while offer.wait is not None and (remaining := until - loop.time()) > 0:
        wait, offer.wait = offer.wait, None
        woken = offer.woken = await wait(remaining)
        answer = await run()  # computed now: whatever the wake-up was about is in it
        if not woken:
            break
    offer.wait = None
    return answer


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
    left = False

    def leave() -> None:
        nonlocal left
        if not left:
            left = True
            admission.leave(ticket)

    _give_back.set(leave)
    try:
        if kind is Kind.USER:
            try:
                await admission.settle(ticket)
            except Refused as refusal:
                await _send_refusal(send, refuse, refusal)
                return
        await serve_request()
    finally:
        leave()


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
