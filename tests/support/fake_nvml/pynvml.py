"""A stand-in for NVIDIA's `pynvml` (nvidia-ml-py) with the functions farmstead.worker.gpus calls, for
hosts without GPUs: put this directory first on PYTHONPATH and a worker process finds these cards.

The cards come from FAKE_NVML_GPUS, a JSON list of [name, memory MiB] pairs (default: four 24 GiB
"NVIDIA L4"s), so a test says what host it is simulating. Only detection is faked: what the worker
does with the cards (capabilities, CUDA_VISIBLE_DEVICES on the processes it starts) is real.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

DEFAULT = [["NVIDIA L4", 24 * 1024]] * 4


class NVMLError(Exception):
    pass


def _cards() -> list[list]:
    return json.loads(os.environ.get("FAKE_NVML_GPUS") or json.dumps(DEFAULT))


def nvmlInit() -> None:
    pass


def nvmlShutdown() -> None:
    pass


def nvmlDeviceGetCount() -> int:
    return len(_cards())


def nvmlDeviceGetHandleByIndex(index: int) -> int:
    if not 0 <= index < len(_cards()):
        raise NVMLError(f"no GPU {index}")
    return index


def nvmlDeviceGetName(handle: int) -> str:
    return _cards()[handle][0]


def nvmlDeviceGetMemoryInfo(handle: int) -> SimpleNamespace:
    total = int(_cards()[handle][1]) * 1024 * 1024
    return SimpleNamespace(total=total, free=total, used=0)


def nvmlDeviceGetUUID(handle: int) -> str:
    return f"GPU-fake-{handle:04d}"
