"""Requests signed once with botocore's SigV4Auth, then replayed as they are.

Owns: building the exact HTTP request of one Deadline Cloud operation from the botocore model (the
path comes from the operation's requestUri), signing it once, and replaying it over one keep-alive
connection. A signature stays valid for the server's 15-minute skew window and the server accepts
the identical request again, so a benchmark signs each distinct request once and spends no client
CPU on signing while it measures (boto3 costs ~1 ms of client CPU per call: docs/benchmarks.md).
Must not: be used for correctness tests (boto3 is the client those use).
"""

from __future__ import annotations

import functools
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass(frozen=True)
class SignedRequest:
    label: str
    method: str
    netloc: str  # "127.0.0.1:PORT": what Host says, and what was signed
    target: str  # path and query, exactly as signed
    headers: tuple[tuple[str, str], ...]  # every header to send, Host included
    body: bytes

    def wire(self) -> bytes:
        """The request as bytes on a keep-alive HTTP/1.1 connection."""
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@functools.cache
def _service_model():
    return botocore.session.get_session().get_service_model("deadline")


def presign(endpoint: str, operation: str, labels: dict[str, str] | None = None, *,
            query: dict[str, Any] | None = None, body: dict | None = None, key_id: str, secret: str,
            region: str, label: str | None = None) -> SignedRequest:
    """Sign one request of `operation` now; the result may be replayed for the next 15 minutes."""
    http_info = _service_model().operation_model(operation).http
    path = http_info["requestUri"]
    for name, value in (labels or {}).items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    target = path + ("?" + urlencode(sorted(query.items())) if query else "")
    return presign_target(endpoint, http_info["method"], target, body, key_id=key_id, secret=secret, region=region,
                          label=label or operation)


def presign_target(endpoint: str, method: str, target: str, body: dict | None = None, *, key_id: str, secret: str,
                   region: str, label: str) -> SignedRequest:
    """Sign one request to any path (a route outside the model, such as bench.noop_server's)."""
    payload = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=endpoint.rstrip("/") + target, data=payload,
                         headers=headers)
    SigV4Auth(Credentials(key_id, secret), "deadline", region).add_auth(request)
    netloc = urlsplit(endpoint).netloc
    sent = [("Host", netloc)] + [(name, str(value)) for name, value in request.headers.items()]
    return SignedRequest(label, method, netloc, target, tuple(sent), payload)


class Connection:
    """One keep-alive connection replaying signed requests (for polling and single checks)."""

    def __init__(self, netloc: str, timeout: float = 30.0) -> None:
        host, _, port = netloc.partition(":")
        self._http = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)

    def send(self, request: SignedRequest) -> tuple[int, bytes]:
        self._http.request(request.method, request.target, body=request.body or None,
                           headers=dict(request.headers))
        response = self._http.getresponse()
        return response.status, response.read()

    def json(self, request: SignedRequest) -> dict:
        status, body = self.send(request)
        if status >= 300:
            raise RuntimeError(f"{request.label} answered {status}: {body[:500]!r}")
        return json.loads(body)

    def close(self) -> None:
        self._http.close()
