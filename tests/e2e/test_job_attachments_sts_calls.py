"""How often, and when, the server calls the S3 store's STS for queue-role keys.

The server's STS endpoint is a counting (and, on demand, slow) relay in front of the store's
STS (SeaweedFS): the keys are still the store's, and each AssumeRole the server makes is seen.
Pins: a caller asking again for the same queue role gets the same keys without another STS call;
and the STS round trip holds no transaction, so other writes go on while it is in flight.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from farmstead.testing.live_server import LiveServer

BUCKET = "sts-calls"
PREFIX = "Root"


class StsRelay:
    """Forwards every POST to the store, after `delay` seconds; counts them and signals each arrival."""

    def __init__(self, target: str) -> None:
        self.target, self.delay, self.calls = target, 0.0, 0
        self.arrived, self.answered = threading.Event(), threading.Event()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                relay.calls += 1
                relay.arrived.set()
                time.sleep(relay.delay)
                relay.answered.set()
                # The Host header stays the relay's: it is part of what the server signed, and the store
                # checks the signature.
                headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
                try:
                    with urllib.request.urlopen(urllib.request.Request(relay.target, body, headers)) as answer:
                        data, status = answer.read(), answer.status
                        kind = answer.headers.get("Content-Type", "text/xml")
                except urllib.error.HTTPError as refused:  # the store's error answer, relayed as it is
                    data, status, kind = refused.read(), refused.code, refused.headers.get("Content-Type", "text/xml")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def relay(store):
    sts = StsRelay(store.endpoint)
    yield sts
    sts.stop()


@pytest.fixture(scope="module")
def live(store, relay, tmp_path_factory):
    env = {**store.server_env(), "FARMSTEAD_S3_STS_ENDPOINT_URL": relay.endpoint}
    server = LiveServer(tmp_path_factory.mktemp("server"), extra_env=env).start()
    yield server
    server.stop()


@pytest.fixture
def new_queue(live):
    def make(name: str) -> dict:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName=name)["farmId"]
        settings = {"s3BucketName": BUCKET, "rootPrefix": PREFIX}
        queue_id = deadline.create_queue(farmId=farm_id, displayName=name, roleArn="arn:aws:iam::000000000000:role/q",
                                         jobAttachmentSettings=settings)["queueId"]
        return {"farmId": farm_id, "queueId": queue_id}
    return make


def test_asking_again_for_the_same_queue_role_reuses_the_keys_without_another_sts_call(live, relay, new_queue):
    queue = new_queue("reuse")
    deadline = live.client()
    before = relay.calls
    first = deadline.assume_queue_role_for_user(**queue)["credentials"]
    second = deadline.assume_queue_role_for_user(**queue)["credentials"]
    assert relay.calls - before == 1
    assert second == first
    # Another role kind of the same queue gets keys of its own (read-only ones).
    read = deadline.assume_queue_role_for_read(**queue)["credentials"]
    assert relay.calls - before == 2
    assert read["accessKeyId"] != first["accessKeyId"]
    # The reused keys are still the store's and still Farmstead's.
    again = live.client(key_id=second["accessKeyId"], secret=second["secretAccessKey"],
                        session_token=second["sessionToken"])
    assert again.get_queue(**queue)["queueId"] == queue["queueId"]


def test_another_caller_gets_keys_of_their_own(live, relay, new_queue):
    queue = new_queue("callers")
    principal_id, key_id, secret = live.new_user("sts-calls-other")
    live.client().associate_member_to_queue(farmId=queue["farmId"], queueId=queue["queueId"], principalId=principal_id,
                                            principalType="USER", identityStoreId="d-0123456789",
                                            membershipLevel="CONTRIBUTOR")
    mine = live.client().assume_queue_role_for_user(**queue)["credentials"]
    before = relay.calls
    theirs = live.client(key_id=key_id, secret=secret).assume_queue_role_for_user(**queue)["credentials"]
    assert relay.calls - before == 1
    assert theirs["accessKeyId"] != mine["accessKeyId"]


def test_other_writes_go_on_while_the_stores_sts_answers(live, relay, new_queue):
    queue = new_queue("slow sts")
    answers: list = []
    asker, writer = live.client(), live.client()
    relay.arrived.clear()
    relay.answered.clear()
    relay.delay = 2.0
    try:
        asking = threading.Thread(target=lambda: answers.append(
            asker.assume_queue_role_for_read(**queue)["credentials"]))
        asking.start()
        assert relay.arrived.wait(10)
        write_started = time.monotonic()
        writer.create_farm(displayName="while STS answers")
        write_took = time.monotonic() - write_started
        sts_still_answering = not relay.answered.is_set()
        asking.join(15)
    finally:
        relay.delay = 0.0
    # The write was done while the STS call was still in flight, not after it.
    assert sts_still_answering, f"CreateFarm waited {write_took:.2f} s, until the STS call had answered"
    assert write_took < 1.5
    assert answers and answers[0]["accessKeyId"]


def test_a_reusable_key_deleted_by_an_admin_is_not_handed_out_again(live, relay, new_queue):
    queue = new_queue("revoked")
    deadline = live.client()
    first = deadline.assume_queue_role_for_user(**queue)["credentials"]
    live.cli("keys", "delete", first["accessKeyId"])
    before = relay.calls
    second = deadline.assume_queue_role_for_user(**queue)["credentials"]
    assert relay.calls - before == 1
    assert second["accessKeyId"] != first["accessKeyId"]
    assert live.client(key_id=second["accessKeyId"], secret=second["secretAccessKey"],
                       session_token=second["sessionToken"]).get_queue(**queue)["queueId"] == queue["queueId"]
