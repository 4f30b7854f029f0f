"""Fleet capabilities from workerCapabilities (docs/fleets.md), and the rules on workerCapabilities."""

from farmstead.domain.capabilities import capability_problems, fleet_capabilities

MINIMAL = {"vCpuCount": {"min": 2}, "memoryMiB": {"min": 1024, "max": 8192},
           "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}


def test_minimal_capabilities_map_to_openjd_names_with_lower_case_os():
    assert fleet_capabilities(MINIMAL) == {
        "amounts": [{"name": "amount.worker.vcpu", "min": 2.0},
                    {"name": "amount.worker.memory", "min": 1024.0, "max": 8192.0}],
        "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                       {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}],
    }


def test_accelerators_and_custom_capabilities_follow_the_built_ins_in_order():
    capabilities = fleet_capabilities({
        **MINIMAL, "osFamily": "WINDOWS", "cpuArchitectureType": "arm64",
        "acceleratorCount": {"min": 1, "max": 2}, "acceleratorTotalMemoryMiB": {"min": 0},
        "customAmounts": [{"name": "amount.licenses", "min": 1.5, "max": 4}],
        "customAttributes": [{"name": "attr.renderer", "values": ["arnold", "vray"]}],
    })
    assert [a["name"] for a in capabilities["amounts"]] == [
        "amount.worker.vcpu", "amount.worker.memory", "amount.worker.gpu", "amount.worker.gpu.memory",
        "amount.licenses"]
    assert capabilities["amounts"][2] == {"name": "amount.worker.gpu", "min": 1.0, "max": 2.0}
    assert capabilities["amounts"][4] == {"name": "amount.licenses", "min": 1.5, "max": 4.0}
    assert capabilities["attributes"] == [
        {"name": "attr.worker.os.family", "values": ["windows"]},
        {"name": "attr.worker.cpu.arch", "values": ["arm64"]},
        {"name": "attr.renderer", "values": ["arnold", "vray"]}]


def test_macos_family_is_lower_case_too():
    attributes = fleet_capabilities({**MINIMAL, "osFamily": "MACOS"})["attributes"]
    assert attributes[0] == {"name": "attr.worker.os.family", "values": ["macos"]}


def test_valid_capabilities_have_no_problems():
    assert capability_problems(MINIMAL, "wc") == []
    assert capability_problems({**MINIMAL, "vCpuCount": {"min": 4, "max": 4}}, "wc") == []


def test_inverted_ranges_are_named_by_their_max():
    problems = capability_problems({
        **MINIMAL, "vCpuCount": {"min": 8, "max": 4}, "acceleratorCount": {"min": 2, "max": 1},
        "customAmounts": [{"name": "amount.a", "min": 3, "max": 1}]}, "wc")
    assert [name for name, _ in problems] == ["wc.vCpuCount.max", "wc.acceleratorCount.max", "wc.customAmounts[0].max"]


def test_reserved_and_repeated_custom_names_are_problems():
    problems = capability_problems({
        **MINIMAL,
        "customAmounts": [{"name": "amount.worker.vcpu", "min": 1}, {"name": "amount.a", "min": 1},
                          {"name": "amount.A", "min": 1}],
        "customAttributes": [{"name": "attr.worker.os.family", "values": ["x"]}]}, "wc")
    assert [name for name, _ in problems] == ["wc.customAmounts[0].name", "wc.customAmounts[2].name",
                                              "wc.customAttributes[0].name"]


def test_vendor_prefixed_names_are_not_reserved():
    assert capability_problems({**MINIMAL, "customAmounts": [{"name": "acme:amount.worker.x", "min": 1}]}, "wc") == []
