"""The API pipeline as one ASGI app, with the caller and the handlers stubbed: the order of its steps."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from farmstead.protocol.pipeline import ApiPipeline
from farmstead.protocol.signing import SignatureError

FARM = "farm-" + "0" * 32


class CountingRouter:
    """The pipeline's router, counting how often a request is matched."""

    def __init__(self, router) -> None:
        self.router = router
        self.matches = 0

    def match(self, method: str, path: str):
        self.matches += 1
        return self.router.match(method, path)


def _pipeline(authenticate=lambda request: "caller") -> tuple[ApiPipeline, CountingRouter, list]:
    executed: list = []

    def execute(info, principal, params, request_id) -> dict[str, Any]:
        executed.append((info.name, principal, params))
        return {}

    pipeline = ApiPipeline(authenticate, execute, in_thread=lambda name: False)
    counting = CountingRouter(pipeline._router)
    pipeline._router = counting
    return pipeline, counting, executed


def _call(pipeline: ApiPipeline, method: str, path: str) -> tuple[int, dict]:
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"localhost")]}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(pipeline(scope, receive, send))
    return sent[0]["status"], orjson.loads(sent[1]["body"] or b"{}")


def test_a_request_is_routed_once():
    pipeline, router, executed = _pipeline()
    status, _ = _call(pipeline, "GET", f"/2023-10-12/farms/{FARM}")
    assert (status, executed) == (200, [("GetFarm", "caller", {"farmId": FARM})])
    assert router.matches == 1


def test_a_path_no_operation_has_is_unknown_once_the_caller_is_known():
    pipeline, router, executed = _pipeline()
    status, body = _call(pipeline, "GET", "/2023-10-12/nowhere")
    assert (status, body["message"], executed) == (404, "No operation matches GET /2023-10-12/nowhere.", [])
    assert router.matches == 1


def test_the_signature_is_judged_before_the_route():
    def refuse(request):
        raise SignatureError("MissingAuthenticationTokenException", "Missing Authentication Token")

    pipeline, _, _ = _pipeline(refuse)
    status, body = _call(pipeline, "GET", "/2023-10-12/nowhere")
    assert (status, body["message"]) == (403, "Missing Authentication Token")
