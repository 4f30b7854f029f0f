"""Raw HTTP requests, for inputs boto3 would refuse to send (bad JSON, unknown members, wrong types,
bodies too large to send whole)."""

from __future__ import annotations

import http.client
import json
import select
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION


def signed_request(endpoint: str, method: str, path: str, body: bytes | str | dict | None = None,
                   headers: dict[str, str] | None = None, key_id: str = ADMIN_KEY_ID,
                   secret: str = ADMIN_SECRET, sign: bool = True,
                   service: str = "deadline") -> tuple[int, dict[str, str], dict]:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    request = AWSRequest(method=method, url=endpoint + path, data=body or b"",
                         headers={"Content-Type": "application/json", **(headers or {})})
    if sign:
        SigV4Auth(Credentials(key_id, secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body or None, method=method,
                                 headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            status, response_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, payload = error.code, dict(error.headers), error.read()
    lowered = {k.lower(): v for k, v in response_headers.items()}
    return status, lowered, json.loads(payload) if payload else {}


@dataclass
class Upload:
    """What a streamed upload got back, and how much of its body the server took before answering."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    sent: int


def stream_upload(endpoint: str, method: str, path: str, total_bytes: int, *,
                  headers: dict[str, str] | None = None, declared_length: int | None = None,
                  chunk_bytes: int = 1024 * 1024, fill: bytes = b"x", timeout: float = 60) -> Upload:
    """Send a body of `total_bytes` (chunked, or with `declared_length` as Content-Length) over a raw
    socket, and stop sending as soon as the server answers or closes: the count of bytes sent says
    whether the server refused early or read the whole body. The body repeats `fill`. Nothing is signed."""
    url = urllib.parse.urlsplit(endpoint)
    sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    lines.append(f"Content-Length: {declared_length}" if declared_length is not None
                 else "Transfer-Encoding: chunked")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    piece = (fill * (chunk_bytes // len(fill) + 1))[:chunk_bytes]
    sent = 0
    answered = False
    try:
        while sent < total_bytes and not answered:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answered = True
                break
            size = min(chunk_bytes, total_bytes - sent)
            data = piece[:size]
            sock.sendall(data if declared_length is not None else b"%x\r\n%s\r\n" % (size, data))
            sent += size
        if not answered and declared_length is None:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while we were still sending
    response = http.client.HTTPResponse(sock, method=method)
    try:
        response.begin()
        body = response.read()
        status, response_headers = response.status, {k.lower(): v for k, v in response.getheaders()}
    except (http.client.HTTPException, ConnectionResetError, OSError):
        status, response_headers, body = None, {}, b""
    finally:
        sock.close()
    return Upload(status, response_headers, body, sent)
