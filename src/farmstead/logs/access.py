"""Who may touch which log group.

The administrator may do everything. Anyone else only on groups named by the Deadline convention,
`/aws/deadline/<farmId>/<queueId|fleetId>`, by their membership level on that queue or fleet (or its
farm; api.authorization.highest_level): reading needs VIEWER, writing (CreateLogGroup,
CreateLogStream, PutLogEvents) CONTRIBUTOR. Deleting groups or streams and changing deletion
protection is the administrator's alone: no Deadline membership level grants log deletion.
Groups outside the convention are the administrator's alone.

Authorization comes before any existence check, so a caller without access learns nothing about
which groups or streams exist.
"""

from __future__ import annotations

from farmstead.api.authorization import highest_level, level_at_least
from farmstead.domain import credential_scopes, log_names
from farmstead.logs.executor import LogsContext
from farmstead.protocol.errors import access_denied

READ = "VIEWER"
WRITE = "CONTRIBUTOR"
ADMIN = None  # no membership level suffices


def allowed(ctx: LogsContext, log_group_name: str, needed: str | None) -> bool:
    scope = ctx.caller.scope
    if scope is not None:
        # Temporary keys (docs/credentials.md): the scope names the groups; a worker's keys stand on
        # the worker access they were minted on, re-checked here, not on queue memberships.
        if not credential_scopes.permits_logs(scope, ctx.operation, log_group_name):
            return False
        basis = credential_scopes.membership_basis(scope)
        if basis is not None:
            resource_ids, level = basis
            return ctx.caller.is_admin or level_at_least(
                highest_level(ctx.conn, ctx.caller, resource_ids, scope.get("farmId")), level)
    if ctx.caller.is_admin:
        return True
    owner = log_names.deadline_resource(log_group_name)
    if needed is None or owner is None:
        return False
    held = highest_level(ctx.conn, ctx.caller, [owner.farm_id, owner.resource_id], owner.farm_id)
    return level_at_least(held, needed)


def require(ctx: LogsContext, log_group_name: str, needed: str | None, log_stream_name: str | None = None) -> None:
    """Raise AccessDeniedException unless the caller may do `ctx.operation` on this group."""
    if not allowed(ctx, log_group_name, needed):
        resource = ctx.group_arn(log_group_name) + f":log-stream:{log_stream_name or ''}"
        raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: logs:{ctx.operation}"
                            f" on resource: {resource}")


class ReadableGroups:
    """For listing: whether the caller may read a group, with one membership lookup per queue/fleet."""

    def __init__(self, ctx: LogsContext) -> None:
        self._ctx = ctx
        self._seen: dict[log_names.DeadlineResource, bool] = {}

    def __call__(self, log_group_name: str) -> bool:
        if self._ctx.caller.is_admin:
            return True
        owner = log_names.deadline_resource(log_group_name)
        if owner is None:
            return False
        if owner not in self._seen:
            self._seen[owner] = allowed(self._ctx, log_group_name, READ)
        return self._seen[owner]
