"""The handler registry: every operation of the model has exactly one handler, named after it, and the
worker agent's operations (the model's `scheduling.` host prefix) live together in api/worker_protocol/."""

from __future__ import annotations

from botocore import xform_name

from farmstead.api import registry
from farmstead.protocol.model import operations


def _host_prefix(name: str) -> str | None:
    endpoint = operations()[name].model.endpoint or {}
    return endpoint.get("hostPrefix")


def test_every_operation_of_the_model_has_a_handler():
    assert registry.unimplemented() == []
    assert sorted(registry.handlers()) == sorted(operations())


def test_each_handler_is_named_after_its_operation():
    misnamed = {name: handler.fn.__name__ for name, handler in registry.handlers().items()
                if handler.fn.__name__ != xform_name(name)}
    assert misnamed == {}


def test_the_worker_protocol_package_holds_the_scheduling_operations_and_only_them():
    scheduling = {name for name in operations() if _host_prefix(name) == "scheduling."}
    assert scheduling == {"CreateWorker", "UpdateWorker", "UpdateWorkerSchedule", "BatchGetJobEntity",
                          "AssumeFleetRoleForWorker", "AssumeQueueRoleForWorker"}
    in_package = {name for name, handler in registry.handlers().items()
                  if handler.fn.__module__.startswith("farmstead.api.worker_protocol.")}
    assert in_package == scheduling
