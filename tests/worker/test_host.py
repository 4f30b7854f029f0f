"""Host detection parsing and the capabilities a worker reports (pure parts of farmstead.worker.host)."""

import pytest

from farmstead.worker import gpus, host

MEMINFO = """MemTotal:       24684084 kB
MemFree:        23257104 kB
MemAvailable:   23863368 kB
"""


def detected(**changes):
    values = dict(vcpus=8, memory_mib=16000, os_family="linux", cpu_arch="x86_64", scratch_mib=500,
                  gpus=0, gpu_memory_mib=0)
    values.update(changes)
    return host.Detected(**values)


@pytest.mark.parametrize(("platform", "family"), [("linux", "linux"), ("win32", "windows"), ("darwin", "macos"),
                                                  ("freebsd13", "linux")])
def test_os_family_uses_openjd_lower_case_names(platform, family):
    assert host.os_family(platform) == family


@pytest.mark.parametrize(("machine", "arch"), [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("aarch64", "arm64"),
                                               ("arm64", "arm64")])
def test_cpu_arch_maps_machine_names_to_openjd_values(machine, arch):
    assert host.cpu_arch(machine) == arch


def test_memory_is_mem_total_in_mib():
    assert host.memory_mib_from_meminfo(MEMINFO) == 24105
    assert host.memory_mib_from_meminfo("nothing useful") is None


def test_detected_gpus_give_their_count_the_smallest_memory_and_each_model_once(tmp_path):
    cards = [gpus.Gpu(0, "NVIDIA RTX A6000", 49140), gpus.Gpu(1, "Tesla T4", 15360), gpus.Gpu(2, "Tesla T4", 15360)]
    found = host.detect(tmp_path, cards)
    assert (found.gpus, found.gpu_memory_mib, found.gpu_models) == (3, 15360, ("rtx-a6000", "t4"))
    assert (host.detect(tmp_path, []).gpus, host.detect(tmp_path, []).gpu_models) == (0, ())


def test_gpu_models_are_reported_as_an_attribute_unless_a_flag_names_it():
    caps = host.capabilities(detected(gpus=1, gpu_memory_mib=1, gpu_models=("l4",)), host.Custom())
    assert caps["attributes"][2:] == [{"name": "attr.gpu.model", "values": ["l4"]}]
    custom = host.custom_capabilities([], ["gpu.model=my-card"])
    caps = host.capabilities(detected(gpus=1, gpu_memory_mib=1, gpu_models=("l4",)), custom)
    assert caps["attributes"][2:] == [{"name": "attr.gpu.model", "values": ["my-card"]}]


def test_built_in_capabilities_come_first_with_openjd_names():
    caps = host.capabilities(detected(gpus=2, gpu_memory_mib=16384), host.Custom())
    assert caps["amounts"] == [
        {"name": "amount.worker.vcpu", "value": 8.0}, {"name": "amount.worker.memory", "value": 16000.0},
        {"name": "amount.worker.disk.scratch", "value": 500.0}, {"name": "amount.worker.gpu", "value": 2.0},
        {"name": "amount.worker.gpu.memory", "value": 16384.0}]
    assert caps["attributes"] == [{"name": "attr.worker.os.family", "values": ["linux"]},
                                  {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}]


def test_custom_flags_get_their_prefix_and_follow_the_built_ins():
    custom = host.custom_capabilities(["licenses=2", "vendor:amount.seats=1.5"], ["renderer=arnold, karma"])
    caps = host.capabilities(detected(), custom)
    assert caps["amounts"][5:] == [{"name": "amount.licenses", "value": 2.0},
                                   {"name": "vendor:amount.seats", "value": 1.5}]
    assert caps["attributes"][2:] == [{"name": "attr.renderer", "values": ["arnold", "karma"]}]


def test_flags_override_the_capabilities_file():
    text = '[amounts]\nlicenses = 4\n"amount.tokens" = 1\n[attributes]\nrenderer = "arnold"\nsite = ["a", "b"]\n'
    custom = host.custom_capabilities(["licenses=1"], [], text)
    assert custom.amounts == {"amount.licenses": 1.0, "amount.tokens": 1.0}
    assert custom.attributes == {"attr.renderer": ["arnold"], "attr.site": ["a", "b"]}


@pytest.mark.parametrize("flag", ["licenses", "licenses=lots", "licenses=-1", "worker.vcpu=4", "1bad=2",
                                  "amount.worker.gpu=1"])
def test_bad_amount_flags_are_refused(flag):
    with pytest.raises(host.CapabilityError):
        host.parse_amount_flag(flag)


@pytest.mark.parametrize("flag", ["renderer", "renderer=", "attr.worker.os.family=linux",
                                  "renderer=" + ",".join(f"v{i}" for i in range(11))])
def test_bad_attribute_flags_are_refused(flag):
    with pytest.raises(host.CapabilityError):
        host.parse_attribute_flag(flag)


def test_more_custom_capabilities_than_the_model_allows_are_refused():
    custom = host.Custom(amounts={f"amount.a{i}": 1.0 for i in range(13)})
    with pytest.raises(host.CapabilityError):
        host.capabilities(detected(), custom)


def test_ip_addresses_skip_loopback_and_explode_ipv6_in_upper_case():
    found = host.split_addresses(["127.0.0.1", "10.0.0.5", "10.0.0.5", "::1", "fe80::1%eth0", "fd00::2", "junk"])
    assert found == {"ipV4Addresses": ["10.0.0.5"],
                     "ipV6Addresses": ["FD00:0000:0000:0000:0000:0000:0000:0002"]}


def test_host_name_is_made_to_fit_the_model_pattern():
    assert host.host_name("render node #1") == "render-node--1"
