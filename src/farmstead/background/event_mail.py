"""Sending an event as an e-mail over SMTP (docs/events.md, "E-mail"), with the standard library's
smtplib: to the server the settings name, on its port, with STARTTLS and a login when they are set.
Owns: one delivery attempt to one mailbox; what the mail says is domain/event_mails.py's. Must not:
retry (the delivery thread does, as for a webhook) or read the store.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from farmstead.domain.event_mails import Mail


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int
    starttls: bool
    #: The CAs the server's certificate is checked against under STARTTLS (None: the system's).
    ca_file: str | None
    username: str | None
    password: str | None
    sender: str
    timeout_seconds: float


def send(settings: SmtpSettings, to: str, mail: Mail, event_id: str) -> str | None:
    """None when the SMTP server accepted the mail; else why not (the attempt failed, and is retried)."""
    if not settings.host:
        return "no SMTP server configured (FARMSTEAD_SMTP_HOST)"
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="farmstead")
    # The event's id, for a mail filter or script to drop a repeat (delivery is at least once).
    message["X-Farmstead-Event-Id"] = event_id
    message.set_content(mail.body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        return f"{type(error).__name__}: {error}"[:500]
    if refused:
        return f"refused: {refused}"[:500]
    return None
