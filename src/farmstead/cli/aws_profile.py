"""The AWS profile `farmstead` in the user's AWS config and credentials files.

Owns: where those files are (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/…), and
editing them in place: only the sections and keys Farmstead writes change; other profiles, comments
and ordering stay as they were. The first time Farmstead changes a file that holds anything of the
user's, it keeps a copy next to it (`<file>.farmstead-backup`).
Must not: read credentials for a client (boto3 does that), or know anything about farms.

What botocore 1.44 reads (configprovider.py): a profile's `services = NAME` points at a
`[services NAME]` section whose per-service blocks carry `endpoint_url`; a top-level `endpoint_url`
in the profile applies to every other service; `disable_host_prefix_injection` is a profile key
(env AWS_DISABLE_HOST_PREFIX_INJECTION) that turns `inject_host_prefix` off.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

PROFILE = "farmstead"
BACKUP_SUFFIX = ".farmstead-backup"
# The services Farmstead answers: the Deadline Cloud API and the CloudWatch Logs subset.
SERVICES = ("deadline", "logs")

_HEADER = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]\s*$")
_KEY = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]")


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
                  profile: str = PROFILE) -> ProfileWrite:
    """Point `profile` at a Farmstead server; returns what was changed and backed up."""
    config, credentials = config_path(), credentials_path()
    services_block = {service: {"endpoint_url": endpoint} for service in SERVICES}
    config_sections = {
        f"profile {profile}": {
            "region": region,
            "endpoint_url": endpoint,
            "services": profile,
            "disable_host_prefix_injection": "true",
        },
        f"services {profile}": services_block,
    }
    credential_sections = {profile: {"aws_access_key_id": access_key_id,
                                     "aws_secret_access_key": secret_access_key}}
    changed, backups = [], []
    for path, sections, private in ((config, config_sections, False), (credentials, credential_sections, True)):
        backup = _update_file(path, sections, private)
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
    return any(_section_name(line) == wanted for line in path.read_text().splitlines())


def _update_file(path: Path, sections: dict[str, dict], private: bool) -> Path | None | bool:
    """Writes the file when its text changes. Returns False when nothing changed, else the backup
    made now (None when there was no file, nothing but our sections, or a backup already)."""
    old = path.read_text() if path.exists() else ""
    new = update_ini_text(old, sections)
    if new == old:
        return False
    backup = None
    if path.exists() and _has_foreign_content(old, sections):
        candidate = path.with_name(path.name + BACKUP_SUFFIX)
        if not candidate.exists():
            shutil.copy2(path, candidate)
            backup = candidate
    else:
        # ~/.aws holds secrets: a directory we create is the user's alone.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else (0o600 if private else 0o644)
    temporary = path.with_name(path.name + ".farmstead-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(new)
    os.chmod(temporary, mode)
    os.replace(temporary, path)
    return backup


def _has_foreign_content(text: str, sections: dict[str, dict]) -> bool:
    """Whether the file holds anything besides the sections we write (a file only we wrote needs no backup)."""
    current = None
    for line in text.splitlines():
        name = _section_name(line)
        if name is not None:
            current = name
            if name not in sections:
                return True
        elif current is None and line.strip():
            return True  # comments or keys before the first section
    return False


# ----- line-preserving INI editing -----

def update_ini_text(text: str, sections: dict[str, dict]) -> str:
    """Sets `sections` ({section: {key: value | {subkey: value}}}) in INI `text`.

    Lines outside those keys are kept byte for byte (comments, blank lines, other sections). A
    nested dict becomes botocore's indented sub-section syntax (`key =` then `  sub = value`).
    """
    lines = text.splitlines()
    for name, items in sections.items():
        lines = _set_section(lines, name, items)
    result = "\n".join(lines)
    return result + "\n" if result else ""


def _section_name(line: str) -> str | None:
    match = _HEADER.match(line)
    return " ".join(match.group(1).split()) if match else None


def _set_section(lines: list[str], name: str, items: dict) -> list[str]:
    start = next((i for i, line in enumerate(lines) if _section_name(line) == name), None)
    if start is None:
        block = [f"[{name}]"] + [rendered for key, value in items.items() for rendered in _render(key, value)]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        return lines + ([""] if lines else []) + block
    end = next((i for i in range(start + 1, len(lines)) if _section_name(lines[i]) is not None), len(lines))
    body = lines[start + 1:end]
    for key, value in items.items():
        body = _set_item(body, key, value)
    return lines[:start + 1] + body + lines[end:]


def _set_item(body: list[str], key: str, value) -> list[str]:
    rendered = _render(key, value)
    for i, line in enumerate(body):
        match = _KEY.match(line)
        if match and match.group(1).strip().lower() == key.lower():
            # The item runs on through its indented continuation lines (a nested block).
            end = i + 1
            while end < len(body) and body[end][:1] in (" ", "\t") and body[end].strip():
                end += 1
            return body[:i] + rendered + body[end:]
    # A new key goes after the section's last item, before the blank lines that separate sections.
    insert_at = len(body)
    while insert_at > 0 and not body[insert_at - 1].strip():
        insert_at -= 1
    return body[:insert_at] + rendered + body[insert_at:]


def _render(key: str, value) -> list[str]:
    if isinstance(value, dict):
        return [f"{key} ="] + [f"  {sub} = {sub_value}" for sub, sub_value in value.items()]
    return [f"{key} = {value}"]
