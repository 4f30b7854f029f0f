"""The `deadline` service model as shipped with the installed botocore, loaded once.

Owns: loading the service model, its paginators and waiters, and an index of operations.
Must not: know about HTTP frameworks, SQL or business rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "deadline"
API_VERSION = "2023-10-12"


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME, API_VERSION)


@functools.cache
def paginators() -> dict[str, dict]:
    loader = botocore.session.get_session().get_component("data_loader")
    return loader.load_service_model(SERVICE_NAME, "paginators-1", API_VERSION)["pagination"]


@functools.cache
def waiters() -> dict[str, dict]:
    loader = botocore.session.get_session().get_component("data_loader")
    return loader.load_service_model(SERVICE_NAME, "waiters-2", API_VERSION)["waiters"]


@dataclass(frozen=True)
class OperationInfo:
    """What the edge needs of one operation, precomputed so the hot path does no model walking."""

    name: str
    model: OperationModel
    method: str
    uri_template: str
    success_status: int
    #: A worker's call (the model sends it to the `scheduling.` endpoint), not a user's (`management.`).
    worker_call: bool = False


@functools.cache
def operations() -> dict[str, OperationInfo]:
    model = service_model()
    index: dict[str, OperationInfo] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        index[name] = OperationInfo(
            name=name,
            model=op,
            method=op.http["method"],
            uri_template=op.http["requestUri"],
            success_status=int(op.http.get("responseCode", 200)),
            worker_call=(op.endpoint or {}).get("hostPrefix", "").startswith("scheduling."),
        )
    return index
