"""A worker host's CPU, memory, disk and GPU use, read from a host-metrics line of its worker log.

Owns: parsing the line the official worker agent writes every minute (its "Metrics System" event) and
`farmstead worker` writes the same way (worker/host_stats.py): `label value` pairs in the plain
message (`cpu-usage-percent 12.5 memory-total-bytes 16777216000 ...`), or the structured JSON event
the official agent uploads ({"type": "Metrics", "subtype": "System", "cpu-usage-percent": "12.5", ...}).
Must not: touch storage or HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: What marks a host-metrics line (every such line carries it, first).
MARKER = "cpu-usage-percent"


@dataclass(frozen=True)
class HostStats:
    cpu_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    disk_used_bytes: int | None
    disk_total_bytes: int | None
    gpu_percent: float | None
    gpu_memory_used_mib: int | None
    gpu_memory_total_mib: int | None
    #: When the line was logged (epoch milliseconds: the log event's timestamp).
    at_ms: int

    @property
    def memory_percent(self) -> float | None:
        return _percent(self.memory_used_bytes, self.memory_total_bytes)

    @property
    def disk_percent(self) -> float | None:
        # From the bytes: the official agent's own `total-disk-used-percent` is a fraction, not a percent.
        return _percent(self.disk_used_bytes, self.disk_total_bytes)

    @property
    def gpu_memory_percent(self) -> float | None:
        return _percent(self.gpu_memory_used_mib, self.gpu_memory_total_mib)


def _percent(used: float | None, total: float | None) -> float | None:
    return round(100.0 * used / total, 1) if used is not None and total else None


def _pairs(message: str) -> dict[str, str]:
    text = message.strip()
    if text.startswith("{"):
        try:
            event = json.loads(text)
        except ValueError:
            return {}
        if isinstance(event, dict) and event.get("type") == "Metrics" and event.get("subtype") == "System":
            return {str(k): str(v) for k, v in event.items()}
        return {}
    start = text.find(MARKER + " ")
    if start < 0:
        return {}
    tokens = text[start:].split()
    return dict(zip(tokens[0::2], tokens[1::2], strict=False))


def _number(pairs: dict[str, str], name: str) -> float | None:
    try:
        return float(pairs[name])
    except (KeyError, ValueError):  # absent, or NOT_AVAILABLE
        return None


def _whole(pairs: dict[str, str], name: str) -> int | None:
    value = _number(pairs, name)
    return None if value is None else int(value)


def parse(message: str, at_ms: int) -> HostStats | None:
    """The figures of a host-metrics log line; None when the message is not one."""
    pairs = _pairs(message)
    if MARKER not in pairs:
        return None
    return HostStats(cpu_percent=_number(pairs, MARKER), memory_used_bytes=_whole(pairs, "memory-used-bytes"),
                     memory_total_bytes=_whole(pairs, "memory-total-bytes"),
                     disk_used_bytes=_whole(pairs, "total-disk-used-bytes"),
                     disk_total_bytes=_whole(pairs, "total-disk-bytes"),
                     gpu_percent=_number(pairs, "gpu-utilization-percent"),
                     gpu_memory_used_mib=_whole(pairs, "gpu-memory-used-mib"),
                     gpu_memory_total_mib=_whole(pairs, "gpu-memory-total-mib"), at_ms=at_ms)
