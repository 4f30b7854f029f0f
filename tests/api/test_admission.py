"""Admission control seen from the wire: over the server's or a caller's share of requests in flight,
a request is answered ThrottlingException with Retry-After at once (each protocol in its own format),
workers' heartbeats are still admitted while user calls fill their share, and boto3 retries the
throttled call by itself until it succeeds.

Slots are held deterministically by uploads that send their headers and then stall: a request is
counted from the moment it is read until it is answered, body included.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from botocore.config import Config

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from support.raw_http import signed_request

#: 8 slots: user calls may hold 6 of them, each key 4.
LIMITS = {"FARMSTEAD_MAX_IN_FLIGHT": "8", "FARMSTEAD_MAX_IN_FLIGHT_PER_CALLER": "4",
          "FARMSTEAD_MAX_QUEUE_SECONDS": "30"}


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    live = LiveServer(Path(tmp_path_factory.mktemp("admission")), extra_env=LIMITS).start()
    yield live
    live.stop()


class StalledUpload:
    """A POST naming `key_id` whose body never finishes: it holds one slot until closed."""

    def __init__(self, server: LiveServer, key_id: str, path: str = "/2023-10-12/farms") -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        authorization = (f"AWS4-HMAC-SHA256 Credential={key_id}/20261206/us-west-2/deadline/aws4_request, "
                         "SignedHeaders=host, Signature=00")
        self.sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           f"Authorization: {authorization}\r\nContent-Length: 1000\r\n\r\n{{").encode())

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def stall(small_server):
    uploads: list[StalledUpload] = []

    def hold(key_id: str, count: int) -> list[StalledUpload]:
        held = [StalledUpload(small_server, key_id) for _ in range(count)]
        uploads.extend(held)
        return held

    yield hold
    for upload in uploads:
        upload.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # until the server has counted them out
        if signed_request(small_server.endpoint, "GET", "/2023-10-12/farms")[0] == 200:
            break
        time.sleep(0.05)


def _throttled(call, seconds: float = 15.0) -> str:
    """The message of the ThrottlingException `call()` gets once the server has counted the stalled
    uploads in (it reads them in its own time; until then the call is served)."""
    deadline = time.monotonic() + seconds
    while True:
        status, headers, body = call()
        if status != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (status, headers.get("x-amzn-errortype")) == (429, "ThrottlingException"), (status, body)
    assert headers.get("retry-after") == "1"
    return body["message"]


def test_a_caller_over_its_share_is_throttled_and_other_callers_are_not(small_server, stall):
    _principal, other_key, other_secret = small_server.new_user("second-caller")
    stall(ADMIN_KEY_ID, 4)
    message = _throttled(lambda: signed_request(small_server.endpoint, "GET", "/2023-10-12/farms"))
    assert "this access key" in message
    # Another key still gets in (it is only not allowed to list farms it is not a member of: 200, none).
    status, _, body = signed_request(small_server.endpoint, "GET", "/2023-10-12/farms",
                                     key_id=other_key, secret=other_secret)
    assert status == 200 and body["farms"] == []


def test_heartbeats_are_admitted_while_user_calls_fill_their_share(small_server, stall):
    admin = small_server.client()
    farm_id = admin.create_farm(displayName="admission")["farmId"]
    fleet_id = admin.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                  maxWorkerCount=2, configuration=LINUX_FLEET)["fleetId"]
    worker = ScriptedWorker(admin, farm_id, fleet_id)
    stall("AKIAFIRSTSTALLEDKEY0", 3)
    stall("AKIASECONDSTALLEDKEY", 3)  # 6 user calls in flight: the users' whole share

    message = _throttled(lambda: signed_request(small_server.endpoint, "GET", f"/2023-10-12/farms/{farm_id}"))
    assert "server is busy" in message
    status, headers, body = signed_request(
        small_server.endpoint, "POST", "/", {"logGroupNamePrefix": "/aws"}, service="logs",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"})
    assert (headers.get("x-amzn-errortype"), headers.get("retry-after")) == ("ThrottlingException", "1"), body

    assert worker.poll()["updateIntervalSeconds"] > 0  # UpdateWorkerSchedule: a worker's call is let in


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_boto3_retries_a_throttled_call_until_it_is_let_in(small_server, stall, mode):
    import boto3

    client = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                   region_name="us-west-2").client(
        "deadline", endpoint_url=small_server.endpoint,
        config=Config(inject_host_prefix=False, retries={"mode": mode, "max_attempts": 10}))
    held = stall(ADMIN_KEY_ID, 4)
    _throttled(lambda: signed_request(small_server.endpoint, "GET", "/2023-10-12/farms"))

    def release_after_the_first_attempt(**_kwargs):
        # botocore asks this after every attempt: the first one met the stalled uploads (a 429); from
        # here on the caller's share is free again, so a retry is let in.
        for upload in held:
            upload.close()

    client.meta.events.register("needs-retry.deadline.ListFarms", release_after_the_first_attempt)
    answer = client.list_farms()
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["RetryAttempts"] >= 1
