"""Rules for a queue's settings: defaults, the job run-as user, and the ...ToAdd/...ToRemove list edits.

Owns: what CreateQueue fills in when a member is omitted, what an omitted jobRunAsUser means, when a
jobRunAsUser is incomplete, and how UpdateQueue's add/remove lists combine with the current list.
Must not: touch storage or HTTP (problems are returned as (field, message) pairs for the api layer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: "If not specified, the queue defaults to the priorityFifo scheduling configuration." (model)
DEFAULT_SCHEDULING_CONFIGURATION: dict[str, Any] = {"priorityFifo": {}}
DEFAULT_BUDGET_ACTION = "NONE"
#: The model caps requiredFileSystemLocationNames and allowedStorageProfileIds at 20 entries.
MAX_LIST_ENTRIES = 20

Problem = tuple[str, str]


def job_run_as_user_problems(value: Mapping[str, Any] | None, member: str = "jobRunAsUser") -> list[Problem]:
    """A queue-configured user must name the user: POSIX, Windows, or both."""
    if not value or value.get("runAs") != "QUEUE_CONFIGURED_USER":
        return []
    if value.get("posix") or value.get("windows"):
        return []
    return [(member, "runAs QUEUE_CONFIGURED_USER needs a posix user, a windows user, or both.")]


def distinct(values: Iterable[str]) -> list[str]:
    """The values without repeats, first occurrence kept (a repeated entry means nothing more)."""
    return list(dict.fromkeys(values))


def edit_list(current: list[str], to_add: list[str] | None, to_remove: list[str] | None,
              add_member: str, remove_member: str) -> tuple[list[str], list[Problem]]:
    """current - to_remove + to_add, keeping order; adding a present entry or removing an absent one
    changes nothing. Naming one entry in both lists is contradictory, and the result must fit the model's cap."""
    to_add, to_remove = distinct(to_add or []), distinct(to_remove or [])
    both = [value for value in to_add if value in set(to_remove)]
    if both:
        return current, [(remove_member, f"{', '.join(both)} cannot be both added and removed.")]
    removed = set(to_remove)
    result = distinct([value for value in current if value not in removed] + to_add)
    if len(result) > MAX_LIST_ENTRIES:
        return current, [(add_member,
                          f"The queue would hold {len(result)} entries; at most {MAX_LIST_ENTRIES} are allowed.")]
    return result, []
