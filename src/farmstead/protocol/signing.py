"""AWS Signature Version 4 verification, server side.

Owns: deciding whether a received request was signed with SigV4 (Authorization header form or
presigned query form) by a known credential, and which one; and, when it was not, the AWS error
code, message and status the SDKs expect back. The canonical request is rebuilt the way botocore
builds it for non-S3 services, from the request exactly as it arrived on the wire.

Must not: import botocore or a web framework (this runs on every request and must stay cheap),
read the clock (callers pass `now`), touch storage (callers pass `lookup`), or build responses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, unquote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # AWS refuses presigned URLs valid for longer than a week
_TERMINATOR = "aws4_request"
_STAMP = "%Y%m%dT%H%M%SZ"
_QUERY_AUTH_KEYS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders")
_BAD_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)
# A query component already in canonical form (unreserved characters, upper-case escapes of
# anything else) is kept as is: decoding and re-encoding it would cost ~5 µs a component.
_looks_canonical = re.compile(r"(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*").fullmatch
_escaped_unreserved = re.compile(r"%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])").search


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret_access_key: str
    principal_id: str  # who this key belongs to
    session_token: str | None = None  # temporary credentials: request must carry the same token
    expires_at: datetime | None = None  # aware UTC; requests after it get ExpiredTokenException


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    raw_path: str  # still percent-encoded, exactly as on the wire (ASGI scope["raw_path"])
    query_string: str  # raw, no leading '?'
    headers: Mapping[str, str]  # lower-cased names -> value as received (bytes read as latin-1)
    body: bytes


class SignatureError(Exception):
    """A refusal: `code` goes back as x-amzn-ErrorType, `message` as the body's message."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class _Claim(NamedTuple):
    """What the request says about its own signature, before any of it is believed."""

    access_key: str
    scope_date: str
    region: str
    scope_service: str
    signed_headers: str
    signature: str
    amz_date: str
    signed_at: datetime
    token: str | None
    expires: int | None  # presigned form only
    presigned: bool


def _incomplete(message: str) -> SignatureError:  # 400 at AWS, unlike every other refusal here
    return SignatureError("IncompleteSignatureException", message, 400)


def _invalid(message: str = _MISMATCH) -> SignatureError:
    return SignatureError("InvalidSignatureException", message)


def verify(
    request: IncomingRequest,
    lookup: Callable[[str], Credential | None],
    now: datetime,
    *,
    service: str | tuple[str, ...] = "deadline",
    max_skew: timedelta = timedelta(minutes=15),
) -> Credential:
    """Return the credential that signed `request`, or raise SignatureError."""
    headers = request.headers
    query_string = request.query_string
    raw_pairs = [p.partition("=")[::2] for p in query_string.split("&")] if query_string else []
    authorization = headers.get("authorization")
    if authorization is not None:
        claim = _claim_from_header(authorization, headers)
    else:
        claim = _claim_from_query(raw_pairs, headers)

    names = claim.signed_headers.split(";")
    if "host" not in names:  # an unsigned Host lets a signature be replayed at another server
        raise _incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS"
                          " Authorization.")
    accepted = (service,) if isinstance(service, str) else service
    if claim.scope_service not in accepted:
        raise _invalid(f"Credential should be scoped to correct service: '{accepted[0]}'. ")
    if claim.scope_date != claim.amz_date[:8]:
        raise _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from"
            f" HTTP: '{claim.scope_date}' != '{claim.amz_date[:8]}'"
        )

    credential = lookup(claim.access_key)
    wanted = credential.session_token if credential else None
    token = claim.token
    # A token on a long-term key is refused too, as AWS does: it is not the credential it names.
    if credential is None or (wanted is None) != (token is None) or (
        wanted is not None and token is not None and not hmac.compare_digest(wanted.encode(), token.encode())
    ):
        raise SignatureError("UnrecognizedClientException", _BAD_TOKEN)
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    if credential.expires_at is not None and now > credential.expires_at:
        raise SignatureError("ExpiredTokenException", _EXPIRED_TOKEN)
    _check_clock(claim, now, max_skew)

    payloads = _payload_hashes(request.body, headers.get("x-amz-content-sha256"), claim.presigned)
    # Trimall: strip and collapse runs of whitespace inside the value, as botocore does.
    canonical_headers = "".join(f"{n}:{' '.join(_as_signed(headers.get(n, '')).split())}\n"
                                for n in names)
    query = _canonical_query(raw_pairs, drop_signature=claim.presigned)
    head = (
        f"{request.method.upper()}\n{_canonical_uri(request.raw_path)}\n{query}\n"
        f"{canonical_headers}\n{claim.signed_headers}\n"
    )
    scope = f"{claim.scope_date}/{claim.region}/{claim.scope_service}/{_TERMINATOR}"
    key = _signing_key(credential.secret_access_key, *claim[1:4])  # date, region, service
    given = claim.signature.encode()
    for payload in payloads:
        digest = hashlib.sha256(f"{head}{payload}".encode("utf-8", "surrogateescape")).hexdigest()
        to_sign = f"{ALGORITHM}\n{claim.amz_date}\n{scope}\n{digest}"
        if hmac.compare_digest(hmac.digest(key, to_sign.encode(), "sha256").hex().encode(), given):
            return credential
    raise _invalid()


