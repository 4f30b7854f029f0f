"""Who may scrape /metrics (docs/monitoring.md, "Access").

Owns: the rule. A request is let in when it carries the configured bearer key (from any address), or
comes from an address in the allow list (default: loopback only). The figures reveal ids and counts,
never names or parameters, but how busy a studio is and which ids exist is still not for everyone.
Behind a reverse proxy every request comes from the proxy's address: give a key then.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks ("10.0.0.0/8", "::1"); a bad one raises ValueError at start-up."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


class MetricsAccess:
    def __init__(self, allowed: Iterable[str], token: str | None) -> None:
        self._allowed = networks(allowed)
        self._token = token.encode() if token else None

    def admits(self, client_host: str | None, authorization: bytes | None) -> bool:
        if self._token is not None and authorization is not None:
            scheme, _, given = authorization.partition(b" ")
            if scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token):
                return True
        return client_host is not None and self._address_allowed(client_host)

    def _address_allowed(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a unix socket path or a name: not an address we were told to trust
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._allowed)
