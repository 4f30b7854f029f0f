"""Several workers on one host: how many (`--slots N|auto`), and each slot's share of the host.

Each slot is a worker of its own as the API sees it (docs/fleets.md, "Several sessions per host"):
its own workerId, work dir and process, reporting its share of the host's amounts, and running its
sessions on its own GPUs. This module owns the arithmetic, pure: the `--slots` and `--slot K/N`
values, `auto`'s count, and slot K's share (vCPUs, memory, scratch disk split evenly with the
remainder going to the first slots; GPUs as whole cards, never one card in two slots, and a slot left
without a card of its own on a GPU host reports a fraction of a card, so it runs the steps that opt in
to sharing one: docs/fleets.md "Sharing a GPU").
Must not: start processes (slot_processes.py) or detect anything (host.py, gpus.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from farmstead.worker.gpus import Gpu
from farmstead.worker.host import Detected, models

#: `--slots auto` on a host without GPUs: one slot per this many vCPUs and this much memory, whichever
#: gives fewer (a light task does not need a 64-core box; a heavy render still gets 8 cores and 16 GiB).
AUTO_VCPUS_PER_SLOT = 8
AUTO_MEMORY_MIB_PER_SLOT = 16 * 1024
MAX_SLOTS = 256


class SlotError(ValueError):
    """A `--slots` or `--slot` value that can't be used."""


@dataclass(frozen=True)
class Slot:
    """Slot `number` (1-based) of `count` on this host."""

    number: int
    count: int

    @property
    def label(self) -> str:
        return f"slot {self.number}/{self.count}"


def parse_slots(value: str) -> int | None:
    """`--slots`: a count of 1 to MAX_SLOTS, or None for `auto`."""
    text = value.strip().lower()
    if text == "auto":
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SLOTS:
        raise SlotError(f"--slots {value!r}: expected a number from 1 to {MAX_SLOTS}, or auto")
    return int(text)


def parse_slot(value: str) -> Slot:
    """`--slot K/N`: run only slot K of N (what each process of `--slots N` runs)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= MAX_SLOTS:
        raise SlotError(f"--slot {value!r}: expected K/N with 1 <= K <= N <= {MAX_SLOTS}, e.g. 2/4")
    return Slot(int(match.group(1)), int(match.group(2)))


def auto_count(vcpus: int, memory_mib: int, gpus: int) -> int:
    """`--slots auto`: one slot per GPU on a GPU host (GPU renderers run one task per card), else one
    per AUTO_VCPUS_PER_SLOT vCPUs and AUTO_MEMORY_MIB_PER_SLOT of memory, whichever allows fewer."""
    if gpus:
        return min(gpus, MAX_SLOTS)
    return max(1, min(vcpus // AUTO_VCPUS_PER_SLOT, memory_mib // AUTO_MEMORY_MIB_PER_SLOT, MAX_SLOTS))


def _portion(total: int, slot: Slot) -> int:
    """Slot's part of `total` split into `slot.count` parts, the first `total % count` parts one larger."""
    base, extra = divmod(total, slot.count)
    return base + (1 if slot.number <= extra else 0)


def _first(total: int, slot: Slot) -> int:
    """Where slot's part of `total` starts (the parts before it, summed)."""
    return sum(_portion(total, Slot(number, slot.count)) for number in range(1, slot.number))


def gpus_of(gpus: Sequence[Gpu], slot: Slot) -> list[Gpu]:
    """Slot's cards: the host's GPUs in NVML order cut into `count` runs of whole cards (the first slots
    take one more when they don't divide evenly; with more slots than cards the last slots get none)."""
    start = _first(len(gpus), slot)
    return list(gpus[start:start + _portion(len(gpus), slot)])


def share(detected: Detected, gpus: Sequence[Gpu], slot: Slot) -> Detected:
    """What slot reports of the host: its portion of vCPUs (at least 1: a worker with no CPU would
    match nothing), memory and scratch disk, and its own cards' count and the smallest one's memory.
    A slot with no card of its own on a GPU host reports its even share of the cards (cards / slots,
    below 1) and the host's cards' memory and models: it matches only steps asking for a fraction of
    a GPU, whose sessions share a card with others (gpu_holds.py decides which, when they run)."""
    own = gpus_of(gpus, slot)
    if not own and gpus:
        return replace(_cpu_share(detected, slot), gpus=round(len(gpus) / slot.count, 6),
                       gpu_memory_mib=min(gpu.memory_mib for gpu in gpus), gpu_models=models(list(gpus)))
    return replace(_cpu_share(detected, slot), gpus=len(own),
                   gpu_memory_mib=min((gpu.memory_mib for gpu in own), default=0), gpu_models=models(own))


def _cpu_share(detected: Detected, slot: Slot) -> Detected:
    return replace(detected, vcpus=max(1, _portion(detected.vcpus, slot)),
                   memory_mib=_portion(detected.memory_mib, slot), scratch_mib=_portion(detected.scratch_mib, slot))
