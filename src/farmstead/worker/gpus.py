"""This host's NVIDIA GPUs, and the environment that gives a session only its own cards.

Owns: finding the GPUs, through NVML (NVIDIA's `pynvml` bindings, package nvidia-ml-py) first and
`nvidia-smi` when NVML can't be loaded, each GPU with its NVML index, model name, memory and UUID;
the capability value of a GPU model (`attr.gpu.model`, docs/fleets.md "GPUs"); and the variables
that pin a session to its cards (`CUDA_VISIBLE_DEVICES`, `GPU_DEVICE_ORDINAL`, with
`CUDA_DEVICE_ORDER=PCI_BUS_ID` so that CUDA numbers the cards as NVML does).
Also which cards a new session gets (`request_of`, `allocate`, pure; docs/fleets.md "Sharing a GPU"):
a step asking for a whole number of GPUs gets whole cards nobody else holds, one asking for a fraction
(`amount.worker.gpu` min 0.5; OpenJD amounts are decimals) shares one card with other fractional
sessions up to 1.0 in all. The parsing and naming functions are pure. Must not: decide which slot
reports which card (slots.py), keep the record of held cards (gpu_holds.py) or call the server.

A worker started with CUDA_VISIBLE_DEVICES set uses only those cards.
The NVML seam is the module itself: `detect(nvml=...)` takes anything with pynvml's functions, and a
process finds whatever `pynvml` comes first on its path (the tests put a fake one there).
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("farmstead.worker")

#: The attribute capability carrying the GPU model. Neither Open Job Description nor Deadline Cloud
#: names one (`attr.worker.` is reserved for the names OpenJD defines), so it is a custom name that a
#: fleet can declare in customAttributes and a step can ask for.
MODEL_ATTRIBUTE = "attr.gpu.model"
#: Words that name the maker or an old product line rather than the card: "NVIDIA L40S" and "Tesla T4"
#: become `l40s` and `t4`, Deadline Cloud's own accelerator names (AcceleratorName).
_MAKER_WORDS = {"nvidia", "tesla"}
_NVIDIA_SMI_QUERY = "--query-gpu=index,name,memory.total,uuid"


@dataclass(frozen=True)
class Gpu:
    index: int
    """NVML's index: the number CUDA_VISIBLE_DEVICES takes under CUDA_DEVICE_ORDER=PCI_BUS_ID."""
    name: str
    memory_mib: int
    uuid: str = ""


def model_value(name: str) -> str:
    """A GPU's name as an attribute capability value (the model's pattern `[a-zA-Z_][a-zA-Z0-9_-]*`):
    lower case, maker words dropped, words joined by '-'; "NVIDIA GeForce RTX 4090" → geforce-rtx-4090."""
    words = [word for word in re.split(r"[^a-z0-9]+", name.lower()) if word]
    kept = [word for word in words if word not in _MAKER_WORDS] or words or ["gpu"]
    value = "-".join(kept)
    if not re.match(r"[a-z_]", value):
        value = f"gpu-{value}"
    return value[:100]


def from_nvidia_smi(text: str) -> list[Gpu]:
    """GPUs from `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`."""
    found = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) < 3:
            continue
        try:
            index, memory = int(fields[0]), int(float(fields[2]))
        except ValueError:
            continue
        found.append(Gpu(index=index, name=fields[1], memory_mib=memory, uuid=fields[3] if len(fields) > 3 else ""))
    return sorted(found, key=lambda gpu: gpu.index)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def from_nvml(nvml: Any) -> list[Gpu]:
    """GPUs through NVML (`nvml` has pynvml's functions); raises what NVML raises when it can't start."""
    nvml.nvmlInit()
    try:
        found = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            found.append(Gpu(index=index, name=_text(nvml.nvmlDeviceGetName(handle)),
                             memory_mib=int(memory.total) // (1024 * 1024),
                             uuid=_text(nvml.nvmlDeviceGetUUID(handle))))
        return found
    finally:
        nvml.nvmlShutdown()


def _load_nvml() -> Any:
    try:
        import pynvml
    except ImportError:
        return None
    return pynvml


