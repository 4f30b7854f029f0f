"""Tags: TagResource, UntagResource, ListTagsForResource, and `check_tags` for create operations.

Owns: turning a resourceArn into the resource it names (malformed or foreign -> ValidationException,
absent -> ResourceNotFoundException) and who may read or change its tags: an administrator always;
otherwise VIEWER on a farm-scoped resource to list, OWNER to tag or untag. Monitors and license
endpoints are account-level, so only an administrator reaches their tags.
Must not: hold SQL (store/tags.py) or the tag rules themselves (domain/tags.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from farmstead.api.authorization import highest_level, level_at_least
from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.domain import job_dependencies
from farmstead.domain.tags import tag_problems
from farmstead.protocol import shapes
from farmstead.protocol.errors import access_denied, not_found, validation_error
from farmstead.store import tags

# The ARN paths of taggable resources (Service Authorization Reference) and each id's form.
_SHAPES = {("farm",), ("farm", "queue"), ("farm", "queue", "job"), ("farm", "fleet"), ("farm", "fleet", "worker"),
           ("farm", "fleet", "volume"), ("farm", "budget"), ("monitor",), ("license-endpoint",)}
_ID_PREFIX = {"farm": "farm", "queue": "queue", "job": "job", "fleet": "fleet", "worker": "worker",
              "volume": "volume", "budget": "budget", "monitor": "monitor", "license-endpoint": "le"}
_ACCOUNT_LEVEL = {"monitor", "license-endpoint"}


def check_tags(resource_tags: Mapping[str, str] | None, existing_keys=(), member: str = "tags") -> None:
    """Raise ValidationException when these tags may not be put on a resource (create operations call this)."""
    problems = tag_problems(resource_tags or {}, existing_keys)
    if problems:
        raise validation_error(" ".join(problems), [{"name": member, "message": p} for p in problems])


def _resolve(ctx: Context, arn: str, needed: str) -> list[tuple[str, str]]:
    """The ARN's (type, id) path, once the caller is known to hold `needed` on it and it is known to exist."""
    path = ctx.arns.parse(arn)
    if path is None or tuple(kind for kind, _ in path) not in _SHAPES or not all(
            re.fullmatch(rf"{_ID_PREFIX[kind]}-[0-9a-f]{{32}}", resource_id) for kind, resource_id in path):
        raise validation_error(
            f"{arn} is not the ARN of a taggable resource of this server"
            f" (arn:aws:deadline:{ctx.arns.region}:{ctx.arns.account_id}:farm/<farmId>[/...]).",
            [{"name": "resourceArn", "message": "Not a taggable deadline resource ARN of this server"}])
    # Access before existence, so that callers without access learn nothing about what exists.
    if not ctx.caller.is_admin:
        allowed = path[0][0] not in _ACCOUNT_LEVEL and level_at_least(
            highest_level(ctx.conn, ctx.caller, [resource_id for _, resource_id in path], path[0][1]), needed)
        if not allowed:
            raise access_denied(f"User: {ctx.caller.arn} is not authorized to perform: deadline:{ctx.operation}"
                                f" on resource: {arn}")
    for depth in range(1, len(path) + 1):  # report the outermost missing resource, as parent lookups do
        if not tags.resource_exists(ctx.conn, path[:depth]):
            kind, resource_id = path[depth - 1]
            raise not_found(kind, resource_id)
    return path


@operation("TagResource", write=True, access="AUTHENTICATED")
def tag_resource(ctx: Context, params: shapes.TagResourceRequest) -> shapes.TagResourceResponse:
    arn = params["resourceArn"]
    _resolve(ctx, arn, "OWNER")
    new_tags = params.get("tags") or {}
    if job_dependencies.AFTER_TAG in new_tags:
        # Read at CreateJob only: waiting on jobs is decided when a job is made, so no cycle can form.
        message = f"Tag {job_dependencies.AFTER_TAG} can only be given to CreateJob."
        raise validation_error(message, [{"name": "tags", "message": message}])
    check_tags(new_tags, tags.of(ctx.conn, arn))
    tags.put(ctx.conn, arn, new_tags)
    return {}


@operation("UntagResource", write=True, access="AUTHENTICATED")
def untag_resource(ctx: Context, params: shapes.UntagResourceRequest) -> shapes.UntagResourceResponse:
    arn = params["resourceArn"]
    _resolve(ctx, arn, "OWNER")
    tags.remove(ctx.conn, arn, list(params["tagKeys"]))
    return {}


@operation("ListTagsForResource", access="AUTHENTICATED")
def list_tags_for_resource(ctx: Context,
                           params: shapes.ListTagsForResourceRequest) -> shapes.ListTagsForResourceResponse:
    arn = params["resourceArn"]
    _resolve(ctx, arn, "VIEWER")
    return {"tags": tags.of(ctx.conn, arn)}


def tag_new_resource(ctx: Context, arn: str, resource_tags: Mapping[str, str] | None) -> None:
    """The `tags` of a Create* request, held to the same rules as TagResource."""
    check_tags(resource_tags)
    tags.put(ctx.conn, arn, dict(resource_tags or {}))
