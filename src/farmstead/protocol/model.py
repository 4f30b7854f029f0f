"""The `deadline` service model as shipped with the installed botocore, loaded once.

Owns: loading the service model, and an index of operations.
Must not: know about HTTP frameworks, SQL or business rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, StructureShape

SERVICE_NAME = "deadline"
API_VERSION = "2023-10-12"


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME, API_VERSION)


@dataclass(frozen=True)
class OperationInfo:
    """What the edge needs of one operation, precomputed so the hot path does no model walking."""

    name: str
    model: OperationModel
    #: The model's input shape (every deadline operation has one; see operations()).
    input_shape: StructureShape
    output_shape: StructureShape | None
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
        if op.input_shape is None:  # parsing and validation need one: a model without it is not this API
            raise ValueError(f"{SERVICE_NAME} operation {name} has no input shape")
        index[name] = OperationInfo(
            name=name,
            model=op,
            input_shape=op.input_shape,
            output_shape=op.output_shape,
            method=op.http["method"],
            uri_template=op.http["requestUri"],
            success_status=int(op.http.get("responseCode", 200)),
            worker_call=_host_prefix(op).startswith("scheduling."),
        )
    return index


def _host_prefix(op: OperationModel) -> str:
    # The model's `endpoint` is {"hostPrefix": "scheduling."}; botocore-stubs types it as a str.
    endpoint: Any = op.endpoint
    return str((endpoint or {}).get("hostPrefix", ""))
