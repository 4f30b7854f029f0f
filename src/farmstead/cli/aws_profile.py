"""The AWS profile `farmstead` in the user's AWS config and credentials files.

Owns: where those files are (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/…), and
what the profile says; only the sections and keys Farmstead writes change (ini_files.py edits them
line by line and keeps `<file>.farmstead-backup` the first time a file of the user's changes).
Must not: read credentials for a client (boto3 does that), or know anything about farms.

What botocore 1.44 reads (configprovider.py): a profile's `services = NAME` points at a
`[services NAME]` section whose per-service blocks carry `endpoint_url`; a top-level `endpoint_url`
in the profile applies to every other service; `disable_host_prefix_injection` is a profile key
(env AWS_DISABLE_HOST_PREFIX_INJECTION) that turns `inject_host_prefix` off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmstead.cli.ini_files import BACKUP_SUFFIX, section_name, update_ini_text, write_sections

__all__ = ["BACKUP_SUFFIX", "PROFILE", "ProfileWrite", "config_path", "credentials_path", "profile_exists",
           "update_ini_text", "write_profile"]

PROFILE = "farmstead"
# The services Farmstead answers: the Deadline Cloud API and the CloudWatch Logs subset.
SERVICES = ("deadline", "logs")


def config_path() -> Path:
    return Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def credentials_path() -> Path:
    return Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()


@dataclass(frozen=True)
class ProfileWrite:
    config: Path
    credentials: Path
    changed: tuple[Path, ...]
    backups: tuple[Path, ...]


def write_profile(endpoint: str, region: str, access_key_id: str, secret_access_key: str,
                  profile: str = PROFILE, s3_endpoint: str | None = None,
                  session_token: str | None = None) -> ProfileWrite:
    """Point `profile` at a Farmstead server (and S3 at its attachment store), with temporary keys when
    `session_token` is given (`farmstead login`); returns what was changed and backed up."""
    config, credentials = config_path(), credentials_path()
    services_block = {service: {"endpoint_url": endpoint} for service in SERVICES}
    if s3_endpoint:
        # Else the profile's top-level endpoint_url (Farmstead) would be S3's too.
        services_block["s3"] = {"endpoint_url": s3_endpoint}
    config_sections: dict[str, dict[str, Any]] = {
        f"profile {profile}": {
            "region": region,
            "endpoint_url": endpoint,
            "services": profile,
            "disable_host_prefix_injection": "true",
        },
        f"services {profile}": services_block,
    }
    keys = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
    if session_token:
        keys["aws_session_token"] = session_token
    credential_sections = {profile: keys}
    changed: list[Path] = []
    backups: list[Path] = []
    for path, sections, private in ((config, config_sections, False), (credentials, credential_sections, True)):
        backup = write_sections(path, sections, private)
        if backup is not False:
            changed.append(path)
            if backup is not None:
                backups.append(backup)
    return ProfileWrite(config, credentials, tuple(changed), tuple(backups))


def profile_exists(profile: str = PROFILE) -> bool:
    path = config_path()
    if not path.exists():
        return False
    wanted = "default" if profile == "default" else f"profile {profile}"
    return any(section_name(line) == wanted for line in path.read_text().splitlines())
