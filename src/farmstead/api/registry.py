"""The operation registry: `@operation("GetJob", ...)` puts a handler in the table the pipeline dispatches on.

Each entry says whether the handler writes (the pipeline then opens a write transaction and records
the idempotency token) and which access it needs (authorization.py interprets it).
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


_handlers: dict[str, Handler] = {}


def operation(name: str, *, write: bool = False, access: str = "VIEWER"):
    if name not in operations():
        raise ValueError(f"{name} is no operation of the deadline model")

    def register(fn):
        expected = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        if fn.__name__ != expected:
            raise ValueError(f"handler for {name} must be named {expected}")
        if name in _handlers:
            raise ValueError(f"{name} registered twice")
        _handlers[name] = Handler(name, fn, write, access)
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

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"farmstead.api.{module.name}")
    _loaded = True


def unimplemented() -> list[str]:
    return sorted(set(operations()) - set(handlers()))
