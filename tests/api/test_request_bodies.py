"""Request bodies are bounded on every route before any other work: an unsigned client can't make the
server read (or hold) more than the route's limit, and each protocol answers in its own error format."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from farmstead.testing.live_server import LiveServer
from support.raw_http import stream_upload

MIB = 1024 * 1024
#: Far beyond every limit (8 MiB for the API and logs, less elsewhere).
UPLOAD = 256 * MIB
#: What may pass before the refusal: the route's limit plus the socket buffers on both ends of loopback.
TAKEN_AT_MOST = 48 * MIB

ROUTES = {
    "deadline API": ("POST", "/2023-10-12/farms", {"Content-Type": "application/json"}),
    "logs API": ("POST", "/", {"Content-Type": "application/x-amz-json-1.1",
                               "X-Amz-Target": "Logs_20140328.PutLogEvents"}),
    "STS": ("POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}),
    "telemetry": ("POST", "/2023-10-12/telemetry", {"Content-Type": "application-json"}),
    "web sign-in": ("POST", "/signin", {"Content-Type": "application/x-www-form-urlencoded"}),
    "web action": ("POST", "/actions", {"Content-Type": "application/x-www-form-urlencoded"}),
}


@pytest.fixture(scope="module")
def lone_server(tmp_path_factory):
    """A server of its own: its memory high-water mark says what these uploads made it hold."""
    live = LiveServer(Path(tmp_path_factory.mktemp("bodies"))).start()
    yield live
    live.stop()


def _memory_kib(server: LiveServer, field: str) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for the server process")


def _error_code(route: str, upload) -> str:
    if route == "STS":
        return upload.body.split(b"<Code>")[1].split(b"</Code>")[0].decode()
    if route in ("telemetry", "web sign-in", "web action"):
        return str(upload.status)
    return upload.headers["x-amzn-errortype"]


EXPECTED = {
    "deadline API": (400, "ValidationException"),
    "logs API": (400, "InvalidParameterException"),
    "STS": (400, "SerializationException"),
    "telemetry": (413, "413"),
    "web sign-in": (413, "413"),
    "web action": (413, "413"),
}
#: A chunked form the web monitor refuses on its own terms first: a sign-in field over 8 KiB (400),
#: an action without a session (redirected to sign-in before its form is read).
CHUNKED_WEB = {"web sign-in": 400, "web action": 303}


@pytest.mark.parametrize("route", ROUTES)
def test_unsigned_chunked_upload_is_refused_once_past_the_limit(lone_server, route):
    method, path, headers = ROUTES[route]
    upload = stream_upload(lone_server.endpoint, method, path, UPLOAD, headers=headers)
    assert upload.sent < TAKEN_AT_MOST, f"the server read {upload.sent / MIB:.0f} MiB before answering"
    if route in CHUNKED_WEB:
        assert upload.status == CHUNKED_WEB[route]
        return
    assert (upload.status, _error_code(route, upload)) == EXPECTED[route], upload.body[:300]
    assert upload.headers.get("connection") == "close"
    if route == "deadline API":
        assert orjson.loads(upload.body)["reason"] == "OTHER"


@pytest.mark.parametrize("route", ROUTES)
def test_declared_length_over_the_limit_is_refused_before_any_body_is_sent(lone_server, route):
    method, path, headers = ROUTES[route]
    upload = stream_upload(lone_server.endpoint, method, path, 0, headers=headers, declared_length=UPLOAD)
    assert (upload.status, _error_code(route, upload)) == EXPECTED[route]


def test_parallel_oversized_uploads_do_not_grow_server_memory_by_their_size(lone_server):
    from concurrent.futures import ThreadPoolExecutor

    before = _memory_kib(lone_server, "VmHWM")
    jobs = [ROUTES[route] for route in ROUTES for _ in range(2)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        uploads = list(pool.map(lambda r: stream_upload(lone_server.endpoint, r[0], r[1], UPLOAD, headers=r[2]), jobs))
    grown_mib = (_memory_kib(lone_server, "VmHWM") - before) / 1024
    assert all(u.status in (303, 400, 413) for u in uploads)
    # 12 uploads of 256 MiB: reading them would take 3 GiB; at most 8 MiB each may be held at once.
    assert grown_mib < 12 * 8 + 32, f"server memory peak grew by {grown_mib:.0f} MiB"


def test_telemetry_of_the_official_clients_size_is_still_accepted_unsigned(lone_server):
    record = orjson.dumps({"BatchId": "b", "RumEvents": [{"details": "x" * 20_000, "id": "i", "metadata": "{}",
                                                         "timestamp": 1, "type": "com.amazon.rum.deadline.x"}],
                           "UserDetails": {"sessionId": "s", "userId": "u"}})
    upload = stream_upload(lone_server.endpoint, "POST", "/2023-10-12/telemetry", len(record),
                           headers={"Content-Type": "application-json"}, declared_length=len(record))
    assert upload.status == 200 and upload.body == b"{}"


def test_signed_in_web_action_form_is_refused_once_past_the_limit(lone_server):
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(lone_server.endpoint + "/signin", timeout=30).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "method": "key", "access_key_id": ADMIN_KEY_ID, "secret_access_key": ADMIN_SECRET}
    opener.open(lone_server.endpoint + "/signin", data=urllib.parse.urlencode(form).encode(), timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "farmstead_session")
    assert cookie
    headers = {**ROUTES["web action"][2], "Cookie": cookie}
    for pattern in (b"x", b"a=1&"):  # one endless field; endless small fields
        upload = stream_upload(lone_server.endpoint, "POST", "/actions", UPLOAD, headers=headers, fill=pattern)
        assert upload.status in (400, 413) and upload.sent < TAKEN_AT_MOST
    upload = stream_upload(lone_server.endpoint, "POST", "/actions", 0, headers=headers, declared_length=UPLOAD)
    assert upload.status == 413
