"""Which paths in a job's attachments could lead a worker outside the directories they are meant for.

Owns: the rule for the paths CreateJob accepts in `attachments.manifests[]`: each
`outputRelativeDirectories` entry and the `inputManifestPath` must be relative (no leading `/` or
`\\`, no drive letter) and have no `..` component, read with both separators because a job
submitted from one OS runs on workers of another. *(choice)* The model bounds only their length;
the official clients only ever send paths below the root (they are computed relative to it).
Workers check the paths again themselves; this keeps a bad job from being accepted at all.
Must not: touch storage, HTTP or the file system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[/\\]")


def escape_reason(path: str) -> str | None:
    """Why `path` would leave the directory it is relative to, or None when it stays inside."""
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        return "Must be a relative path, not an absolute one"
    if ".." in _SEPARATORS.split(path):
        return "Must not contain '..' components"
    return None


def attachment_path_problems(attachments: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(field name, message) for each escaping path in a CreateJob `attachments` value."""
    problems: list[tuple[str, str]] = []
    for index, manifest in enumerate((attachments or {}).get("manifests") or []):
        prefix = f"attachments.manifests[{index}]"
        for position, directory in enumerate(manifest.get("outputRelativeDirectories") or []):
            reason = escape_reason(directory)
            if reason:
                problems.append((f"{prefix}.outputRelativeDirectories[{position}]", reason))
        if manifest.get("inputManifestPath"):
            reason = escape_reason(manifest["inputManifestPath"])
            if reason:
                problems.append((f"{prefix}.inputManifestPath", reason))
    return problems
