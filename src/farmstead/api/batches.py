"""The Batch* operations' loop: every item is authorized and answered on its own.

Owns: going through a batch's items in order, authorizing each at the level the operation needs on
the item's own ids, running it (a change in a savepoint of its own, so a refused item leaves no
trace), and listing an item that fails under `errors` with its ids, code and message instead of
failing the call. Where the operation's item error codes (the model's Batch*ErrorCode enum) have no
AccessDeniedException, an item the caller may not see is answered as not found, which tells
nothing about what exists.
Must not: know a resource: the handler says which members key an item and what to do with one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from farmstead.api.authorization import authorize
from farmstead.api.context import Context
from farmstead.protocol.errors import ServiceError

T = TypeVar("T")


def each_item(ctx: Context, items: Iterable[Mapping[str, Any]], keys: tuple[str, ...], level: str,
              run: Callable[[dict[str, str], Mapping[str, Any]], T], *, error_codes: type[StrEnum],
              resource_type: str, write: bool = False) -> tuple[list[T], list[Any]]:
    """(what `run(key, item)` answered for each item that succeeded, the errors of the others).

    `key` is the item's members named by `keys`, the last of them the item's own id; each error
    repeats them beside its code and message (typed Any: the same members make each operation's own
    Batch*Error TypedDict). With `write`, each item runs in a savepoint."""
    found: list[T] = []
    errors: list[Any] = []
    for item in items:
        key = {k: item[k] for k in keys}
        try:
            authorize(ctx.conn, ctx.caller, ctx.operation, level, key)
            if write:
                with ctx.conn.begin_nested():
                    result = run(key, item)
            else:
                result = run(key, item)
        except ServiceError as err:
            code, message = _item_error(err, error_codes, resource_type, key[keys[-1]])
            errors.append({**key, "code": code, "message": message})
            continue
        found.append(result)
    return found, errors


def _item_error(err: ServiceError, error_codes: type[StrEnum], resource_type: str,
                resource_id: str) -> tuple[str, str]:
    if err.code == "AccessDeniedException" and err.code not in {code.value for code in error_codes}:
        return "ResourceNotFoundException", f"Resource of type {resource_type} with id {resource_id} does not exist."
    return err.code, err.message
