"""The worker's two identities: bootstrap credentials from the standard chain, and the fleet role.

Owns: the boto3 sessions and clients the worker uses. The bootstrap session resolves its credentials
through the ordinary AWS chain (env vars, `--profile`, shared files) once, at start. The fleet session
carries the credentials AssumeFleetRoleForWorker returns, as botocore `RefreshableCredentials`, which
refresh them when less than 15 minutes remain (the server issues them for an hour). A refresh is
signed with the current fleet credentials while they still hold, else with the bootstrap ones
(docs/worker.md, Lifecycle). Both sessions read the same profile, so its `endpoint_url`, region and
`disable_host_prefix_injection` apply to every client. Must not: decide when to create a worker.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials

from farmstead.worker import retries

log = logging.getLogger("farmstead.worker")

DEFAULT_REGION = "us-west-2"
#: The worker's clients never retry inside botocore: `retries.call` owns backoff, so an outage is
#: one loop with one log line per attempt, not nested retry budgets.
CLIENT_CONFIG = Config(inject_host_prefix=False, retries={"total_max_attempts": 1},
                       connect_timeout=5, read_timeout=60, tcp_keepalive=True)
#: How long a refresh may keep retrying: it runs inside whatever call needed the credentials.
REFRESH_BUDGET_SECONDS = 30.0
#: Environment variables of the bootstrap identity, removed once read so that jobs running as the
#: worker's own user don't inherit the worker's keys (docs/compatibility.md, Credentials).
BOOTSTRAP_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class _FixedProvider(CredentialProvider):
    """A credential provider placed first in a botocore session's chain: these credentials win."""

    METHOD = "farmstead-fleet-role"
    CANONICAL_NAME = "FarmsteadFleetRole"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


class Clients:
    """Client factory for one set of credentials and the worker's endpoint configuration."""

    def __init__(self, session: boto3.Session, endpoint_url: str | None) -> None:
        self.session = session
        self.endpoint_url = endpoint_url

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)


def bootstrap_clients(profile: str | None, region: str | None, endpoint_url: str | None) -> Clients:
    """The bootstrap identity: credentials resolved now, then scrubbed from the environment."""
    core = botocore.session.Session(profile=profile)
    region = region or core.get_config_variable("region") or DEFAULT_REGION
    session = boto3.Session(botocore_session=core, region_name=region)
    if session.get_credentials() is None:  # resolves and caches them in the botocore session
        raise RuntimeError("no AWS credentials found for the worker: set AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY, or pass --profile")
    for name in BOOTSTRAP_ENV:
        os.environ.pop(name, None)
    return Clients(session, endpoint_url)


def _metadata(credentials: dict[str, Any]) -> dict[str, str]:
    expiration = credentials["expiration"]
    if isinstance(expiration, datetime):
        expiration = expiration.astimezone(UTC).isoformat()
    return {"access_key": credentials["accessKeyId"], "secret_key": credentials["secretAccessKey"],
            "token": credentials["sessionToken"], "expiry_time": str(expiration)}


class FleetRole:
    """Fleet-role credentials for one worker, fetched now and refreshed by botocore before expiry."""

    def __init__(self, bootstrap: Clients, ids: dict[str, str], profile: str | None,
                 stop: threading.Event | None = None) -> None:
        self._bootstrap = bootstrap
        self._ids = ids
        self._profile = profile
        self._last = self._assume(bootstrap.client("deadline"), deadline=None, stop=stop)
        self.credentials = RefreshableCredentials.create_from_metadata(
            self._last, refresh_using=self._refresh, method=_FixedProvider.METHOD)

    def _assume(self, client, deadline: float | None, stop: threading.Event | None = None) -> dict[str, str]:
        answer = retries.call(lambda: client.assume_fleet_role_for_worker(**self._ids),
                              "AssumeFleetRoleForWorker", deadline=deadline, stop=stop)
        return _metadata(answer["credentials"])

    def _refresh(self) -> dict[str, str]:
        # Runs under the credentials' refresh lock: sign with a plain copy of the last keys (or the
        # bootstrap identity once they are nearly gone), never through `self.credentials` itself.
        last = self._last
        remaining = (datetime.fromisoformat(last["expiry_time"]) - datetime.now(UTC)).total_seconds()
        client = self._signing_client(last) if remaining > 60 else self._bootstrap.client("deadline")
        self._last = self._assume(client, time.monotonic() + REFRESH_BUDGET_SECONDS)
        log.info("fleet role credentials refreshed; they expire at %s", self._last["expiry_time"])
        return self._last

    def _signing_client(self, last: dict[str, str]) -> Any:
        """A deadline client signed with a plain copy of the given fleet credentials."""
        session = boto3.Session(aws_access_key_id=last["access_key"], aws_secret_access_key=last["secret_key"],
                                aws_session_token=last["token"], region_name=self._bootstrap.session.region_name)
        return Clients(session, self._bootstrap.endpoint_url).client("deadline")

    def clients(self) -> Clients:
        core = botocore.session.Session(profile=self._profile)
        # First in the chain, whatever else is in it: with a profile botocore leaves the `env` provider
        # out of the chain, so "before env" named a provider that was not there (`--profile` failed).
        core.get_component("credential_provider").providers.insert(0, _FixedProvider(self.credentials))
        session = boto3.Session(botocore_session=core, region_name=self._bootstrap.session.region_name)
        return Clients(session, self._bootstrap.endpoint_url)

