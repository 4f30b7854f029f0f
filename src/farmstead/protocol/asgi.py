"""ASGI plumbing the two pipelines (pipeline.py, json_rpc.py) share: what they read off the wire and
how they put a response on it.

Owns: reading the whole request body, the request's raw path / query string / headers as text, and
sending a response with its x-amzn-requestid and content-length. Must not: route, authenticate,
parse or shape an error (the pipelines do); `handle` gets the body and request id and returns
(status, headers, payload).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable


async def serve(receive, send, handle: Callable[[bytes, str], tuple[int, list, bytes]], *,
                in_thread: bool = False) -> None:
    """Read the body, answer with `handle(body, request_id)`, stamped with the request id and length.

    `handle` runs on the event loop: requests are short and the loop serves them one after another.
    With `in_thread`, for a request that may wait on another service, it runs in a worker thread so
    the loop goes on serving meanwhile."""
    body = await _read_body(receive)
    request_id = str(uuid.uuid4())
    if in_thread:
        status, headers, payload = await asyncio.to_thread(handle, body, request_id)
    else:
        status, headers, payload = handle(body, request_id)
    headers.append((b"x-amzn-requestid", request_id.encode()))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def request_parts(scope) -> tuple[str, str, dict[str, str]]:
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
