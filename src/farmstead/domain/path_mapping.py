"""Path mapping rules between the host a job was submitted from and the host that runs it.

Owns: the rules `jobDetails.pathMappingRules` carries, from two storage profiles (the job's,
given at CreateJob as `storageProfileId`, and the one of the worker's fleet, its
`customerManaged.storageProfileId`): every file system location the two profiles both name maps the
submitting host's path to the working host's. A location named in one profile only has no rule, nor
does one whose path and path format are the same on both sides.
Must not: read anything; callers hand in the profiles' `os_family` and `file_system_locations`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def path_format(os_family: str) -> str:
    """The model's `sourcePathFormat` for a storage profile's osFamily."""
    return "windows" if os_family == "WINDOWS" else "posix"


def rules(source_os_family: str, source_locations: Iterable[dict[str, Any]],
          destination_os_family: str, destination_locations: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    destination_by_name = {location["name"]: location["path"] for location in destination_locations}
    source_format = path_format(source_os_family)
    same_format = source_format == path_format(destination_os_family)
    found = []
    for location in sorted(source_locations, key=lambda each: each["name"]):
        destination = destination_by_name.get(location["name"])
        if destination is None or (same_format and destination == location["path"]):
            continue
        found.append({"sourcePathFormat": source_format, "sourcePath": location["path"],
                      "destinationPath": destination})
    return found
