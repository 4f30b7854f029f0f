"""Session log lines: batching inside PutLogEvents limits, ordering, retries, the local file."""

import logging

from botocore.exceptions import ClientError, EndpointConnectionError

from farmstead.worker import session_logs


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                       "PutLogEvents")


class FakeLogs:
    def __init__(self, failures=()):
        self.failures = list(failures)
        self.batches = []
        self.created = []

    def put_log_events(self, **kwargs):
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(kwargs)

    def create_log_group(self, **kwargs):
        self.created.append(("group", kwargs))

    def create_log_stream(self, **kwargs):
        self.created.append(("stream", kwargs))


def events(*messages):
    return [{"timestamp": 1, "message": m} for m in messages]


def test_batches_respect_the_event_count():
    assert [len(b) for b in session_logs.batches(events(*"abcde"), max_events=2)] == [2, 2, 1]


def test_batches_respect_the_byte_limit_counting_26_bytes_per_event():
    # Each event costs 10 + 26 bytes: three fit in 108 bytes, the fourth starts a new batch.
    assert [len(b) for b in session_logs.batches(events(*["x" * 10] * 4), max_bytes=108)] == [3, 1]


def test_timestamps_never_go_backwards_in_a_stream():
    buffer = session_logs.StreamBuffer("g", "s")
    buffer.append("first", 2000)
    buffer.append("clock stepped back", 1000)
    assert [e["timestamp"] for e in buffer.take()] == [2000, 2000]


def test_a_full_buffer_drops_the_oldest_lines(monkeypatch):
    monkeypatch.setattr(session_logs, "MAX_BUFFERED", 3)
    buffer = session_logs.StreamBuffer("g", "s")
    for i in range(5):
        buffer.append(str(i), 1)
    assert [e["message"] for e in buffer.take()] == ["2", "3", "4"]
    assert buffer.dropped == 2


def test_shipper_sends_a_streams_lines_in_order():
    client = FakeLogs()
    shipper = session_logs.LogShipper(client)
    stream = shipper.open("/aws/deadline/farm/queue", "session-1")
    stream.append("one", 1)
    stream.append("two", 2)
    assert shipper.flush()
    assert client.batches == [{"logGroupName": "/aws/deadline/farm/queue", "logStreamName": "session-1",
                               "logEvents": [{"timestamp": 1, "message": "one"}, {"timestamp": 2, "message": "two"}]}]


def test_lines_that_could_not_be_sent_are_kept_for_the_next_pass():
    client = FakeLogs([EndpointConnectionError(endpoint_url="x")])
    shipper = session_logs.LogShipper(client)
    stream = shipper.open("g", "s")
    stream.append("kept", 1)
    assert not shipper.flush()
    stream.append("later", 2)
    assert shipper.flush()
    assert [e["message"] for e in client.batches[0]["logEvents"]] == ["kept", "later"]


def test_a_missing_stream_is_created_and_the_lines_retried():
    client = FakeLogs([error("ResourceNotFoundException")])
    shipper = session_logs.LogShipper(client)
    shipper.open("g", "s").append("hello", 1)
    assert not shipper.flush()
    assert [kind for kind, _ in client.created] == ["group", "stream"]
    assert shipper.flush()
    assert client.batches[0]["logEvents"][0]["message"] == "hello"


def test_a_refused_batch_is_dropped_not_retried_forever():
    client = FakeLogs([error("InvalidParameterException")])
    shipper = session_logs.LogShipper(client)
    shipper.open("g", "s").append("bad", 1)
    assert shipper.flush()
    assert client.batches == []


def test_closed_streams_leave_the_shipper_once_empty():
    client = FakeLogs()
    shipper = session_logs.LogShipper(client)
    stream = shipper.open("g", "s")
    stream.append("last", 1)
    stream.closed = True
    shipper.flush()
    assert shipper._streams == []


def test_session_log_writes_the_local_file_and_the_stream(tmp_path):
    buffer = session_logs.StreamBuffer("g", "s")
    sink = session_logs.SessionLog(tmp_path / "queue-1" / "session-1.log", buffer)
    sink.line("hello\nworld")
    sink.close()
    sink.line("after close is ignored")
    lines = (tmp_path / "queue-1" / "session-1.log").read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["hello", "world"]
    assert [e["message"] for e in buffer.take()] == ["hello", "world"]
    assert buffer.closed


def test_router_sends_records_to_their_sessions_log(tmp_path):
    router = session_logs.SessionLogRouter()
    sink = session_logs.SessionLog(tmp_path / "s.log", None)
    router.register("session-1", sink)
    logger = logging.getLogger("test.router")
    logger.addHandler(router)
    logger.setLevel(logging.INFO)
    logger.info("mine", extra={"session_id": "session-1"})
    logger.info("another session's", extra={"session_id": "session-2"})
    logger.info("no session")
    logger.removeHandler(router)
    sink.close()
    assert [line.split(" ", 1)[1] for line in (tmp_path / "s.log").read_text().splitlines()] == ["mine"]


def test_a_denied_upload_keeps_its_lines_and_asks_for_new_credentials():
    client = FakeLogs([error("AccessDeniedException")])
    asked = []
    shipper = session_logs.LogShipper(client, on_denied=lambda: asked.append(1))
    shipper.open("g", "s").append("kept", 1)
    assert not shipper.flush()
    assert asked == [1]
    assert shipper.flush()
    assert client.batches[0]["logEvents"][0]["message"] == "kept"
