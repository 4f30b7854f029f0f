"""SigV4 signing per request, for requests whose body changes every call (UpdateWorkerSchedule reports).

Owns: signing one Deadline Cloud request the way botocore signs non-S3 requests (SignedHeaders
content-type;host;x-amz-date, payload hash in the canonical request, no x-amz-content-sha256 header),
with hashlib/hmac only, the derived signing key cached per UTC day and the X-Amz-Date stamp cached
per second; and timing it against botocore's SigV4Auth, so the benchmark can print which one it uses
and why. Signing with botocore costs tens of µs per request (an AWSRequest, header copies, a
datetime, four HMACs for the key); this costs two SHA-256 and one HMAC.
Must not: be used by the tests (boto3 is their client), or sign paths that need percent-encoding
(farm, fleet and worker ids are unreserved characters, which is all the benchmark sends).
"""

from __future__ import annotations

import hashlib
import hmac
import time

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host;x-amz-date"
CONTENT_TYPE = "application/json"


class Signer:
    """Signs requests for one credential, service, region and Host."""

    def __init__(self, key_id: str, secret: str, region: str, netloc: str, service: str = "deadline") -> None:
        self._key_id = key_id
        self._secret = secret
        self._region = region
        self._service = service
        self._netloc = netloc
        self._day = ""
        self._key = b""
        self._second = -1
        self._stamp = ""

    def _now_stamp(self) -> str:
        second = int(time.time())
        if second != self._second:  # strftime per call would be ~1 µs of a ~10 µs budget
            self._second = second
            self._stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
        return self._stamp

    def _signing_key(self, day: str) -> bytes:
        if day != self._day:  # the key depends only on the day (and fixed region/service)
            key = f"AWS4{self._secret}".encode()
            for part in (day, self._region, self._service, "aws4_request"):
                key = hmac.digest(key, part.encode(), "sha256")
            self._day, self._key = day, key
        return self._key

    def head(self, method: str, path: str, body: bytes) -> bytes:
        """The request line and headers (ending in the blank line) of a signed keep-alive request."""
        stamp = self._now_stamp()
        day = stamp[:8]
        canonical = (f"{method}\n{path}\n\ncontent-type:{CONTENT_TYPE}\nhost:{self._netloc}\n"
                     f"x-amz-date:{stamp}\n\n{SIGNED_HEADERS}\n{hashlib.sha256(body).hexdigest()}")
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.digest(self._signing_key(day), to_sign.encode(), "sha256").hex()
        return (f"{method} {path} HTTP/1.1\r\nHost: {self._netloc}\r\nContent-Type: {CONTENT_TYPE}\r\n"
                f"X-Amz-Date: {stamp}\r\nAuthorization: {ALGORITHM} Credential={self._key_id}/{scope}, "
                f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()


def signing_cost_us(key_id: str, secret: str, region: str, netloc: str, path: str, body: bytes,
                    rounds: int = 2000) -> tuple[float, float]:
    """(this signer, botocore SigV4Auth) in µs of CPU per signed request, same request both ways."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signer = Signer(key_id, secret, region, netloc)
    started = time.process_time()
    for _ in range(rounds):
        signer.head("PATCH", path, body)
    ours = (time.process_time() - started) / rounds * 1e6

    auth = SigV4Auth(Credentials(key_id, secret), "deadline", region)
    url = f"http://{netloc}{path}"
    started = time.process_time()
    for _ in range(rounds):
        # A new request per call, as a client with a changing body has to build one per call.
        request = AWSRequest(method="PATCH", url=url, data=body, headers={"Content-Type": CONTENT_TYPE})
        auth.add_auth(request)
        request.prepare()
    theirs = (time.process_time() - started) / rounds * 1e6
    return ours, theirs
