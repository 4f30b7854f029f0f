"""Pagination tokens: opaque, tamper-evident, bound to the operation and its other arguments, 24 h.

Owns: encoding a position (any JSON-able value the store hands back) into a `nextToken` and
decoding it again; the `maxResults` default. A token that was altered, made for another operation
or other arguments, or is older than 24 hours is a ValidationException, as the model documents.
Must not: know how positions are queried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson

from farmstead.protocol.errors import ServiceError, validation_error

TOKEN_LIFETIME_SECONDS = 24 * 3600
DEFAULT_MAX_RESULTS = 100


class TokenCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def encode(self, operation: str, arguments: dict[str, Any], position: Any) -> str:
        payload = orjson.dumps([operation, _fingerprint(arguments), position, int(time.time())])
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._mac(payload)

    def decode(self, token: str, operation: str, arguments: dict[str, Any]) -> Any:
        try:
            body, mac = token.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad mac")
            op, fingerprint, position, issued = orjson.loads(payload)
        except (ValueError, TypeError, orjson.JSONDecodeError):
            raise _invalid() from None
        if op != operation or fingerprint != _fingerprint(arguments):
            raise _invalid()
        if time.time() - issued > TOKEN_LIFETIME_SECONDS:
            raise validation_error("The pagination token has expired.", reason="OTHER")
        return position


def _invalid() -> ServiceError:
    return validation_error("The pagination token is invalid.",
                            [{"name": "nextToken", "message": "Invalid pagination token"}])


def _fingerprint(arguments: dict[str, Any]) -> str:
    # "Keep all other arguments unchanged": a token is only good for the query it came from.
    stable = {k: v for k, v in arguments.items() if k not in ("nextToken", "maxResults", "clientToken")}
    return hashlib.sha256(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()[:16]
