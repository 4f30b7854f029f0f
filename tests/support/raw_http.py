"""Signed raw HTTP requests, for inputs boto3 would refuse to send (bad JSON, unknown members, wrong types)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION


def signed_request(endpoint: str, method: str, path: str, body: bytes | str | dict | None = None,
                   headers: dict[str, str] | None = None, key_id: str = ADMIN_KEY_ID,
                   secret: str = ADMIN_SECRET, sign: bool = True) -> tuple[int, dict[str, str], dict]:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    request = AWSRequest(method=method, url=endpoint + path, data=body or b"",
                         headers={"Content-Type": "application/json", **(headers or {})})
    if sign:
        SigV4Auth(Credentials(key_id, secret), "deadline", REGION).add_auth(request)
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
