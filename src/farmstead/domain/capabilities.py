"""Fleet capabilities: what GetFleet reports and job matching reads (docs/fleets.md, Capabilities).

Owns: turning a customer-managed fleet's `workerCapabilities` into the `capabilities {amounts,
attributes}` shape under Open Job Description capability names, and the rules on
`workerCapabilities` that the model's shapes cannot state (min <= max, reserved and repeated names).
Must not: touch storage or HTTP; matching steps against these capabilities belongs to scheduling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import farmstead.protocol.shapes as shapes

# OpenJD reserves these prefixes for the capabilities the service fills in itself.
RESERVED_AMOUNT_PREFIX = "amount.worker."
RESERVED_ATTRIBUTE_PREFIX = "attr.worker."

# workerCapabilities member -> OpenJD amount capability, in the order GetFleet lists them.
_BUILT_IN_AMOUNTS = (
    ("vCpuCount", "amount.worker.vcpu"),
    ("memoryMiB", "amount.worker.memory"),
    ("acceleratorCount", "amount.worker.gpu"),
    ("acceleratorTotalMemoryMiB", "amount.worker.gpu.memory"),
)
OS_FAMILY_ATTRIBUTE = "attr.worker.os.family"
CPU_ARCH_ATTRIBUTE = "attr.worker.cpu.arch"


def fleet_capabilities(worker_capabilities: Mapping[str, Any]) -> shapes.FleetCapabilities:
    """`{amounts: [{name, min, max?}], attributes: [{name, values}]}` for GetFleet.

    Only ranges the fleet declares appear: a fleet without accelerators declares no
    `amount.worker.gpu`, so a step that asks for a GPU finds nothing to match.
    """
    amounts = [_amount(name, worker_capabilities[member])
               for member, name in _BUILT_IN_AMOUNTS if worker_capabilities.get(member) is not None]
    amounts += [_amount(c["name"], c) for c in worker_capabilities.get("customAmounts") or []]
    attributes: list[shapes.FleetAttributeCapability] = [
        # OpenJD writes OS families in lower case (linux, windows, macos).
        {"name": OS_FAMILY_ATTRIBUTE, "values": [worker_capabilities["osFamily"].lower()]},
        {"name": CPU_ARCH_ATTRIBUTE, "values": [worker_capabilities["cpuArchitectureType"]]},
    ]
    attributes += [{"name": a["name"], "values": list(a["values"])}
                   for a in worker_capabilities.get("customAttributes") or []]
    return {"amounts": amounts, "attributes": attributes}


def _amount(name: str, bounds: Mapping[str, Any]) -> shapes.FleetAmountCapability:
    amount: shapes.FleetAmountCapability = {"name": name, "min": float(bounds["min"])}
    if bounds.get("max") is not None:
        amount["max"] = float(bounds["max"])
    return amount


def capability_problems(worker_capabilities: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """(field name, message) for every rule the input breaks; `path` prefixes the field names."""
    problems: list[tuple[str, str]] = []
    for member, _ in _BUILT_IN_AMOUNTS:
        bounds = worker_capabilities.get(member)
        if bounds is not None and _inverted(bounds):
            problems.append((f"{path}.{member}.max", "max must be greater than or equal to min"))
    problems += _custom_problems(worker_capabilities.get("customAmounts") or [], f"{path}.customAmounts",
                                 RESERVED_AMOUNT_PREFIX, ranged=True)
    problems += _custom_problems(worker_capabilities.get("customAttributes") or [],
                                 f"{path}.customAttributes", RESERVED_ATTRIBUTE_PREFIX, ranged=False)
    return problems


def _inverted(bounds: dict[str, Any]) -> bool:
    return bounds.get("max") is not None and bounds["max"] < bounds["min"]


def _custom_problems(items: list[dict[str, Any]], path: str, reserved: str, ranged: bool) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = item["name"]
        # A vendor prefix ("acme:amount.x") never collides with the reserved built-in names.
        if name.startswith(reserved):
            problems.append((f"{path}[{i}].name", f"names starting with {reserved} are reserved for built-in "
                                                  "capabilities"))
        if name.lower() in seen:
            problems.append((f"{path}[{i}].name", f"{name} is declared more than once"))
        seen.add(name.lower())
        if ranged and _inverted(item):
            problems.append((f"{path}[{i}].max", "max must be greater than or equal to min"))
    return problems
