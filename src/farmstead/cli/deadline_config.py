"""The `deadline` CLI's own settings file (~/.deadline/config, or DEADLINE_CONFIG_FILE_PATH), as far as
Farmstead writes or reads it: the CLI's default profile, and the default farm and queue of a profile.

Owns: where that file is and how the CLI lays it out (a profile's farm in `[profile-P defaults]`, the
queue of that farm in `[profile-P FARM defaults]`, the default profile in `[defaults]`), what `farmstead
up` may change there, and reading a profile's farm and queue back for `farmstead submit` and friends.
Writing the file directly, not through `deadline config set`, is what makes `deadline bundle submit`
work whether the CLI is installed before or after `farmstead up`.
Must not: run the deadline CLI, or change what the user chose: the default profile and the regions
setting apply to everything the CLI does (also against AWS), so they are set only while unset.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

from farmstead.cli.ini_files import write_sections

#: What `deadline config get defaults.aws_profile_name` says when nothing is set: the default AWS chain.
UNSET_PROFILE = "(default)"


def config_path() -> Path:
    return Path(os.environ.get("DEADLINE_CONFIG_FILE_PATH") or "~/.deadline/config").expanduser()


@dataclass
class ConfigWrite:
    """What `point_at` changed: `changes` as `setting = value`, and the backup it made (if any)."""

    path: Path
    changes: list[str] = field(default_factory=list)
    backup: Path | None = None
    #: The user's own default profile, left as it was (None when it is Farmstead's).
    kept_profile: str | None = None


def _read(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        pass
    return parser


def _farm_section(profile: str) -> str:
    return f"profile-{profile} defaults"


def _queue_section(profile: str, farm_id: str) -> str:
    return f"profile-{profile} {farm_id} defaults"


def point_at(profile: str, farm_id: str, queue_id: str, region: str | None) -> ConfigWrite:
    """Make `profile`'s default farm and queue these; make `profile` the CLI's default profile (and
    `region` the regions it lists farms in) only if the user has not chosen one."""
    path = config_path()
    current = _read(path)
    # (the CLI's name for the setting, section, key, value)
    settings = [(f"defaults.farm_id of profile {profile}", _farm_section(profile), "farm_id", farm_id),
                (f"defaults.queue_id of profile {profile}", _queue_section(profile, farm_id), "queue_id", queue_id)]
    chosen = current.get("defaults", "aws_profile_name", fallback=None)
    result = ConfigWrite(path)
    if chosen in (None, profile):
        settings.insert(0, ("defaults.aws_profile_name", "defaults", "aws_profile_name", profile))
        # The CLI lists farms in ten regions unless told which; Farmstead answers every region alike.
        if region and current.get("settings", "deadline_regions", fallback=None) is None:
            settings.append(("settings.deadline_regions", "settings", "deadline_regions", region))
    else:
        result.kept_profile = chosen
    changed = [(name, section, key, value) for name, section, key, value in settings
               if current.get(section, key, fallback=None) != value]
    if not changed:
        return result
    sections: dict[str, dict] = {}
    for _, section, key, value in settings:  # all of ours: unchanged ones are written as they are
        sections.setdefault(section, {})[key] = value
    backup = write_sections(path, sections, private=False)
    result.backup = backup if isinstance(backup, Path) else None
    result.changes = [f"{name} = {value}" for name, _, _, value in changed]
    return result


def defaults_of(profile: str | None) -> tuple[str | None, str | None]:
    """The default farm and queue the CLI keeps for `profile` (None: the CLI's default profile)."""
    current = _read(config_path())
    if profile is None:
        profile = current.get("defaults", "aws_profile_name", fallback=UNSET_PROFILE)
    farm_id = current.get(_farm_section(profile), "farm_id", fallback=None) or None
    queue_id = current.get(_queue_section(profile, farm_id), "queue_id", fallback=None) or None if farm_id else None
    return farm_id, queue_id
