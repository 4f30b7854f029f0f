"""The `logs` operation registry: `@logs_operation("PutLogEvents", write=True)` registers a handler.

Separate from `api.registry`, which is keyed by (and checked against) the deadline model. A handler
is named as the snake_case operation, receives `(ctx: LogsContext, params)` and returns the output
dict exactly in the model's output shape (`{}` for empty outputs). Authorization is the handler's
job (logs/access.py): who may do what depends on the log group named in the input.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore import xform_name

from farmstead.protocol.json_rpc import load_service

SERVICE_NAME = "logs"
_MODULES = ("farmstead.logs.groups", "farmstead.logs.events")


@dataclass(frozen=True)
class LogsHandler:
    name: str
    fn: Callable[..., dict[str, Any]]
    write: bool


_handlers: dict[str, LogsHandler] = {}


def logs_operation(name: str, *, write: bool = False):
    if name not in load_service(SERVICE_NAME).operation_names:
        raise ValueError(f"{name} is no operation of the logs model")

    def register(fn):
        if fn.__name__ != xform_name(name):
            raise ValueError(f"handler for {name} must be named {xform_name(name)}")
        if name in _handlers:
            raise ValueError(f"{name} registered twice")
        _handlers[name] = LogsHandler(name, fn, write)
        return fn

    return register


def handlers() -> dict[str, LogsHandler]:
    for module in _MODULES:
        importlib.import_module(module)
    return _handlers