def _wire_bytes(text: str) -> bytes:
    # ASGI hands over bytes and the pipeline reads them as latin-1, which is lossless: encoding
    # back recovers the bytes. A str that cannot be was read as UTF-8 upstream; undo that instead.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode()


def _as_signed(value: str) -> str:
    # botocore signs the UTF-8 text and sends its UTF-8 bytes; surrogateescape carries any byte
    # that is not UTF-8 through to the hash unchanged.
    return value if value.isascii() else _wire_bytes(value).decode("utf-8", "surrogateescape")


@lru_cache(maxsize=16_384)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    # Four HMACs per request would be a third of the budget; the key only changes daily. Sized for
    # a farm's worth of workers, each signing with its own temporary key (a few MB at most).
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, _TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _claim_from_header(authorization: str, headers: Mapping[str, str]) -> _Claim:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'. "
                          f"Authorization={authorization}")
    # Components are comma separated in the spec, but SDKs differ on spaces; accept either.
    fields = dict(t.partition("=")[::2] for t in rest.replace(",", " ").split())
    amz_date = headers.get("x-amz-date") or _date_header_stamp(headers.get("date"))
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or"
                        " a 'Date' header.")
    if problems or amz_date is None:  # a missing date is among the problems
        raise _incomplete(" ".join(problems) + f" Authorization={authorization}")
    return _Claim(
        *_split_credential(fields["Credential"]), fields["SignedHeaders"], fields["Signature"],
        amz_date, _parse_stamp(amz_date), headers.get("x-amz-security-token"), None, False,
    )


def _claim_from_query(raw_pairs: list[tuple[str, str]], headers: Mapping[str, str]) -> _Claim:
    params: dict[str, str] = {}
    for raw_key, raw_value in raw_pairs:
        if raw_key.startswith("X-Amz-") and raw_key not in params:
            # Signers escape only '/' (credential) and ';' (headers) here; unquote() costs ~3 µs.
            value = raw_value.replace("%2F", "/").replace("%3B", ";")
            if "%" in value or "+" in value:
                value = unquote(raw_value.replace("+", " "))
            params[raw_key] = value
    if "X-Amz-Signature" not in params:
        raise SignatureError("MissingAuthenticationTokenException", "Missing Authentication Token")
    missing = [k for k in _QUERY_AUTH_KEYS if not params.get(k)]
    if missing:
        raise _incomplete(
            " ".join(f"AWS query-string parameters must include '{k}'." for k in missing)
            + " Re-examine the query-string parameters."
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'.")
    expires_text = params.get("X-Amz-Expires")
    expires = None
    if expires_text is not None:
        if not (expires_text.isascii() and expires_text.isdigit()) or int(expires_text) > MAX_PRESIGN_SECONDS:
            raise _incomplete(f"X-Amz-Expires must be whole seconds up to {MAX_PRESIGN_SECONDS}.")
        expires = int(expires_text)
    amz_date = params["X-Amz-Date"]
    token = params.get("X-Amz-Security-Token", headers.get("x-amz-security-token"))
    return _Claim(
        *_split_credential(params["X-Amz-Credential"]), params["X-Amz-SignedHeaders"],
        params["X-Amz-Signature"], amz_date, _parse_stamp(amz_date), token, expires, True,
    )


def _split_credential(value: str) -> tuple[str, str, str, str]:
    parts = value.split("/")
    if len(parts) != 5 or not all(parts):
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g."
            f" keyid/date/region/service/term, got '{value}'"
        )
    if parts[4] != _TERMINATOR:
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}',"
            f" not '{parts[4]}'."
        )
    return parts[0], parts[1], parts[2], parts[3]


