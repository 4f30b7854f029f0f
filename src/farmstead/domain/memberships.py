"""Who may grant or take away which membership level (docs/access.md, Members), as pure rules.

Owns: the rule that a MANAGER manages only MANAGER/CONTRIBUTOR/VIEWER memberships and that OWNER
memberships are an OWNER's (or an administrator's) business. Must not: query the store or raise API
errors; the caller passes the levels in and turns a refusal into AccessDeniedException.
"""

from __future__ import annotations

LEVELS = ("VIEWER", "CONTRIBUTOR", "MANAGER", "OWNER")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

#: The lowest level that may associate, disassociate or list members at all.
MANAGING_LEVEL = "MANAGER"


def may_change_membership(caller_level: str | None, *, granted: str | None, current: str | None) -> bool:
    """Whether a caller holding `caller_level` (None: no membership) may move a membership from `current`
    (None: not a member yet) to `granted` (None: removed).

    Touching an OWNER membership, on either side of the change, needs OWNER: otherwise a manager could
    demote or remove the owner who made them manager.
    """
    if caller_level is None or _RANK[caller_level] < _RANK[MANAGING_LEVEL]:
        return False
    if "OWNER" in (granted, current):
        return caller_level == "OWNER"
    return True
