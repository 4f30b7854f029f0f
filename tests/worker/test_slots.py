"""How many slots a host runs and what each reports of it (farmstead.worker.slots)."""

import pytest

from farmstead.worker import slots
from farmstead.worker.gpus import Gpu
from farmstead.worker.host import Detected

HOST = Detected(vcpus=10, memory_mib=32001, os_family="linux", cpu_arch="x86_64", scratch_mib=1003, gpus=0,
                gpu_memory_mib=0)


def cards(*memories: int, name: str = "NVIDIA L4") -> list[Gpu]:
    return [Gpu(index, name, memory) for index, memory in enumerate(memories)]


def test_slots_split_vcpus_memory_and_disk_with_the_remainder_on_the_first_slots():
    shares = [slots.share(HOST, [], slots.Slot(number, 4)) for number in range(1, 5)]
    assert [share.vcpus for share in shares] == [3, 3, 2, 2]
    assert [share.memory_mib for share in shares] == [8001, 8000, 8000, 8000]
    assert [share.scratch_mib for share in shares] == [251, 251, 251, 250]
    assert sum(share.memory_mib for share in shares) == HOST.memory_mib


def test_more_slots_than_vcpus_still_report_one_vcpu_each():
    assert [slots.share(HOST, [], slots.Slot(number, 16)).vcpus for number in (1, 16)] == [1, 1]


def test_each_slot_gets_whole_cards_of_its_own_and_reports_their_count_memory_and_model():
    host_cards = cards(24576, 24576, 16384, 24576)
    first, second = (slots.share(HOST, host_cards, slots.Slot(number, 2)) for number in (1, 2))
    assert [gpu.index for gpu in slots.gpus_of(host_cards, slots.Slot(1, 2))] == [0, 1]
    assert [gpu.index for gpu in slots.gpus_of(host_cards, slots.Slot(2, 2))] == [2, 3]
    assert (first.gpus, first.gpu_memory_mib, first.gpu_models) == (2, 24576, ("l4",))
    assert (second.gpus, second.gpu_memory_mib) == (2, 16384)  # the smaller card is what a job can count on


def test_cards_that_do_not_divide_evenly_go_to_the_first_slots_and_no_card_is_in_two():
    host_cards = cards(1, 1, 1)
    taken = [[gpu.index for gpu in slots.gpus_of(host_cards, slots.Slot(number, 4))] for number in range(1, 5)]
    assert taken == [[0], [1], [2], []]


def test_a_slot_without_a_card_of_its_own_reports_its_share_of_the_cards_for_steps_that_share_one():
    # Below 1: only a step asking for a fraction of a GPU matches it (docs/fleets.md "Sharing a GPU").
    last = slots.share(HOST, cards(24576, 16384, 24576), slots.Slot(4, 4))
    assert (last.gpus, last.gpu_memory_mib, last.gpu_models) == (0.75, 16384, ("l4",))
    assert slots.share(HOST, cards(24576), slots.Slot(2, 2)).gpus == 0.5
    assert slots.share(HOST, cards(24576), slots.Slot(1, 2)).gpus == 1  # its own card, whole
    assert slots.share(HOST, [], slots.Slot(2, 2)).gpus == 0  # no GPUs on the host: none to share


@pytest.mark.parametrize(("vcpus", "memory_gib", "gpus", "count"), [
    (64, 256, 0, 8), (64, 64, 0, 4), (4, 8, 0, 1), (64, 256, 4, 4), (2, 2, 0, 1)])
def test_auto_runs_one_slot_per_gpu_else_per_eight_vcpus_and_16_gib(vcpus, memory_gib, gpus, count):
    assert slots.auto_count(vcpus, memory_gib * 1024, gpus) == count


def test_slot_values_are_checked():
    assert slots.parse_slots("4") == 4
    assert slots.parse_slots("AUTO") is None
    assert slots.parse_slot("2/4") == slots.Slot(2, 4)
    assert slots.Slot(2, 4).label == "slot 2/4"
    for bad in ("0", "-1", "many", "257"):
        with pytest.raises(slots.SlotError):
            slots.parse_slots(bad)
    for bad in ("5/4", "0/4", "2", "a/b"):
        with pytest.raises(slots.SlotError):
            slots.parse_slot(bad)
