"""The local farm `farmstead up` made, and boto3 clients for the commands that talk to a server.

Owns: DATA_DIR/up.json (the ids of the farm, queue and fleet `up` created, the endpoint and region,
so a second `up` resumes them and `submit`/`status`/`logs`/`job` find them), and choosing the
profile, endpoint and region of a client, and the farm and queue, for those commands.
Must not: create farm resources (up.py does), or write AWS config files (aws_profile.py does).

Client resolution, most explicit first:
- profile: --profile; else the standard AWS chain when AWS_PROFILE or AWS_ACCESS_KEY_ID is set;
  else the `farmstead` profile when it exists; else the standard chain.
- endpoint: --endpoint-url; else whatever the profile/env configures; else up.json's endpoint.
- region: the profile's; else up.json's; else us-west-2.
- farm and queue: --farm-id/--queue-id; else DATA_DIR/up.json's; else the deadline CLI's defaults
  for the profile in use.
Host prefix injection is always off: Farmstead's own commands always talk to Farmstead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from farmstead.cli import deadline_config
from farmstead.cli.aws_profile import PROFILE, profile_exists

STATE_FILE = "up.json"
DEFAULT_REGION = "us-west-2"


@dataclass
class LocalFarm:
    endpoint: str | None = None
    region: str | None = None
    farmId: str | None = None
    queueId: str | None = None
    fleetId: str | None = None

    @classmethod
    def load(cls, data_dir: Path) -> LocalFarm | None:
        path = Path(data_dir) / STATE_FILE
        if not path.exists():
            return None
        try:
            document = json.loads(path.read_text())
        except ValueError as exc:
            raise click.ClickException(f"{path} is not JSON ({exc}); delete it to start a new farm") from None
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in document.items() if key in known})

    def ids(self) -> tuple[str, str, str]:
        """(farm, queue, fleet) of a farm `farmstead up` has set up."""
        if not (self.farmId and self.queueId and self.fleetId):
            raise click.ClickException(f"{STATE_FILE} names no complete farm; `farmstead up` sets one up")
        return self.farmId, self.queueId, self.fleetId

    def save(self, data_dir: Path) -> None:
        # Written after each resource is created, atomically, so a crash mid-setup loses nothing.
        path = Path(data_dir) / STATE_FILE
        temporary = path.with_name(STATE_FILE + ".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(temporary, path)


@dataclass
class Connection:
    """A resolved way to reach a server: the clients and where their settings came from."""
    session: boto3.session.Session
    endpoint: str
    region: str
    profile: str | None
    local: LocalFarm | None

    def client(self, service: str = "deadline"):
        return self.session.client(service, endpoint_url=self.endpoint, region_name=self.region,
                                   config=Config(inject_host_prefix=False,
                                                 retries={"max_attempts": 4, "mode": "standard"}))


def connect(profile: str | None, endpoint_url: str | None, data_dir: Path) -> Connection:
    local = LocalFarm.load(data_dir)
    if profile is None and not (os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")) \
            and profile_exists(PROFILE):
        profile = PROFILE
    try:
        session = boto3.session.Session(profile_name=profile)
    except ProfileNotFound:
        raise click.ClickException(f"no AWS profile {profile!r}: run `farmstead up` to write the "
                                   f"{PROFILE!r} profile, or name another with --profile") from None
    region = session.region_name or (local.region if local else None) or DEFAULT_REGION
    endpoint = endpoint_url
    if endpoint is None:
        try:
            probe = session.client("deadline", region_name=region, config=Config(inject_host_prefix=False))
        except BotoCoreError as exc:
            raise click.ClickException(f"the AWS configuration can't be used: {exc}") from None
        configured = probe.meta.endpoint_url
        # botocore falls back to the AWS endpoint when nothing names one; Farmstead is never there.
        if "amazonaws.com" not in configured:
            endpoint = configured
        elif local and local.endpoint:
            endpoint = local.endpoint
        else:
            raise click.ClickException(
                "no Farmstead endpoint: run `farmstead up` (it writes the AWS profile "
                f"{PROFILE!r}), or give --endpoint-url, or set AWS_ENDPOINT_URL")
    return Connection(session, endpoint, region, profile, local)


def resolve_queue(connection: Connection, farm_id: str | None, queue_id: str | None) -> tuple[str, str]:
    """The farm and queue a command works on: the flags, else up.json's, else the deadline CLI's defaults."""
    local = connection.local
    farm_id = farm_id or (local.farmId if local else None)
    queue_id = queue_id or (local.queueId if local and farm_id == local.farmId else None)
    if farm_id is None or queue_id is None:
        default_farm, default_queue = deadline_config.defaults_of(connection.profile)
        farm_id = farm_id or default_farm
        if queue_id is None and farm_id == default_farm:
            queue_id = default_queue
    if not farm_id or not queue_id:
        raise click.ClickException("which queue? Give --farm-id and --queue-id, or run where `farmstead up` "
                                   "keeps its data (or pass --data-dir)")
    return farm_id, queue_id


def explain(error: Exception, connection: Connection) -> str:
    """A one-paragraph message for a failed call, saying what to check."""
    if isinstance(error, ClientError):
        # Read as plain data: the modelled error's own members (fieldList) are not in botocore's type.
        response: Mapping[str, Any] = error.response
        code = response.get("Error", {}).get("Code", "")
        message = response.get("Error", {}).get("Message", "")
        text = f"{code}: {message}"
        fields = response.get("fieldList") or []
        for field in fields:
            if field.get("message") and field["message"] not in message:
                text += f"\n  {field.get('name')}: {field['message']}"
        if code in ("UnrecognizedClientException", "InvalidSignatureException"):
            who = f"profile {connection.profile!r}" if connection.profile else "your AWS credentials"
            text += (f"\n{connection.endpoint} does not know {who}; `farmstead up` writes a working "
                     f"profile {PROFILE!r} (use --profile {PROFILE})")
        return text
    if isinstance(error, NoCredentialsError):
        return (f"no AWS credentials for {connection.endpoint}: run `farmstead up` (it writes the profile "
                f"{PROFILE!r}), or give --profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    if isinstance(error, BotoCoreError):
        return f"can't reach Farmstead at {connection.endpoint}: {error}\nIs `farmstead up` running?"
    return str(error)
