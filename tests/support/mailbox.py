"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it accepts, as a studio's mail
relay would take them: with a login when `username` is given, refusing a wrong password; with
`tls_dir`, STARTTLS required before anything else, under a certificate for 127.0.0.1 that its own CA
file (`ca_file`, for the client to trust) signs. Without TLS the login goes over the plain
connection, as a relay on the same host may allow."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from farmstead.testing.live_server import free_port


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1; the certificate is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "farmstead test relay")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Mailbox:
    def __init__(self, username: str | None = None, password: str | None = None, tls_dir: Path | None = None) -> None:
        self.port = free_port()
        self.username, self.password = username, password
        self.tls_dir = tls_dir
        #: The CA file a client trusts this relay's certificate by (with `tls_dir`).
        self.ca_file: Path | None = None
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
            extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": self.tls_dir is not None}
        if self.tls_dir is not None:
            cert_file, key_file = self_signed_certificate(self.tls_dir)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)
            extra.update(tls_context=context, require_starttls=True)
            self.ca_file = cert_file
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
