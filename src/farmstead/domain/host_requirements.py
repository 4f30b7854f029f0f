"""Whether a step's host requirements fit a fleet, or one worker (docs/fleets.md, "Matching steps to fleets").

Owns: the matching rules between a step's OpenJD hostRequirements (`{"amounts": [{name, min?,
max?}], "attributes": [{name, anyOf?|allOf?}]}`, as StepPlan carries them) and GetFleet's
`capabilities`, or the capabilities a worker reports through CreateWorker/UpdateWorker.
Must not: decide what an incompatible step becomes (NOT_COMPATIBLE, canceled siblings), count
limit usage, or touch storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def step_fits_fleet(host_requirements: Mapping[str, Any] | None, fleet_capabilities: Mapping[str, Any], *,
                    limit_amount_names: Iterable[str] = ()) -> bool:
    """True when every requirement is met by the fleet's declared capabilities.

    Args:
        limit_amount_names: `amountRequirementName`s of the limits associated with the queue.
            Requirements with these names are limit requirements, counted by the scheduler, not
            fleet capabilities, so a fleet need not declare them.
    """
    if not host_requirements:
        return True
    ranges = {amount["name"].lower(): (amount.get("min"), amount.get("max"))
              for amount in fleet_capabilities.get("amounts") or ()}
    limits = {name.lower() for name in limit_amount_names}
    for requirement in host_requirements.get("amounts") or ():
        name = requirement["name"].lower()
        if name in limits:
            continue
        # An undeclared capability is not "unbounded": the fleet promises nothing about it.
        if name not in ranges or not _fleet_range_fits(requirement, *ranges[name]):
            return False
    return _attributes_fit(host_requirements, fleet_capabilities)


def worker_satisfies(host_requirements: Mapping[str, Any] | None, worker_capabilities: Mapping[str, Any], *,
                     limit_amount_names: Iterable[str] = ()) -> bool:
    """True when one worker's reported amounts lie within each requirement's [min, max] and its
    attributes match; `limit_amount_names` as for step_fits_fleet."""
    if not host_requirements:
        return True
    values = {amount["name"].lower(): amount["value"] for amount in worker_capabilities.get("amounts") or ()}
    limits = {name.lower() for name in limit_amount_names}
    for requirement in host_requirements.get("amounts") or ():
        name = requirement["name"].lower()
        if name in limits:
            continue
        if name not in values or not _value_fits(requirement, values[name]):
            return False
    return _attributes_fit(host_requirements, worker_capabilities)


def _fleet_range_fits(requirement: dict[str, Any], fleet_min: float | None, fleet_max: float | None) -> bool:
    """The fleet's whole range must lie inside the step's, as in AWS's documented examples: a fleet
    without a maximum fails any step maximum, one without a minimum any step minimum."""
    step_min, step_max = requirement.get("min"), requirement.get("max")
    if step_min is not None and (fleet_min is None or fleet_min < step_min):
        return False
    if step_max is not None and (fleet_max is None or fleet_max > step_max):
        return False
    return True


def _value_fits(requirement: dict[str, Any], value: float) -> bool:
    step_min, step_max = requirement.get("min"), requirement.get("max")
    return (step_min is None or value >= step_min) and (step_max is None or value <= step_max)


def _attributes_fit(host_requirements: Mapping[str, Any], capabilities: Mapping[str, Any]) -> bool:
    # OpenJD compares attribute names and values case-insensitively.
    declared = {attribute["name"].lower(): {value.lower() for value in attribute.get("values") or ()}
                for attribute in capabilities.get("attributes") or ()}
    for requirement in host_requirements.get("attributes") or ():
        values = declared.get(requirement["name"].lower())
        if values is None:
            return False
        any_of, all_of = requirement.get("anyOf"), requirement.get("allOf")
        if any_of is not None and not values & {value.lower() for value in any_of}:
            return False
        if all_of is not None and not {value.lower() for value in all_of} <= values:
            return False
    return True
