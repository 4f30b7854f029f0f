"""Session logs: every line a session produces goes to a local file and to the server's logs API.

Owns: `LogShipper`, one background thread that sends buffered lines with PutLogEvents every few
seconds, per stream, in batches inside CloudWatch's limits; `SessionLog`, the sink for one session
(`<work-dir>/logs/<queueId>/<sessionId>.log` plus the stream of its logConfiguration); and
`SessionLogRouter`, the logging handler that routes openjd-sessions' records (tagged with
`session_id`) to the right sink. Uploads that fail are kept and retried: jobs never wait on logs.
Must not: decide what a session runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from farmstead.worker import retries

log = logging.getLogger("farmstead.worker")

#: PutLogEvents limits: 10,000 events and 1,048,576 bytes (UTF-8 message bytes + 26 per event).
MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
EVENT_OVERHEAD = 26
#: One event's message; longer lines are cut (CloudWatch's own limit is 256 KiB per event).
MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD
#: Lines kept per stream while the server can't take them; the oldest go first beyond this.
MAX_BUFFERED = 100_000
UPLOAD_INTERVAL = 2.0


def now_ms() -> int:
    return int(time.time() * 1000)


def event_size(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD


def clip(message: str) -> str:
    data = message.encode("utf-8")
    if len(data) <= MAX_MESSAGE_BYTES:
        return message
    return data[:MAX_MESSAGE_BYTES].decode("utf-8", errors="ignore")


def batches(events: list[dict[str, Any]], max_events: int = MAX_EVENTS,
            max_bytes: int = MAX_BYTES) -> list[list[dict[str, Any]]]:
    """Split events (already in order) into PutLogEvents-sized batches."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for event in events:
        cost = event_size(event["message"])
        if current and (len(current) >= max_events or size + cost > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(event)
        size += cost
    if current:
        out.append(current)
    return out


class StreamBuffer:
    """Lines waiting for one log stream. Timestamps never go backwards (PutLogEvents needs order)."""

    def __init__(self, group: str, stream: str) -> None:
        self.group = group
        self.stream = stream
        self.closed = False
        self.dropped = 0
        self._events: deque[dict[str, Any]] = deque()
        self._last = 0
        self._lock = threading.Lock()

    def append(self, message: str, timestamp_ms: int | None = None) -> None:
        with self._lock:
            stamp = max(timestamp_ms or now_ms(), self._last)
            self._last = stamp
            self._events.append({"timestamp": stamp, "message": clip(message) or " "})
            while len(self._events) > MAX_BUFFERED:
                self._events.popleft()
                self.dropped += 1

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            events = list(self._events)
            self._events.clear()
            return events

    def give_back(self, events: list[dict[str, Any]]) -> None:
        with self._lock:
            self._events.extendleft(reversed(events))

    def empty(self) -> bool:
        with self._lock:
            return not self._events


class LogShipper:
    """Sends every open stream's lines every `interval` seconds from one thread."""

    def __init__(self, client: Any, interval: float = UPLOAD_INTERVAL,
                 on_denied: Callable[[], None] | None = None) -> None:
        self.client = client  # replaced when the worker gets a new identity or new credentials
        # Fleet keys name the log groups of the queues the fleet served when they were minted: a queue
        # associated later is denied until new keys are fetched. This callback fetches them.
        self._on_denied = on_denied
        self._interval = interval
        self._streams: list[StreamBuffer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-shipper", daemon=True)
        self._failing = False

    def start(self) -> LogShipper:
        self._thread.start()
        return self

    def open(self, group: str, stream: str) -> StreamBuffer:
        buffer = StreamBuffer(group, stream)
        with self._lock:
            self._streams.append(buffer)
        return buffer

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> bool:
        """One pass over every stream; True when everything was sent."""
        with self._lock:
            streams = list(self._streams)
        all_sent = True
        for buffer in streams:
            all_sent &= self._send(buffer)
            if buffer.closed and buffer.empty():
                with self._lock:
                    if buffer in self._streams:
                        self._streams.remove(buffer)
        return all_sent

    def _send(self, buffer: StreamBuffer) -> bool:
        events = buffer.take()
        pending = batches(events)
        while pending:
            batch = pending[0]
            try:
                self.client.put_log_events(logGroupName=buffer.group, logStreamName=buffer.stream,
                                            logEvents=batch)
            except Exception as error:  # noqa: BLE001 - a log upload must never take the worker down
                code = retries.error_code(error)
                if code == "ResourceNotFoundException":
                    self._create(buffer)
                elif code == "AccessDeniedException" and self._on_denied is not None:
                    self._on_denied()
                elif code in ("InvalidParameterException", "ValidationException", "AccessDeniedException"):
                    log.warning("log upload to %s/%s refused (%s); %d lines dropped", buffer.group, buffer.stream,
                                retries.describe(error), len(batch))
                    pending.pop(0)
                    continue
                if not self._failing:
                    log.warning("log upload to %s/%s failed (%s); will retry", buffer.group, buffer.stream,
                                retries.describe(error))
                self._failing = True
                buffer.give_back([event for chunk in pending for event in chunk])
                return False
            self._failing = False
            pending.pop(0)
        return True

    def _create(self, buffer: StreamBuffer) -> None:
        """The server makes the streams it names; make one ourselves if it is missing anyway."""
        for call in (lambda: self.client.create_log_group(logGroupName=buffer.group),
                     lambda: self.client.create_log_stream(logGroupName=buffer.group, logStreamName=buffer.stream)):
            try:
                call()
            except Exception:  # noqa: BLE001 - exists already, or not ours to create: the retry will tell
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, then try to send what is left until `timeout`."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._interval + 5)
        give_up = time.monotonic() + timeout
        while not self.flush() and time.monotonic() < give_up:
            time.sleep(0.5)


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class SessionLog:
    """One session's log: a local file under the work dir and a buffered upload stream."""

    def __init__(self, path: Path, buffer: StreamBuffer | None) -> None:
        self.path = path
        self._file: Any = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", encoding="utf-8", errors="replace")
        except OSError as error:  # a full or read-only disk costs the local copy, not the session
            log.warning("no local session log %s: %s", path, error)
        self._buffer = buffer
        self._closed = False
        self._lock = threading.Lock()

    def line(self, message: str) -> None:
        stamp = now_ms()
        with self._lock:
            if self._closed:
                return
            for text in message.splitlines() or [""]:
                if self._file is not None:
                    self._file.write(f"{_stamp(stamp)} {text}\n")
                if self._buffer is not None:
                    self._buffer.append(text, stamp)
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._file.close()
            if self._buffer is not None:
                self._buffer.closed = True


class SessionLogRouter(logging.Handler):
    """Routes records carrying `session_id` (openjd-sessions tags every one) to that session's log."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._sinks: dict[str, SessionLog] = {}
        self._sinks_lock = threading.Lock()

    def register(self, session_id: str, sink: SessionLog) -> None:
        with self._sinks_lock:
            self._sinks[session_id] = sink

    def unregister(self, session_id: str) -> None:
        with self._sinks_lock:
            self._sinks.pop(session_id, None)

    def emit(self, record: logging.LogRecord) -> None:
        session_id = getattr(record, "session_id", None)
        with self._sinks_lock:
            sink = self._sinks.get(session_id) if session_id else None
        if sink is None:
            return
        try:
            sink.line(record.getMessage())
        except Exception:  # noqa: BLE001 - logging must not break the action that logged
            self.handleError(record)


class StreamHandler(logging.Handler):
    """The worker's own log records, uploaded to the stream UpdateWorker(STARTED) named."""

    def __init__(self, buffer: StreamBuffer) -> None:
        super().__init__(level=logging.INFO)
        self._buffer = buffer
        self.target = (buffer.group, buffer.stream)
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def close_stream(self) -> None:
        self._buffer.closed = True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._buffer.append(self.format(record), int(record.created * 1000))
        except Exception:  # noqa: BLE001
            self.handleError(record)