def _date_header_stamp(value: str | None) -> str | None:
    # botocore signs over a Date header (RFC 1123) instead of X-Amz-Date if one is already set;
    # the string to sign still carries the ISO basic form of the same instant.
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise _incomplete(f"Date header '{value}' is not an RFC 1123 date.") from None
    if parsed.tzinfo is None:  # "-0000": UTC, with no zone claimed
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(_STAMP)


def _parse_stamp(stamp: str) -> datetime:
    # strptime costs ~10 µs; fromisoformat (3.11+ reads the basic format) well under one.
    digits = stamp[:8] + stamp[9:15]
    if len(stamp) == 16 and stamp[8::7] == "TZ" and digits.isascii() and digits.isdigit():
        try:  # the shape is pinned above, so fromisoformat's other spellings cannot slip in
            return datetime.fromisoformat(stamp)
        except ValueError:  # month 13, 25 o'clock and friends
            pass
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. See"
        " http://en.wikipedia.org/wiki/ISO_8601"
    )


def _check_clock(claim: _Claim, now: datetime, max_skew: timedelta) -> None:
    latest = now + max_skew
    if claim.signed_at > latest:
        raise _invalid(
            f"Signature not yet current: {claim.amz_date} is still later than"
            f" {latest.strftime(_STAMP)} ({now.strftime(_STAMP)} + {_span(max_skew)})"
        )
    # A presigned URL is good for X-Amz-Expires after signing; a header-signed request for the skew.
    window = max_skew if claim.expires is None else timedelta(seconds=claim.expires)
    earliest = now - window
    if claim.signed_at < earliest:
        raise _invalid(
            f"Signature expired: {claim.amz_date} is now earlier than"
            f" {earliest.strftime(_STAMP)} ({now.strftime(_STAMP)} - {_span(window)})"
        )


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."


def _payload_hashes(body: bytes, claimed: str | None, presigned: bool) -> tuple[str, ...]:
    """The payload hashes worth trying, in order; raises if the claimed hash is unacceptable."""
    if claimed == UNSIGNED_PAYLOAD:
        if not presigned:
            raise _invalid("UNSIGNED-PAYLOAD is only accepted on presigned (query) requests.")
        return (claimed,)
    actual = hashlib.sha256(body).hexdigest()
    if claimed is not None:
        # The signature covers the claimed hash, not the body: unchecked, it would carry any body.
        if claimed.lower() != actual:
            raise _invalid("The provided 'x-amz-content-sha256' header does not match what was"
                           " computed.")
        return (claimed,)
    # botocore presigns non-S3 requests over the body hash, S3-style presigners over
    # UNSIGNED-PAYLOAD without saying so; the second try only costs on a failing request.
    return (actual, UNSIGNED_PAYLOAD) if presigned else (actual,)


def _canonical_query(raw_pairs: list[tuple[str, str]], *, drop_signature: bool) -> str:
    # Decode as the application will ('+' is a space, like parse_qsl), then re-encode leaving only
    # the unreserved set bare; sorting the encoded pairs orders by key, then by value.
    pairs = sorted((_encode_component(k), _encode_component(v)) for k, v in raw_pairs)
    return "&".join(f"{k}={v}" for k, v in pairs if not (drop_signature and k == "X-Amz-Signature"))


def _encode_component(raw: str) -> str:
    if _looks_canonical(raw) and ("%" not in raw or not _escaped_unreserved(raw)):
        return raw
    # Bytes, not str, so a stray invalid UTF-8 escape survives the round trip unchanged.
    return quote(unquote_to_bytes(_wire_bytes(raw.replace("+", " "))), safe="-_.~")


def _canonical_uri(raw_path: str) -> str:
    # Non-S3 SigV4 encodes the already-encoded path once more ('%3A' becomes '%253A'), after
    # dropping '.', '..' and empty segments the way botocore normalises before signing.
    path = raw_path or "/"
    if "//" in path or "/." in path:
        kept: list[str] = []
        for segment in path.split("/"):
            if segment == "..":
                if kept:
                    kept.pop()
            elif segment and segment != ".":
                kept.append(segment)
        lead = "/" if path.startswith("/") else ""
        path = lead + "/".join(kept) + ("/" if path.endswith("/") and kept else "")
    return quote(path if path.isascii() else _wire_bytes(path), safe="/~")
