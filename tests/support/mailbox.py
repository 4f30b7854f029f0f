"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it accepts, as a studio's mail
relay would take them: with a login when `username` is given (over the plain connection, as a relay
on the same host may allow), refusing a wrong password."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from farmstead.testing.live_server import free_port


class Mailbox:
    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.username, self.password = username, password
        #: (envelope recipients, the message) of each mail accepted, in arrival order.
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> Mailbox:
        mailbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
                message = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(message, EmailMessage)
                with mailbox._lock:
                    mailbox.mails.append((list(envelope.rcpt_tos), message))
                return "250 OK"

        def authenticate(server: Any, session: Any, envelope: Any, _mechanism: str, data: Any) -> AuthResult:
            good = (isinstance(data, LoginPassword) and data.login.decode() == self.username
                    and data.password.decode() == self.password)
            return AuthResult(success=good)

        extra: dict[str, Any] = {}
        if self.username:
            extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[tuple[list[str], EmailMessage]]:
        with self._lock:
            return list(self.mails)
