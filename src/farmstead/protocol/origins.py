"""Where the call being served came from: the audit log's "from which address" (api/audit_trail.py).

A context variable, set by whatever front door took the request (the API pipelines, the web monitor) for
the span of its handling; a call nobody set it for was made in this process, by an admin command.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    #: "api", "web" or "cli".
    source: str
    #: The client's address, or "local" for a command run on the server's host.
    address: str


LOCAL = Origin("cli", "local")

current: ContextVar[Origin] = ContextVar("farmstead_origin", default=LOCAL)


def from_client(source: str, client: tuple[str, int] | None) -> Origin:
    """An ASGI scope's or Starlette request's client (host, port), or None when the server was not told."""
    return Origin(source, client[0] if client else "unknown")
