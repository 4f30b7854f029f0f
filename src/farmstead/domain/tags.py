"""Tag rules, as AWS applies them to every taggable resource (the model itself leaves `Tags` unconstrained).

Owns: which tag maps are acceptable: keys 1-128 characters, values 0-256, the `aws:` prefix reserved,
at most 50 tags on one resource. Must not: query the store or raise API errors; callers turn the
problems into a ValidationException (api/tags.py `check_tags` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from farmstead.domain import job_dependencies, stuck_tasks
from farmstead.domain.scheduling import setting_tag_problem

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
RESERVED_PREFIX = "aws:"


def tag_problems(tags: Mapping[str, str], existing_keys: Iterable[str] = ()) -> list[str]:
    """What is wrong with adding `tags` to a resource that already has `existing_keys` (empty: nothing)."""
    problems = []
    for key, value in tags.items():
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            problems.append(f"Tag key '{key[:40]}' must be 1 to {MAX_KEY_LENGTH} characters long.")
        elif key.lower().startswith(RESERVED_PREFIX):
            problems.append(f"Tag key '{key}' uses the reserved prefix '{RESERVED_PREFIX}'.")
        if len(value) > MAX_VALUE_LENGTH:
            problems.append(f"The value of tag '{key[:40]}' is longer than {MAX_VALUE_LENGTH} characters.")
        # Farmstead's queue settings (docs/self-managing.md)
        setting = (setting_tag_problem(key, value) or stuck_tasks.tag_problem(key, value)
                   or job_dependencies.never_setting_problem(key, value))
        if setting is not None:
            problems.append(setting)
    total = len(set(existing_keys) | set(tags))
    if total > MAX_TAGS_PER_RESOURCE:
        problems.append(f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; this would make {total}.")
    return problems
