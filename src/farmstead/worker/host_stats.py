"""This host's CPU, memory, disk and GPU use, written to the worker log as the official agent does.

Owns: sampling the host (Linux: /proc/stat, /proc/meminfo; os.statvfs of the work dir's disk; NVIDIA
GPUs through `nvidia-smi` when it is on the PATH) and a thread that logs one line per interval on the
`farmstead.worker` logger, whose records the agent uploads to the worker's log stream
(/aws/deadline/<farm>/<fleet>, stream <worker id>). The line is the official worker agent's
"Metrics System" event: `cpu-usage-percent 12.5 memory-total-bytes 16777216000 ...` (label value
pairs, the same labels), so the server reads the official agent's hosts and ours alike
(domain/host_stats.py parses it; docs/monitoring.md, "Worker host statistics").
Must not: call the server itself, or stop the worker when a figure can't be read (it is left out).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("farmstead.worker")

#: The official agent's default interval between host-metric lines.
DEFAULT_INTERVAL_SECONDS = 60.0
#: A wedged GPU driver can make nvidia-smi hang: a sample without GPU figures beats none.
GPU_QUERY_SECONDS = 5.0


@dataclass(frozen=True)
class CpuTimes:
    busy: int
    total: int


def cpu_times(stat_text: str) -> CpuTimes:
    """The aggregate `cpu` line of /proc/stat: busy and total jiffies (idle and iowait are not busy)."""
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            # user nice system idle iowait irq softirq steal (guest time is already in user/nice)
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            total = sum(values[:8])
            return CpuTimes(total - idle, total)
    raise ValueError("no aggregate cpu line in /proc/stat")


def cpu_percent(before: CpuTimes, after: CpuTimes) -> float:
    elapsed = after.total - before.total
    return round(100.0 * (after.busy - before.busy) / elapsed, 1) if elapsed > 0 else 0.0


def memory(meminfo_text: str) -> dict[str, int]:
    """Total, used (total less available, as the official agent counts) and swap used, in bytes."""
    kib = {}
    for line in meminfo_text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kib[name] = int(parts[0])
    total = kib["MemTotal"] * 1024
    available = kib.get("MemAvailable", kib.get("MemFree", 0)) * 1024
    return {"memory-total-bytes": total, "memory-used-bytes": total - available,
            "swap-used-bytes": (kib.get("SwapTotal", 0) - kib.get("SwapFree", 0)) * 1024}


def disk(path: Path) -> dict[str, int | float]:
    """The disk the work dir is on: total, used and what a user may still write (root's reserve left out)."""
    stat = os.statvfs(path)
    total = stat.f_blocks * stat.f_frsize
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    return {"total-disk-bytes": total, "total-disk-used-bytes": used,
            "total-disk-used-percent": round(100.0 * used / total, 1) if total else 0.0,
            "user-disk-available-bytes": stat.f_bavail * stat.f_frsize}


def gpus(nvidia_smi_csv: str) -> dict[str, int | float]:
    """`nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits`:
    utilization averaged over the GPUs, memory summed (MiB); {} when no line parses."""
    rows = []
    for line in nvidia_smi_csv.strip().splitlines():
        try:
            utilization, used, total = (float(v) for v in line.split(","))
        except ValueError:
            continue
        rows.append((utilization, used, total))
    if not rows:
        return {}
    used, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return {"gpu-utilization-percent": round(sum(r[0] for r in rows) / len(rows), 1),
            "gpu-memory-used-mib": int(used), "gpu-memory-total-mib": int(total),
            "gpu-memory-used-percent": round(100.0 * used / total, 1) if total else 0.0}


def line(stats: dict[str, int | float]) -> str:
    """The log line: `label value` pairs, in the official agent's order of labels."""
    return " ".join(f"{name} {value}" for name, value in stats.items())


class HostStats:
    """Samples this host; each sample's CPU use is over the time since the previous one."""

    def __init__(self, disk_path: Path, proc: Path = Path("/proc")) -> None:
        self._disk_path = disk_path
        self._proc = proc
        self._cpu: CpuTimes | None = None
        self._nvidia_smi = shutil.which("nvidia-smi")

    def sample(self) -> dict[str, int | float]:
        stats: dict[str, int | float] = {}
        try:
            now = cpu_times((self._proc / "stat").read_text())
            stats["cpu-usage-percent"] = cpu_percent(self._cpu, now) if self._cpu else 0.0
            self._cpu = now
        except (OSError, ValueError) as error:
            log.debug("no CPU figure: %s", error)
        try:
            mem = memory((self._proc / "meminfo").read_text())
            stats.update(mem)
            if mem["memory-total-bytes"]:
                stats["memory-used-percent"] = round(100.0 * mem["memory-used-bytes"] / mem["memory-total-bytes"], 1)
        except (OSError, KeyError, ValueError) as error:
            log.debug("no memory figures: %s", error)
        try:
            stats.update(disk(self._disk_path))
        except OSError as error:
            log.debug("no disk figures: %s", error)
        stats.update(self._gpus())
        return stats

    def _gpus(self) -> dict[str, int | float]:
        if self._nvidia_smi is None:
            return {}
        try:
            output = subprocess.run([self._nvidia_smi, "--query-gpu=utilization.gpu,memory.used,memory.total",
                                     "--format=csv,noheader,nounits"], capture_output=True, text=True, check=True,
                                    timeout=GPU_QUERY_SECONDS).stdout
        except (OSError, subprocess.SubprocessError) as error:
            log.debug("no GPU figures: %s", error)
            return {}
        return gpus(output)


class HostStatsLogger:
    """A daemon thread logging a host-metrics line every `interval` seconds until stopped."""

    def __init__(self, stats: HostStats, interval: float) -> None:
        self._stats = stats
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="host-stats", daemon=True)

    def start(self) -> HostStatsLogger:
        self._stats.sample()  # the CPU baseline: the first line covers one whole interval
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)  # a hung nvidia-smi must not hold up the worker's exit

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                log.info("%s", line(self._stats.sample()))
            except Exception:  # noqa: BLE001 - one bad sample must not end host statistics for good
                log.warning("could not sample this host's statistics", exc_info=True)
