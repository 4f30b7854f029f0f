"""Host requirements against fleet and worker capabilities (docs/fleets.md, "Matching steps to fleets")."""

from __future__ import annotations

import pytest

from farmstead.domain.capabilities import fleet_capabilities
from farmstead.domain.host_requirements import step_fits_fleet, worker_satisfies
from farmstead.domain.job_templates import plan_job

# The documented example step: 4 to 8 vCPUs on Linux.
STEP = {"amounts": [{"name": "amount.worker.vcpu", "min": 4, "max": 8}],
        "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]}]}


def fleet(amounts=(), attributes=()):
    return {"amounts": list(amounts), "attributes": list(attributes)}


def vcpu(**bounds):
    return {"name": "amount.worker.vcpu", **bounds}


LINUX = {"name": "attr.worker.os.family", "values": ["linux"]}


@pytest.mark.parametrize("worker_capabilities, fits", [
    # The documented examples, as GetFleet reports the fleets' workerCapabilities.
    ({"vCpuCount": {"min": 4, "max": 8}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
      "cpuArchitectureType": "x86_64"}, True),
    ({"vCpuCount": {"min": 4}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
      "cpuArchitectureType": "x86_64"}, False),   # no maximum: it exceeds the step's maximum
    ({"vCpuCount": {"min": 4, "max": 8}, "memoryMiB": {"min": 1024}, "osFamily": "WINDOWS",
      "cpuArchitectureType": "x86_64"}, False),   # operating system mismatch
], ids=["fits", "no-fleet-maximum", "windows"])
def test_documented_fleet_examples(worker_capabilities, fits):
    assert step_fits_fleet(STEP, fleet_capabilities(worker_capabilities)) is fits


@pytest.mark.parametrize("requirement, capability, fits", [
    (vcpu(min=4, max=8), vcpu(min=4, max=8), True),
    (vcpu(min=4, max=8), vcpu(min=4), False),          # documented: no maximum exceeds the maximum
    (vcpu(min=4, max=8), vcpu(max=8), False),          # documented: no minimum
    (vcpu(min=4, max=8), vcpu(min=5, max=6), True),    # the fleet's range lies inside the step's
    (vcpu(min=4, max=8), vcpu(min=2, max=8), False),   # some workers have fewer than the minimum
    (vcpu(min=4, max=8), vcpu(min=4, max=16), False),  # some workers have more than the maximum
    (vcpu(min=4), vcpu(min=8), True),                  # no step maximum: an open fleet range is fine
    (vcpu(min=8), vcpu(min=4, max=16), False),         # the step exceeds the fleet's minimum
    (vcpu(max=8), vcpu(min=1, max=8), True),
    (vcpu(max=8), vcpu(min=1), False),
    ({"name": "AMOUNT.Worker.VCPU", "min": 4}, vcpu(min=4), True),   # names compare case-insensitively
    ({"name": "amount.worker.gpu", "min": 1}, vcpu(min=4), False),   # the fleet doesn't declare GPUs
    ({"name": "amount.worker.gpu", "max": 0}, vcpu(min=4), False),   # nor promises it has none
])
def test_amount_rule_requires_the_fleet_range_inside_the_step_range(requirement, capability, fits):
    assert step_fits_fleet({"amounts": [requirement]}, fleet([capability])) is fits


@pytest.mark.parametrize("requirement, values, fits", [
    ({"anyOf": ["linux", "macos"]}, ["linux"], True),
    ({"anyOf": ["windows"]}, ["linux"], False),
    ({"anyOf": ["Linux"]}, ["LINUX"], True),                   # values compare case-insensitively
    ({"allOf": ["arnold", "vray"]}, ["VRay", "arnold", "redshift"], True),
    ({"allOf": ["arnold", "vray"]}, ["arnold"], False),
])
def test_attribute_rule_is_any_of_or_all_of_without_case(requirement, values, fits):
    step = {"attributes": [{"name": "attr.render", **requirement}]}
    assert step_fits_fleet(step, fleet(attributes=[{"name": "ATTR.Render", "values": values}])) is fits


def test_an_attribute_the_fleet_does_not_declare_is_incompatible():
    assert not step_fits_fleet({"attributes": [{"name": "attr.site", "anyOf": ["paris"]}]}, fleet(attributes=[LINUX]))


def test_a_limit_requirement_needs_no_fleet_capability():
    step = {"amounts": [vcpu(min=4), {"name": "amount.vray", "min": 1}]}
    assert not step_fits_fleet(step, fleet([vcpu(min=4)]))
    assert step_fits_fleet(step, fleet([vcpu(min=4)]), limit_amount_names=["Amount.VRay"])


@pytest.mark.parametrize("host_requirements", [None, {}, {"amounts": [], "attributes": []}])
def test_a_step_without_requirements_fits_any_fleet_and_worker(host_requirements):
    assert step_fits_fleet(host_requirements, fleet())
    assert worker_satisfies(host_requirements, {"amounts": [], "attributes": []})


def test_a_step_plans_host_requirements_in_the_shape_matching_reads():
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "J", "steps": [
        {"name": "R", "script": {"actions": {"onRun": {"command": "true"}}}, "hostRequirements": STEP}]}
    planned = plan_job(template, {}).steps[0].host_requirements
    assert step_fits_fleet(planned, fleet([vcpu(min=4, max=8)], [LINUX]))
    assert not step_fits_fleet(planned, fleet([vcpu(min=4)], [LINUX]))


WORKER = {"amounts": [{"name": "amount.worker.vcpu", "value": 6}, {"name": "amount.worker.memory", "value": 16384}],
          "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                         {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}]}


@pytest.mark.parametrize("requirement, satisfied", [
    (vcpu(min=4, max=8), True),
    (vcpu(min=6, max=6), True),          # both bounds are inclusive
    (vcpu(min=8), False),
    (vcpu(max=4), False),
    ({"name": "AMOUNT.WORKER.MEMORY", "min": 8192}, True),
    ({"name": "amount.worker.gpu", "min": 1}, False),   # not reported
])
def test_worker_amount_lies_within_min_and_max(requirement, satisfied):
    assert worker_satisfies({"amounts": [requirement]}, WORKER) is satisfied


def test_worker_attributes_match_like_fleet_attributes():
    assert worker_satisfies(STEP, WORKER)
    assert not worker_satisfies({"attributes": [{"name": "attr.worker.cpu.arch", "anyOf": ["arm64"]}]}, WORKER)
    assert worker_satisfies({"attributes": [{"name": "attr.worker.cpu.arch", "allOf": ["X86_64"]}]}, WORKER)


def test_a_worker_needs_no_capability_for_a_limit_requirement():
    step = {"amounts": [{"name": "amount.nuke", "min": 1}]}
    assert not worker_satisfies(step, WORKER)
    assert worker_satisfies(step, WORKER, limit_amount_names=["amount.nuke"])