def _nvidia_smi() -> list[Gpu]:
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return []
    try:
        done = subprocess.run([binary, _NVIDIA_SMI_QUERY, "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return from_nvidia_smi(done.stdout) if done.returncode == 0 else []


def detect(nvml: Any = None, visible: str | None = None) -> list[Gpu]:
    """This host's GPUs: NVML when it loads (a host without NVIDIA's driver has no libnvidia-ml), else
    nvidia-smi, else none; only those `visible` lists (the worker's own CUDA_VISIBLE_DEVICES)."""
    nvml = nvml if nvml is not None else _load_nvml()
    found = None
    if nvml is not None:
        try:
            found = from_nvml(nvml)
        except Exception as error:  # noqa: BLE001 - NVMLError_LibraryNotFound and kin: no driver here
            log.debug("NVML found no GPUs (%s); trying nvidia-smi", error)
    if found is None:
        found = _nvidia_smi()
    return only_visible(found, os.environ.get("CUDA_VISIBLE_DEVICES") if visible is None else visible)


def only_visible(cards: list[Gpu], visible: str | None) -> list[Gpu]:
    """The cards a CUDA_VISIBLE_DEVICES value leaves (indices or UUIDs, in its order): a worker started
    with some cards hidden shares out only the others. NVML itself ignores the variable. A value this
    can't read (MIG instances, say) leaves every card, and says so."""
    if visible is None:
        return cards
    wanted = [item.strip() for item in visible.split(",") if item.strip()]
    by_name = {str(card.index): card for card in cards} | {card.uuid: card for card in cards if card.uuid}
    if any(item not in by_name for item in wanted):
        log.warning("CUDA_VISIBLE_DEVICES=%s names cards this host does not list by index or UUID; "
                    "sharing out all %d GPUs", visible, len(cards))
        return cards
    return list(dict.fromkeys(by_name[item] for item in wanted))


def pinning(gpus: Sequence[Gpu], host_has_gpus: bool) -> dict[str, str]:
    """The variables a session runs with so that it sees only `gpus`. A session with no card on a
    host that has some sees none (an empty list hides them all from CUDA and ROCm); on a host without
    GPUs nothing is set."""
    if not host_has_gpus:
        return {}
    ordinals = ",".join(str(gpu.index) for gpu in gpus)
    return {"CUDA_VISIBLE_DEVICES": ordinals, "GPU_DEVICE_ORDINAL": ordinals, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


#: Slack for sums of decimal fractions (0.1 + 0.2 + 0.7 is a full card, not a little more).
_EPSILON = 1e-9


@dataclass(frozen=True)
class Request:
    """What a session holds: `cards` whole cards nobody else gets, or `share` (0 < share < 1) of one card
    that other sharing sessions may use too."""

    cards: int = 0
    share: float = 0.0


def request_of(gpu_min: float | None, default_cards: int) -> Request:
    """A step's `amount.worker.gpu` minimum as a Request. A fraction below 1 is the opt-in to share a card;
    a whole number asks for that many whole cards, and a fraction above 1 (1.5) for the whole cards it
    needs (2): a part of a second card shared with others would still leave the first one unshared.
    A step without the requirement holds `default_cards` whole (the worker's own, as before sharing)."""
    if gpu_min is None:
        return Request(cards=default_cards)
    if 0 < gpu_min < 1:
        return Request(share=gpu_min)
    return Request(cards=math.ceil(gpu_min - _EPSILON))


def allocate(cards: Sequence[int], held: Mapping[int, float], request: Request) -> tuple[int, ...] | None:
    """The card indices for a new session, or None when none fit now. `cards` are the candidates in
    order of preference (a slot's own cards first); `held` is how much of each card the open sessions
    hold (a whole hold is 1.0). Whole cards: the first ones nobody holds any of. A share: the fullest
    card it still fits on (so fractional sessions pack together and whole cards stay free), earlier in
    `cards` on a tie."""
    if request.share:
        fits = [index for index in cards if held.get(index, 0.0) + request.share <= 1.0 + _EPSILON]
        if not fits:
            return None
        return (max(fits, key=lambda index: (held.get(index, 0.0), -cards.index(index))),)
    free = [index for index in cards if held.get(index, 0.0) <= _EPSILON]
    return tuple(free[:request.cards]) if len(free) >= request.cards else None


def gpu_min_of(step_template: Mapping[str, Any]) -> float | None:
    """The `amount.worker.gpu` minimum a step's template asks for; None when it asks for none, or
    when the minimum is not a number (an unresolved format string: no opt-in to read)."""
    amounts = (step_template.get("hostRequirements") or {}).get("amounts") or []
    for amount in amounts:
        if str(amount.get("name", "")).lower() == "amount.worker.gpu" and amount.get("min") is not None:
            try:
                return float(amount["min"])
            except (TypeError, ValueError):
                return None
    return None
