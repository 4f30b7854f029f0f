"""Editing INI files the user owns (~/.aws/config, ~/.aws/credentials, ~/.deadline/config) in place.

Owns: setting a few keys in named sections while every other line stays byte for byte (comments,
blank lines, other sections, keys the user added), botocore's indented sub-section syntax for nested
values, writing atomically with the file's mode (0600 for a new private file, a new directory 0700),
and the one-time backup `<file>.farmstead-backup` the first time a file holding anything of the
user's is changed. Must not: know what the sections mean.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any, Literal

BACKUP_SUFFIX = ".farmstead-backup"

_HEADER = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]\s*$")
_KEY = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]")


def write_sections(path: Path, sections: dict[str, dict[str, Any]], private: bool) -> Path | None | Literal[False]:
    """Sets `sections` in the file at `path`, writing it only when its text changes. Returns False when
    nothing changed, else the backup made now (None when there was no file, nothing but our sections,
    or a backup already)."""
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
    """Whether the file holds anything besides the keys we write (a file only we wrote needs no backup)."""
    current = None
    for line in text.splitlines():
        name = section_name(line)
        if name is not None:
            current = name
            if name not in sections:
                return True
        elif line.strip():
            if current is None:
                return True  # comments or keys before the first section
            if not line[:1].isspace():  # a key (indented lines continue a nested one)
                key = _KEY.match(line)
                if key is None or key.group(1).strip().lower() not in {k.lower() for k in sections[current]}:
                    return True
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


def section_name(line: str) -> str | None:
    match = _HEADER.match(line)
    return " ".join(match.group(1).split()) if match else None


def _set_section(lines: list[str], name: str, items: dict) -> list[str]:
    start = next((i for i, line in enumerate(lines) if section_name(line) == name), None)
    if start is None:
        block = [f"[{name}]"] + [rendered for key, value in items.items() for rendered in _render(key, value)]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        return lines + ([""] if lines else []) + block
    end = next((i for i in range(start + 1, len(lines)) if section_name(lines[i]) is not None), len(lines))
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
