"""Who may call what: the administrator everything; anyone else by membership level (docs/access.md).

Levels VIEWER < CONTRIBUTOR < MANAGER < OWNER. A caller holds their own memberships and their groups'.
A membership on a farm applies to its queues, fleets and jobs; on a queue to its jobs; the highest
level held on the resource or an ancestor counts.

Temporary credentials (a Caller with a `scope`, minted by api/roles.py) are limited further: only the
operations their scope allows, on the resources it names (domain/credential_scopes.py), and then
still by their principal's memberships. This holds for the administrator's temporary keys too. A
worker's keys are the one twist: their principal must still hold the worker access they were minted
on (on the fleet or farm), and that stands in for the level each operation would need, so a
worker's queue keys read a queue its principal holds no membership on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from farmstead.api.context import Caller
from farmstead.domain import credential_scopes
from farmstead.protocol.errors import access_denied
from farmstead.store import memberships

LEVELS = ("VIEWER", "CONTRIBUTOR", "MANAGER", "OWNER")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Input members that name a resource a membership can be held on, outermost first.
_SCOPE_MEMBERS = ("farmId", "queueId", "fleetId", "jobId")


def highest_level(conn, caller: Caller, resource_ids: Iterable[str | None], farm_id: str | None = None) -> str | None:
    """The caller's highest level on these resources (None: no resource); with `farm_id`, counting only
    memberships in that farm."""
    levels = memberships.levels_on(conn, caller.principal_ids, resource_ids, farm_id)
    return max(levels, key=_RANK.__getitem__) if levels else None


def level_at_least(level: str | None, needed: str) -> bool:
    return level is not None and _RANK[level] >= _RANK[needed]


def authorize(conn, caller: Caller, operation: str, access: str, params: dict[str, Any]) -> None:
    """Raise AccessDeniedException unless the caller may run this operation on these resources.

    An AUTHENTICATED handler authorizes the items of a list-shaped request itself, with a level
    (BatchGetJob, SearchJobs...): the scope then checks each item on that call.
    """
    if caller.scope is not None:
        if not credential_scopes.permits(caller.scope, operation, params,
                                         items_checked_later=access == "AUTHENTICATED"):
            raise access_denied(f"User: {caller.arn} is not authorized to perform: deadline:{operation} on this"
                                f" resource because no session policy allows the deadline:{operation} action.")
        basis = credential_scopes.membership_basis(caller.scope)
        if basis is not None:
            # A worker's keys act by the worker access they were minted on, also on its queues, where
            # the worker's principal need not hold any membership.
            resource_ids, needed = basis
            if caller.is_admin or level_at_least(highest_level(conn, caller, resource_ids, caller.scope["farmId"]),
                                                 needed):
                return
            raise _denied(caller, operation)
    if caller.is_admin or access == "AUTHENTICATED":
        return
    if access == "ADMIN":
        raise _denied(caller, operation)
    resource_ids = [params[m] for m in _SCOPE_MEMBERS if isinstance(params.get(m), str)]
    # A membership only counts inside its own farm: otherwise a queue member could name that queue
    # under another farm's id and pass this check (the handler would then report that farm's existence).
    farm_id = params["farmId"] if isinstance(params.get("farmId"), str) else None
    if not resource_ids or not level_at_least(highest_level(conn, caller, resource_ids, farm_id), access):
        raise _denied(caller, operation)


def _denied(caller: Caller, operation: str):
    return access_denied(f"User: {caller.arn} is not authorized to perform: deadline:{operation} on this resource.")
