"""A webhook receiver on loopback, as a studio would write one: it checks each POST's HMAC-SHA256
signature with its own copy of the secret (docs/events.md, "Verifying a signature"), answers 401 to a
bad one and 204 to a good one, and records what it was sent. It can be stopped and started again on
the same port (a receiver that is down for a while)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from farmstead.testing.live_server import free_port


class _ReusingServer(ThreadingHTTPServer):
    # Started again on the port it had: the old socket may still be in TIME_WAIT.
    allow_reuse_address = True


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.port = free_port()
        #: The events whose signature held, in arrival order.
        self.events: list[dict[str, Any]] = []
        #: How many POSTs had a signature that did not.
        self.refused = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                good = hmac.compare_digest(expected, self.headers.get("X-Farmstead-Signature", ""))
                with receiver._lock:
                    if good:
                        receiver.events.append(json.loads(body))
                    else:
                        receiver.refused += 1
                self.send_response(204 if good else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _ReusingServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if detail_type is None or e["detail-type"] == detail_type]
