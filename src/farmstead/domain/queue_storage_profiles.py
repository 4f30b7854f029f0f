"""Storage profile rules: a profile's file system locations.

Owns: that location names are unique within a profile, and how UpdateStorageProfile's
fileSystemLocationsToAdd/ToRemove edit the list.
Must not: touch storage or HTTP (problems are returned as (field, message) pairs for the api layer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: The model caps fileSystemLocations at 20 entries.
MAX_LOCATIONS = 20

Problem = tuple[str, str]


def location_problems(locations: Sequence[Mapping[str, Any]], member: str) -> list[Problem]:
    """Location names identify a location (queues require them by name, jobs map paths by them): no repeats."""
    seen: set[str] = set()
    repeated: list[str] = []
    for location in locations:
        if location["name"] in seen and location["name"] not in repeated:
            repeated.append(location["name"])
        seen.add(location["name"])
    if repeated:
        return [(member, f"File system location names must be unique within a storage profile: "
                         f"{', '.join(repeated)} given more than once.")]
    return []


def edit_locations(current: Sequence[Mapping[str, Any]], to_add: Sequence[Mapping[str, Any]] | None,
                   to_remove: Sequence[Mapping[str, Any]] | None) -> tuple[list[Mapping[str, Any]], list[Problem]]:
    """Remove by name first, then add: one call can replace a location by removing and re-adding its name.

    Removing a name the profile does not hold is refused (the caller described a location that is not
    there); adding a name the profile still holds after the removals is a duplicate.
    """
    to_add, to_remove = list(to_add or []), list(to_remove or [])
    problems = location_problems(to_add, "fileSystemLocationsToAdd")
    held = {location["name"] for location in current}
    missing = [location["name"] for location in to_remove if location["name"] not in held]
    if missing:
        problems.append(("fileSystemLocationsToRemove",
                         f"The storage profile has no file system location named {', '.join(missing)}."))
    if problems:
        return list(current), problems
    removed = {location["name"] for location in to_remove}
    kept = [location for location in current if location["name"] not in removed]
    kept_names = {location["name"] for location in kept}
    clashing = [location["name"] for location in to_add if location["name"] in kept_names]
    if clashing:
        return list(current), [("fileSystemLocationsToAdd",
                                f"The storage profile already has a file system location named {', '.join(clashing)}.")]
    result = kept + [dict(location) for location in to_add]
    if len(result) > MAX_LOCATIONS:
        return list(current), [("fileSystemLocationsToAdd",
                                f"The storage profile would hold {len(result)} locations; "
                          f"at most {MAX_LOCATIONS} are allowed.")]
    return result, []

