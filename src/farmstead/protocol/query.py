"""The AWS query protocol, as much of it as STS GetCallerIdentity needs: `POST /` with a form body.

Owns: telling a query-protocol request apart (form-encoded POST to `/` without X-Amz-Target, so the
JSON-protocol logs service keeps its routing), the signature check with the service's signing name,
reading `Action` and the other form fields, and the XML answer and error formats AWS query services
use (`<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`, `<ErrorResponse>`).
Must not: know what an action means; the actions are injected as functions of (caller, fields).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from farmstead.protocol import asgi
from farmstead.protocol.admission import Admission, Kind
from farmstead.protocol.errors import ServiceError, Unavailable
from farmstead.protocol.signing import IncomingRequest, SignatureError

log = logging.getLogger("farmstead.api")

MAX_BODY_BYTES = 64 * 1024
_FORM = "application/x-www-form-urlencoded"

Action = Callable[[Any, dict[str, str]], dict[str, str]]


def is_query_request(scope: asgi.Scope) -> bool:
    """A form POST to / with no X-Amz-Target: what botocore sends for query-protocol services."""
    if scope["method"] != "POST" or scope["path"] != "/":
        return False
    headers = {name.lower(): value for name, value in scope["headers"]}
    return b"x-amz-target" not in headers and headers.get(b"content-type", b"").decode(
        "latin-1").lower().startswith(_FORM)


class QueryPipeline:
    """ASGI app for one query-protocol service (signing name `signing_name`, XML namespace `namespace`)."""

    def __init__(self, signing_name: str, namespace: str, authenticate: Callable[[IncomingRequest], Any],
                 actions: Mapping[str, Action], admission: Admission | None = None) -> None:
        self._signing_name = signing_name
        self._namespace = namespace
        self._authenticate = authenticate
        self._actions = dict(actions)
        self._admission = admission

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        async def serve_request() -> None:
            await asgi.serve(scope, receive, send, lambda body, request_id: self.handle(scope, body, request_id),
                             max_body=MAX_BODY_BYTES, too_large=self._too_large)

        await asgi.admitted(scope, send, self._admission, Kind.USER, serve_request, self._throttled)

    def _throttled(self, request_id: str, message: str, retry_after_seconds: int) -> asgi.Answer:
        status, headers, body = self._error(400, "Throttling", message, request_id)
        headers.append((b"retry-after", str(retry_after_seconds).encode()))
        return status, headers, body

    def _too_large(self, request_id: str) -> asgi.Answer:
        """Answered before the signature is checked: the body was never read in full."""
        return self._error(400, "SerializationException",
                           f"Request body is too large: the limit is {MAX_BODY_BYTES} bytes.", request_id)

    def handle(self, scope: asgi.Scope, body: bytes, request_id: str) -> asgi.Answer:
        try:
            raw_path, query_string, headers = asgi.request_parts(scope)
            caller = self._authenticate(IncomingRequest(scope["method"], raw_path, query_string, headers, body))
            fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
            name = fields.get("Action", "")
            action = self._actions.get(name)
            if action is None:
                return self._error(400, "InvalidAction", f"Could not find operation {name or '(no Action)'} "
                                   f"for {self._signing_name}.", request_id)
            members = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in action(caller, fields).items())
            xml = (f'<{name}Response xmlns="{self._namespace}"><{name}Result>{members}</{name}Result>'
                   f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>")
            return 200, [(b"content-type", b"text/xml")], xml.encode()
        except SignatureError as err:
            return self._error(err.status, err.code, err.message, request_id)
        except ServiceError as err:
            return self._error(err.status, err.code, err.message, request_id)
        except Unavailable as err:
            status, answer_headers, payload = self._error(503, "ServiceUnavailable", err.message, request_id)
            answer_headers.append((b"retry-after", str(err.retry_after_seconds).encode()))
            return status, answer_headers, payload
        except Exception:
            log.exception("internal error %s", request_id)
            return self._error(500, "InternalFailure", f"Internal server error (request {request_id}).", request_id)

    def _error(self, status: int, code: str, message: str, request_id: str) -> asgi.Answer:
        kind = "Receiver" if status >= 500 else "Sender"
        xml = (f'<ErrorResponse xmlns="{self._namespace}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
               f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return status, [(b"content-type", b"text/xml")], xml.encode()
