"""Resource id formats and ARNs, as the model's patterns and the Service Authorization Reference give them."""

from __future__ import annotations

import re
import secrets
import uuid


def new_id(prefix: str) -> str:
    """`farm-<32 hex>`, `queue-<32 hex>`, ... (uuid4 hex, as the model's patterns want)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def new_principal_id() -> str:
    """An id that fits the model's principalId pattern (an identity-store style UUID)."""
    return str(uuid.uuid4())


def new_access_key_id(temporary: bool = False) -> str:
    # AKIA for long-term keys, ASIA for temporary ones, as AWS tools expect to see.
    return ("ASIA" if temporary else "AKIA") + secrets.token_hex(8).upper()


def new_secret_access_key() -> str:
    return secrets.token_urlsafe(30)[:40]


def new_session_token() -> str:
    """The session token of temporary credentials: opaque to clients, only ever compared by the server."""
    return secrets.token_urlsafe(96)


class Arns:
    """ARN building and parsing for one configured partition, region and account."""

    _PATTERN = re.compile(r"arn:aws:deadline:(?P<region>[^:]*):(?P<account>[^:]*):(?P<path>.+)")

    def __init__(self, region: str, account_id: str) -> None:
        self.prefix = f"arn:aws:deadline:{region}:{account_id}:"
        self.region = region
        self.account_id = account_id

    def farm(self, farm_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}"

    def queue(self, farm_id: str, queue_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}/queue/{queue_id}"

    def job(self, farm_id: str, queue_id: str, job_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}/queue/{queue_id}/job/{job_id}"

    def fleet(self, farm_id: str, fleet_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}/fleet/{fleet_id}"

    def worker(self, farm_id: str, fleet_id: str, worker_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}/fleet/{fleet_id}/worker/{worker_id}"

    def budget(self, farm_id: str, budget_id: str) -> str:
        return f"{self.prefix}farm/{farm_id}/budget/{budget_id}"

    def monitor(self, monitor_id: str) -> str:
        return f"{self.prefix}monitor/{monitor_id}"

    def license_endpoint(self, license_endpoint_id: str) -> str:
        return f"{self.prefix}license-endpoint/{license_endpoint_id}"

    def parse(self, arn: str) -> list[tuple[str, str]] | None:
        """`arn:...:farm/F/queue/Q` -> [("farm", F), ("queue", Q)]; None when it is no deadline ARN of ours."""
        match = self._PATTERN.fullmatch(arn)
        if match is None or match["region"] != self.region or match["account"] != self.account_id:
            return None
        parts = match["path"].split("/")
        if len(parts) % 2:
            return None
        return [(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]
