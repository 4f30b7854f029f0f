"""Host-metrics lines of a worker log (domain/host_stats.py): the official agent's plain and structured
forms read alike, other lines are not taken for them, and a figure a host could not read is left out."""

from __future__ import annotations

import json

from farmstead.domain.host_stats import parse

PLAIN = ("cpu-usage-percent 37.5 memory-total-bytes 17179869184 memory-used-bytes 4294967296 memory-used-percent 25.0 "
         "swap-used-bytes 0 total-disk-bytes 500000000000 total-disk-used-bytes 125000000000 "
         "total-disk-used-percent 0.2 user-disk-available-bytes 350000000000 network-sent-bytes-per-second 10 "
         "network-recv-bytes-per-second 20 disk-read-bytes-per-second NOT_AVAILABLE disk-write-bytes-per-second 0 "
         "gpu-utilization-percent 80.0 gpu-memory-used-mib 6144 gpu-memory-total-mib 24576")


def test_the_plain_line_gives_cpu_memory_disk_and_gpu_use():
    stats = parse(PLAIN, at_ms=1_765_000_000_000)
    assert stats is not None and stats.at_ms == 1_765_000_000_000
    assert (stats.cpu_percent, stats.memory_percent, stats.gpu_percent) == (37.5, 25.0, 80.0)
    assert (stats.memory_used_bytes, stats.memory_total_bytes) == (4294967296, 17179869184)
    # From the bytes: the official agent's total-disk-used-percent (0.2 here) is a fraction.
    assert stats.disk_percent == 25.0
    assert (stats.gpu_memory_used_mib, stats.gpu_memory_total_mib, stats.gpu_memory_percent) == (6144, 24576, 25.0)


def test_a_prefix_before_the_pairs_is_skipped():
    stats = parse("[📊 Metrics.System] " + PLAIN, at_ms=0)
    assert stats is not None and stats.cpu_percent == 37.5


def test_the_structured_event_reads_the_same_as_the_plain_line():
    pairs = PLAIN.split()
    event = {"level": "INFO", "ti": "📊", "type": "Metrics", "subtype": "System",
             **dict(zip(pairs[0::2], pairs[1::2], strict=True))}
    assert parse(json.dumps(event), at_ms=5) == parse(PLAIN, at_ms=5)


def test_other_lines_are_not_host_statistics():
    assert parse("worker worker-1 STARTED on fleet fleet-1 (LINUX, 8 vCPU, 16000 MiB)", 0) is None
    assert parse(json.dumps({"type": "Worker", "subtype": "Status", "cpu-usage-percent": "1"}), 0) is None
    assert parse("{not json", 0) is None


def test_a_host_without_gpu_or_disk_figures_has_none_of_them():
    stats = parse("cpu-usage-percent 3.0 memory-total-bytes 1000 memory-used-bytes 500", at_ms=0)
    assert stats is not None and stats.memory_percent == 50.0
    assert (stats.gpu_percent, stats.disk_percent, stats.gpu_memory_percent) == (None, None, None)
