"""The operation registry: `@operation("GetJob", ...)` puts a handler in the table the pipeline dispatches on.

Each entry says whether the handler writes (the pipeline then opens a write transaction and records
the idempotency token) and which access it needs (authorization.py interprets it).

A handler that must call another service (the S3 store's STS, S3 itself) or do long work (parse and
plan a job template, check an environment template) must not do so inside its transaction: on
SQLite a write transaction is the database's one write lock, and on PostgreSQL any transaction holds
a pooled connection. Such a handler is *staged* (and the pipeline runs the whole request in a worker
thread, off the event loop): its entry names a `prepare`
function, `prepare(ctx, params) -> Callable[[], Any] | None`. The pipeline runs it first, after
authorization, in a read transaction of its own: it checks and reads what the call needs and returns
the call (or None when there is nothing to call). The pipeline runs that call with no transaction or
connection held and hands its result to the handler as `ctx.prepared`; the handler then runs as any
other, in its own transaction. What prepare read may have changed by then: the handler checks
again what it relies on.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from farmstead.protocol.model import operations


@dataclass(frozen=True)
class Handler:
    name: str
    fn: Callable[..., dict[str, Any] | None]
    write: bool
    access: str  # "ADMIN", "AUTHENTICATED", or a membership level: VIEWER | CONTRIBUTOR | MANAGER | OWNER
    #: A staged handler's first stage (see above), or None.
    prepare: Callable[..., Callable[[], Any] | None] | None = None


_handlers: dict[str, Handler] = {}


def operation(name: str, *, write: bool = False, access: str = "VIEWER",
              prepare: Callable[..., Callable[[], Any] | None] | None = None):
    if name not in operations():
        raise ValueError(f"{name} is no operation of the deadline model")

    def register(fn):
        expected = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        if fn.__name__ != expected:
            raise ValueError(f"handler for {name} must be named {expected}")
        if name in _handlers:
            raise ValueError(f"{name} registered twice")
        _handlers[name] = Handler(name, fn, write, access, prepare)
        return fn

    return register


def handlers() -> dict[str, Handler]:
    _load_all()
    return _handlers


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    import farmstead.api as package

    # Subpackages too (api/worker_protocol/): walk_packages imports each package to look inside it.
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        importlib.import_module(module.name)
    _loaded = True


def unimplemented() -> list[str]:
    return sorted(set(operations()) - set(handlers()))
