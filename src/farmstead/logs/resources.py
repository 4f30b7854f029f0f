"""What several logs handlers share: naming the group an input means, finding groups and streams
(or answering the modelled ResourceNotFoundException), the service's errors, and paging tokens.
"""

from __future__ import annotations

from typing import Any

from farmstead.domain import log_names
from farmstead.logs import access
from farmstead.logs.executor import LogsContext
from farmstead.protocol.errors import ServiceError
from farmstead.store import logs as store


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def group_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def stream_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log stream does not exist.")


def group_name(ctx: LogsContext, params: dict[str, Any]) -> str | None:
    """The group named by `logGroupName` or `logGroupIdentifier` (exactly one of them).

    None when the identifier is an ARN of another region or account: no group of ours has it.
    """
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if name is not None:
        return name
    if identifier is None:
        raise invalid("Either logGroupName or logGroupIdentifier must be specified.")
    return log_names.name_from_identifier(identifier, ctx.settings.region, ctx.settings.account_id)


def authorized_group(ctx: LogsContext, params: dict[str, Any], needed: str | None,
                     log_stream_name: str | None = None):
    """The group row the input names, after checking the caller may do this operation on it."""
    name = group_name(ctx, params)
    if name is None:
        raise group_not_found()
    access.require(ctx, name, needed, log_stream_name)
    group = store.find_group(ctx.conn, name)
    if group is None:
        raise group_not_found()
    return group


def existing_stream(ctx: LogsContext, group, log_stream_name: str):
    stream = store.find_stream(ctx.conn, group.group_key, log_stream_name)
    if stream is None:
        raise stream_not_found()
    return stream


def decode_token(ctx: LogsContext, token: str, arguments: dict[str, Any]) -> Any:
    """A position from a nextToken made by `encode_token` for the same operation and arguments."""
    try:
        return ctx.tokens.decode(token, ctx.operation, arguments)
    except ServiceError as err:  # the shared codec speaks deadline's ValidationException
        raise invalid("The specified nextToken is invalid." if "invalid" in err.message else err.message) from None


def encode_token(ctx: LogsContext, arguments: dict[str, Any], position: Any) -> str:
    return ctx.tokens.encode(ctx.operation, arguments, position)


def arguments(params: dict[str, Any], *names: str) -> dict[str, Any]:
    """The inputs a paging token is bound to (a token is only good for the query it came from)."""
    return {name: params[name] for name in names if name in params}
