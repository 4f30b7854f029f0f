"""SigV4 verification against requests signed by real botocore.

Every accepted request here was signed by botocore itself (SigV4Auth / SigV4QueryAuth, or a
whole `deadline` client), so these tests pin what botocore actually puts on the wire rather
than our reading of the spec.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from urllib.parse import quote, unquote_to_bytes, urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from farmstead.protocol import signing
from farmstead.protocol.signing import Credential, IncomingRequest, SignatureError, verify

SIGNED_AT = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
ENDPOINT = "https://deadline.us-west-2.amazonaws.com"
FARM_ARN = "arn:aws:deadline:us-west-2:000000000000:farm/farm-0123456789abcdef0123456789abcdef"

ALICE = Credential("AKIDALICE0000000000", "alice-secret/with+odd=chars", "user-alice")
TEMP = Credential(
    "ASIATEMP00000000000",
    "temp-secret",
    "role-render",
    session_token="FQoGZXIvYXdzE+token/with==padding",
    expires_at=SIGNED_AT + timedelta(hours=1),
)
KEYS = {c.access_key_id: c for c in (ALICE, TEMP)}


@pytest.fixture(autouse=True)
def botocore_signs_at_a_fixed_instant(monkeypatch):
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda *a, **k: SIGNED_AT.replace(tzinfo=None)
    )


def boto_creds(cred: Credential, secret: str | None = None) -> Credentials:
    return Credentials(cred.access_key_id, secret or cred.secret_access_key, cred.session_token)


def on_the_wire(prepared) -> IncomingRequest:
    """What the server would receive for a botocore-prepared request."""
    parts = urlsplit(prepared.url)
    # A real client hands over bytes; the pipeline reads them as latin-1, as ASGI bytes.
    headers = {
        k.lower(): v.decode("latin-1") if isinstance(v, bytes) else v
        for k, v in prepared.headers.items()
    }
    headers.setdefault("host", parts.netloc)  # http.client adds Host from the URL
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return IncomingRequest(prepared.method, parts.path or "/", parts.query, headers, body)


def sign(method="GET", url=ENDPOINT + "/2023-10-12/farms", *, body=b"", headers=None,
         cred=ALICE, secret=None, region="us-west-2", service="deadline", presign=None,
         params=None) -> IncomingRequest:
    """Sign with botocore (header form, or query form when `presign` seconds are given)."""
    request = AWSRequest(method, url, data=body, headers=dict(headers or {}), params=params)
    if presign is None:
        SigV4Auth(boto_creds(cred, secret), service, region).add_auth(request)
    else:
        SigV4QueryAuth(boto_creds(cred, secret), service, region, expires=presign).add_auth(request)
    return on_the_wire(request.prepare())


def check(request: IncomingRequest, now: datetime = SIGNED_AT, **kwargs) -> Credential:
    return verify(request, KEYS.get, now, **kwargs)


def refusal(request: IncomingRequest, now: datetime = SIGNED_AT, **kwargs) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        check(request, now, **kwargs)
    return caught.value


def with_(request: IncomingRequest, **changes) -> IncomingRequest:
    return dataclasses.replace(request, **changes)


# --- accepted ------------------------------------------------------------------------------


def test_get_with_encoded_query_values_is_accepted():
    url = ENDPOINT + "/2023-10-12/farms?maxResults=10&nextToken=a%2Bb%3D&principalId=p%20q"
    assert check(sign(url=url)) is ALICE


def test_repeated_query_keys_are_sorted_by_value_too():
    url = ENDPOINT + "/2023-10-12/farms?b=2&a=z&a=y&a=%2A&empty="
    assert check(sign(url=url)) is ALICE


def test_query_params_botocore_sends_as_plus_are_read_as_spaces():
    # AWSRequest(params=...) signs '%20' but urlencode() puts '+' on the wire.
    request = sign(params={"displayName": "two words", "x": "a+b"})
    assert "+" in request.query_string
    assert check(request) is ALICE


def test_patch_with_json_body_is_accepted():
    body = json.dumps({"displayName": "Render farm ✓", "description": "x"}).encode()
    request = sign("PATCH", ENDPOINT + "/2023-10-12/farms/farm-0123",
                   body=body, headers={"Content-Type": "application/json"})
    assert check(request) is ALICE


def test_arn_label_is_double_encoded_in_the_canonical_uri():
    url = ENDPOINT + "/2023-10-12/tags/" + percent_encode(FARM_ARN, safe="")
    request = sign(url=url)
    assert "arn%3Aaws%3Adeadline" in request.raw_path and "%2Ffarm-" in request.raw_path
    assert check(request) is ALICE


def test_path_with_spaces_and_unicode_is_accepted():
    url = ENDPOINT + "/2023-10-12/farms/" + percent_encode("my farm ünïcødé ☃ ~x", safe="")
    assert check(sign(url=url)) is ALICE


@pytest.mark.parametrize("path", ["/a/./b", "/a/../b", "//a//b/", "/a/.", "/..", "/a/b/../"])
def test_dot_segments_and_double_slashes_are_normalised_like_botocore(path):
    assert check(sign(url=ENDPOINT + path)) is ALICE


def test_header_whitespace_is_collapsed_like_botocore():
    request = sign(headers={"X-Custom": "  a   b \t c  ", "Content-Type": "application/json"})
    assert check(request) is ALICE


def test_date_header_is_used_when_x_amz_date_is_absent():
    request = sign(headers={"Date": "placeholder botocore replaces"})
    assert "x-amz-date" not in request.headers and "date" in request.headers
    assert check(request) is ALICE


def test_temporary_credentials_with_session_token_are_accepted():
    request = sign(cred=TEMP)
    assert request.headers["x-amz-security-token"] == TEMP.session_token
    assert check(request) is TEMP


def test_presigned_query_form_is_accepted():
    url = ENDPOINT + "/2023-10-12/farms?maxResults=10&nextToken=a%2Bb%3D"
    request = sign(url=url, presign=900)
    assert "X-Amz-Signature=" in request.query_string and "authorization" not in request.headers
    assert check(request, SIGNED_AT + timedelta(minutes=14)) is ALICE


def test_presigned_query_form_with_session_token_is_accepted():
    request = sign(cred=TEMP, presign=300)
    assert "X-Amz-Security-Token=" in request.query_string
    assert check(request) is TEMP


def test_any_region_in_the_scope_is_accepted():
    assert check(sign(region="eu-central-1")) is ALICE


def test_a_tuple_of_services_widens_what_the_scope_may_name():
    request = sign(service="logs")
    assert check(request, service=("deadline", "logs")) is ALICE
    assert refusal(request).code == "InvalidSignatureException"


def test_explicit_content_sha256_header_matching_the_body_is_accepted():
    body = b'{"a": 1}'
    request = sign("POST", body=body, headers={"X-Amz-Content-SHA256": sha256(body).hexdigest()})
    assert check(request) is ALICE


class _Raw:
    def stream(self):
        yield b"{}"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_farms(maxResults=10, nextToken="a+b=/c d"),
        lambda c: c.list_tags_for_resource(resourceArn=FARM_ARN),
        lambda c: c.update_farm(farmId="farm-0123456789abcdef0123456789abcdef", displayName="ö ✓"),
        lambda c: c.tag_resource(resourceArn=FARM_ARN, tags={"k": "v w"}),
        lambda c: c.create_farm(displayName="f", clientToken="tök-☃-" + "0" * 30),
    ],
    ids=["list_farms", "list_tags_for_resource", "update_farm", "tag_resource", "utf8-header"],
)
def test_requests_from_a_real_deadline_client_are_accepted(call):
    seen = []

    def capture(request, **_):
        seen.append(request)
        return AWSResponse(request.url, 200, {}, _Raw())

    session = botocore.session.get_session()
    client = session.create_client(
        "deadline", region_name="us-west-2", endpoint_url="http://localhost:8080",
        aws_access_key_id=ALICE.access_key_id, aws_secret_access_key=ALICE.secret_access_key,
    )
    client.meta.events.register("before-send", capture)
    call(client)
    assert check(on_the_wire(seen[0])) is ALICE


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=8), st.text(max_size=30))
def test_any_label_and_query_text_botocore_encodes_is_accepted(label, key, value):
    query = percent_encode_sequence([(key, value), ("maxResults", "5")])
    url = f"{ENDPOINT}/2023-10-12/tags/{percent_encode(label, safe='')}/x?{query}"
    assert check(sign(url=url)) is ALICE


def _round_trip(raw: str) -> str:
    # `raw` is what the pipeline hands over: wire bytes read as latin-1.
    return quote(unquote_to_bytes(raw.replace("+", " ").encode("latin-1")), safe="-_.~")


_ESCAPES = [f"%{b:02X}" for b in range(256)] + [f"%{b:02x}" for b in range(256)]


def test_query_fast_path_agrees_with_decoding_and_re_encoding_for_every_escape():
    for escape in _ESCAPES:
        assert signing._encode_component(f"a{escape}b") == _round_trip(f"a{escape}b"), escape


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"%+~-_.aZ09/ é", *_ESCAPES])).map("".join))
def test_query_fast_path_agrees_with_decoding_and_re_encoding(raw):
    assert signing._encode_component(raw) == _round_trip(raw)


# --- refused -------------------------------------------------------------------------------


def test_unsigned_request_is_refused_with_missing_authentication_token():
    request = IncomingRequest("GET", "/2023-10-12/farms", "", {"host": "localhost"}, b"")
    error = refusal(request)
    assert (error.code, error.message, error.status) == (
        "MissingAuthenticationTokenException", "Missing Authentication Token", 403)


def test_unknown_access_key_is_refused_as_unrecognized_client():
    stranger = Credential("AKIDNOBODY000000000", "s", "nobody")
    error = refusal(sign(cred=stranger))
    assert (error.code, error.status) == ("UnrecognizedClientException", 403)
    assert error.message == "The security token included in the request is invalid."


def test_wrong_secret_is_refused_as_signature_mismatch():
    error = refusal(sign(secret="not-alices-secret"))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message.startswith("The request signature we calculated does not match")


def test_tampered_body_is_refused_as_signature_mismatch():
    request = sign("PATCH", ENDPOINT + "/2023-10-12/farms/f", body=b'{"displayName": "a"}')
    assert refusal(with_(request, body=b'{"displayName": "b"}')).code == "InvalidSignatureException"


def test_body_not_matching_its_content_sha256_header_is_refused():
    body = b'{"a": 1}'
    request = sign("POST", body=body, headers={"X-Amz-Content-SHA256": sha256(body).hexdigest()})
    error = refusal(with_(request, body=b'{"a": 2}'))
    assert error.code == "InvalidSignatureException" and "x-amz-content-sha256" in error.message


def test_unsigned_payload_in_header_form_is_refused():
    request = sign("POST", body=b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert refusal(request).code == "InvalidSignatureException"


def test_tampered_query_is_refused_as_signature_mismatch():
    request = sign(url=ENDPOINT + "/2023-10-12/farms?maxResults=10")
    assert refusal(with_(request, query_string="maxResults=11")).code == "InvalidSignatureException"


def test_tampered_path_is_refused_as_signature_mismatch():
    request = sign(url=ENDPOINT + "/2023-10-12/farms/farm-a")
    tampered = with_(request, raw_path="/2023-10-12/farms/farm-b")
    assert refusal(tampered).code == "InvalidSignatureException"


def test_stale_date_is_refused_with_signature_expired():
    error = refusal(sign(), SIGNED_AT + timedelta(minutes=16))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message == (
        "Signature expired: 20261129T120000Z is now earlier than 20261129T120100Z"
        " (20261129T121600Z - 15 min.)"
    )


def test_future_date_is_refused_as_not_yet_current():
    error = refusal(sign(), SIGNED_AT - timedelta(minutes=30))
    assert error.code == "InvalidSignatureException"
    assert error.message == (
        "Signature not yet current: 20261129T120000Z is still later than 20261129T114500Z"
        " (20261129T113000Z + 15 min.)"
    )


def test_skew_within_the_window_is_accepted_both_ways():
    request = sign()
    assert check(request, SIGNED_AT + timedelta(minutes=15)) is ALICE
    assert check(request, SIGNED_AT - timedelta(minutes=15)) is ALICE


def test_presigned_url_past_its_expiry_is_refused_with_signature_expired():
    error = refusal(sign(presign=300), SIGNED_AT + timedelta(seconds=301))
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith("Signature expired: 20261129T120000Z is now earlier than")


def test_presigned_url_with_tampered_query_is_refused():
    request = sign(url=ENDPOINT + "/2023-10-12/farms?maxResults=10", presign=300)
    tampered = request.query_string.replace("maxResults=10", "maxResults=99")
    assert refusal(with_(request, query_string=tampered)).code == "InvalidSignatureException"


def test_missing_session_token_is_refused_as_unrecognized_client():
    request = sign(cred=TEMP)
    headers = {k: v for k, v in request.headers.items() if k != "x-amz-security-token"}
    assert refusal(with_(request, headers=headers)).code == "UnrecognizedClientException"


def test_wrong_session_token_is_refused_as_unrecognized_client():
    impostor = dataclasses.replace(TEMP, session_token="some-other-session")
    assert refusal(sign(cred=impostor)).code == "UnrecognizedClientException"


def test_session_token_on_a_long_term_key_is_refused_as_unrecognized_client():
    with_token = dataclasses.replace(ALICE, session_token="stray-token-from-the-environment")
    assert refusal(sign(cred=with_token)).code == "UnrecognizedClientException"


def test_expired_temporary_credential_is_refused_with_expired_token():
    error = refusal(sign(cred=TEMP), TEMP.expires_at + timedelta(seconds=1))
    assert (error.code, error.status) == ("ExpiredTokenException", 403)
    assert error.message == "The security token included in the request is expired"


def test_scope_naming_another_service_is_refused():
    error = refusal(sign(service="s3"))
    assert error.code == "InvalidSignatureException" and "'deadline'" in error.message


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIDALICE0000000000/20261129/us-west-2/deadline, "
        "SignedHeaders=host;x-amz-date, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIDALICE0000000000/20261129/us-west-2/deadline/aws5_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIDALICE0000000000/20261129/us-west-2/deadline/aws4_request, "
        "SignedHeaders=x-amz-date, Signature=abc",
        "AWS AKIDALICE0000000000:c2lnbmF0dXJl",
    ],
    ids=["no-credential", "short-scope", "bad-terminator", "host-unsigned", "sigv2"],
)
def test_malformed_authorization_is_refused_as_incomplete_signature(authorization):
    request = sign()
    error = refusal(with_(request, headers={**request.headers, "authorization": authorization}))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)


def test_missing_date_is_refused_as_incomplete_signature():
    request = sign()
    headers = {k: v for k, v in request.headers.items() if k != "x-amz-date"}
    error = refusal(with_(request, headers=headers))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert "'X-Amz-Date' or a 'Date' header" in error.message


def test_presigned_url_missing_its_credential_is_refused_as_incomplete_signature():
    request = sign(presign=300)
    pairs = request.query_string.split("&")
    query = "&".join(p for p in pairs if not p.startswith("X-Amz-Credential"))
    error = refusal(with_(request, query_string=query))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)


if __name__ == "__main__":
    import timeit

    botocore.auth.get_current_datetime = lambda *a, **k: SIGNED_AT.replace(tzinfo=None)
    for name, request in {
        "GET query": sign(url=ENDPOINT + "/2023-10-12/farms?maxResults=10&nextToken=a%2Bb%3D"),
        "PATCH json": sign("PATCH", ENDPOINT + "/2023-10-12/farms/farm-0123",
                           body=json.dumps({"displayName": "x" * 200}).encode()),
        "ARN label": sign(url=ENDPOINT + "/2023-10-12/tags/" + percent_encode(FARM_ARN, safe="")),
        "presigned": sign(presign=900),
    }.items():
        number = 20000
        seconds = timeit.timeit(lambda request=request: verify(request, KEYS.get, SIGNED_AT), number=number)
        print(f"{name:12s} {seconds / number * 1e6:6.1f} µs per verify")
