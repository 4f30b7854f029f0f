"""GPU detection through NVML or nvidia-smi, GPU model names as capability values, the variables
that pin a session to its cards, and which cards a new session gets (farmstead.worker.gpus)."""

import importlib.util
import re
from pathlib import Path

import pytest

from farmstead.worker import gpus

# The test double, loaded from its file: it must not become `pynvml` for everything else in this process.
_spec = importlib.util.spec_from_file_location("fake_nvml", Path(__file__).parents[1] / "support" / "fake_nvml"
                                               / "pynvml.py")
assert _spec is not None and _spec.loader is not None
fake_nvml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_nvml)

SMI = """0, NVIDIA RTX A6000, 49140, GPU-aaaa
1, NVIDIA RTX A6000, 49140, GPU-bbbb

2, Tesla T4, 15360, GPU-cccc
"""


def test_nvml_lists_each_card_with_its_index_name_memory_and_uuid(monkeypatch):
    monkeypatch.setenv("FAKE_NVML_GPUS", '[["NVIDIA L40S", 46068], ["Tesla T4", 15360]]')
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert gpus.detect(fake_nvml) == [gpus.Gpu(0, "NVIDIA L40S", 46068, "GPU-fake-0000"),
                                      gpus.Gpu(1, "Tesla T4", 15360, "GPU-fake-0001")]


def test_a_worker_started_with_cuda_visible_devices_shares_out_only_those_cards(monkeypatch):
    monkeypatch.setenv("FAKE_NVML_GPUS", '[["NVIDIA L4", 1], ["NVIDIA L4", 1], ["NVIDIA L4", 1]]')
    assert [gpu.index for gpu in gpus.detect(fake_nvml, visible="2,GPU-fake-0000")] == [2, 0]
    assert gpus.detect(fake_nvml, visible="") == []
    assert len(gpus.detect(fake_nvml, visible="MIG-1234")) == 3  # not readable here: every card


def test_nvml_that_cannot_start_falls_back_to_nvidia_smi_and_then_to_no_gpus(monkeypatch):
    class NoDriver:
        def nvmlInit(self):
            raise RuntimeError("NVML Shared Library Not Found")

    monkeypatch.setattr(gpus.shutil, "which", lambda name: None)
    assert gpus.detect(NoDriver(), visible=None) == []


def test_nvidia_smi_output_gives_cards_in_index_order_and_skips_what_it_cannot_read():
    found = gpus.from_nvidia_smi(SMI + "[N/A], broken, x\n")
    assert [(gpu.index, gpu.name, gpu.memory_mib, gpu.uuid) for gpu in found] == [
        (0, "NVIDIA RTX A6000", 49140, "GPU-aaaa"), (1, "NVIDIA RTX A6000", 49140, "GPU-bbbb"),
        (2, "Tesla T4", 15360, "GPU-cccc")]
    assert gpus.from_nvidia_smi("") == []


@pytest.mark.parametrize(("name", "value"), [
    ("NVIDIA L40S", "l40s"), ("Tesla T4", "t4"), ("NVIDIA A10G", "a10g"), ("NVIDIA L4", "l4"),
    ("NVIDIA GeForce RTX 4090", "geforce-rtx-4090"), ("NVIDIA RTX A6000", "rtx-a6000"), ("NVIDIA", "nvidia"),
    ("3090 Ti", "gpu-3090-ti")])
def test_gpu_model_values_drop_the_maker_and_use_deadline_clouds_accelerator_names(name, value):
    assert gpus.model_value(name) == value
    assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_\-]{0,99}", value)  # the model's AttributeCapabilityValue


def test_a_session_sees_only_its_cards_in_nvml_order():
    cards = [gpus.Gpu(2, "NVIDIA L4", 1), gpus.Gpu(3, "NVIDIA L4", 1)]
    assert gpus.pinning(cards, host_has_gpus=True) == {
        "CUDA_VISIBLE_DEVICES": "2,3", "GPU_DEVICE_ORDINAL": "2,3", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


def test_a_session_without_cards_on_a_gpu_host_sees_none_and_a_host_without_gpus_sets_nothing():
    assert gpus.pinning([], host_has_gpus=True)["CUDA_VISIBLE_DEVICES"] == ""
    assert gpus.pinning([], host_has_gpus=False) == {}


@pytest.mark.parametrize(("gpu_min", "request_"), [
    (None, gpus.Request(cards=2)), (0.5, gpus.Request(share=0.5)), (0.25, gpus.Request(share=0.25)),
    (1, gpus.Request(cards=1)), (2.0, gpus.Request(cards=2)), (1.5, gpus.Request(cards=2)), (0, gpus.Request())])
def test_a_fraction_below_one_gpu_asks_to_share_a_card_and_anything_else_for_whole_cards(gpu_min, request_):
    assert gpus.request_of(gpu_min, default_cards=2) == request_


def test_whole_cards_go_only_to_a_session_when_nobody_holds_any_of_them():
    assert gpus.allocate([0, 1, 2], {}, gpus.Request(cards=2)) == (0, 1)
    assert gpus.allocate([2, 0, 1], {2: 0.5}, gpus.Request(cards=2)) == (0, 1)  # a shared card is not free
    assert gpus.allocate([0, 1], {0: 0.25}, gpus.Request(cards=2)) is None  # none fit now
    assert gpus.allocate([0], {0: 1.0}, gpus.Request(cards=1)) is None
    assert gpus.allocate([0], {0: 1.0}, gpus.Request()) == ()  # asks for none: nothing to wait for


def test_fractions_share_a_card_up_to_one_whole_and_never_a_card_held_whole():
    assert gpus.allocate([0], {}, gpus.Request(share=0.5)) == (0,)
    assert gpus.allocate([0], {0: 0.5}, gpus.Request(share=0.5)) == (0,)  # two halves: one card
    assert gpus.allocate([0], {0: 1.0}, gpus.Request(share=0.5)) is None  # full: none fit now
    assert gpus.allocate([0], {0: 0.1 + 0.2}, gpus.Request(share=0.7)) == (0,)  # 0.1 + 0.2 + 0.7 is exactly full
    assert gpus.allocate([0, 1], {0: 1.0}, gpus.Request(share=0.5)) == (1,)


def test_a_share_goes_to_the_fullest_card_it_fits_on_so_whole_cards_stay_free():
    assert gpus.allocate([0, 1, 2], {1: 0.5}, gpus.Request(share=0.25)) == (1,)
    assert gpus.allocate([0, 1, 2], {1: 0.75, 2: 0.5}, gpus.Request(share=0.5)) == (2,)
    assert gpus.allocate([2, 0, 1], {}, gpus.Request(share=0.5)) == (2,)  # a tie: the first preferred


@pytest.mark.parametrize(("template", "expected"), [
    ({}, None),
    ({"hostRequirements": {"amounts": [{"name": "amount.worker.vcpu", "min": 4}]}}, None),
    ({"hostRequirements": {"amounts": [{"name": "amount.worker.gpu", "min": 0.5}]}}, 0.5),
    ({"hostRequirements": {"amounts": [{"name": "Amount.Worker.GPU", "min": 2}]}}, 2.0),
    ({"hostRequirements": {"amounts": [{"name": "amount.worker.gpu", "max": 1}]}}, None),
    ({"hostRequirements": {"amounts": [{"name": "amount.worker.gpu", "min": "{{Param.Gpus}}"}]}}, None),
])
def test_a_steps_gpu_minimum_is_read_from_its_host_requirements(template, expected):
    assert gpus.gpu_min_of(template) == expected
