"""This host's statistics (worker/host_stats.py): /proc and nvidia-smi output parsed from canned text, a
real sample of this machine, and the line written in the official agent's form that the server reads."""

from __future__ import annotations

import logging
import time

from farmstead.domain.host_stats import parse
from farmstead.worker.host_stats import (
    CpuTimes,
    HostStats,
    HostStatsLogger,
    cpu_percent,
    cpu_times,
    disk,
    gpus,
    line,
    memory,
)

STAT = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1 2 3\n"
MEMINFO = "MemTotal:       16000000 kB\nMemFree:         2000000 kB\nMemAvailable:   12000000 kB\n" \
          "SwapTotal:       1000000 kB\nSwapFree:         750000 kB\n"


def test_cpu_use_is_busy_time_over_elapsed_time_between_two_samples():
    before = cpu_times(STAT)
    assert before == CpuTimes(busy=150, total=1000)  # idle and iowait are not busy
    after = CpuTimes(busy=before.busy + 30, total=before.total + 120)
    assert cpu_percent(before, after) == 25.0
    assert cpu_percent(after, after) == 0.0


def test_memory_used_is_total_less_available_and_swap_is_counted():
    assert memory(MEMINFO) == {"memory-total-bytes": 16_000_000 * 1024, "memory-used-bytes": 4_000_000 * 1024,
                               "swap-used-bytes": 250_000 * 1024}


def test_gpus_average_utilization_and_sum_memory_and_skip_lines_that_do_not_parse():
    assert gpus("90, 1000, 8000\n30, 3000, 8000\n[N/A], [N/A], [N/A]\n") == {
        "gpu-utilization-percent": 60.0, "gpu-memory-used-mib": 4000, "gpu-memory-total-mib": 16000,
        "gpu-memory-used-percent": 25.0}
    assert gpus("") == {}


def test_disk_figures_are_of_the_work_dirs_file_system(tmp_path):
    figures = disk(tmp_path)
    assert 0 < figures["total-disk-used-bytes"] <= figures["total-disk-bytes"]
    assert 0 <= figures["user-disk-available-bytes"] <= figures["total-disk-bytes"]


def test_a_sample_of_this_host_reads_back_as_the_servers_host_statistics(tmp_path):
    sampler = HostStats(tmp_path)
    sampler.sample()
    sum(range(2_000_000))  # some CPU time between the two samples
    stats = parse(line(sampler.sample()), at_ms=1)
    assert stats is not None
    assert stats.cpu_percent is not None and 0.0 <= stats.cpu_percent <= 100.0
    assert stats.memory_total_bytes and 0 < stats.memory_percent <= 100.0
    assert stats.disk_total_bytes and 0 < stats.disk_percent <= 100.0


def test_the_logger_writes_a_line_per_interval_on_the_worker_log_until_stopped(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="farmstead.worker")
    logger = HostStatsLogger(HostStats(tmp_path), interval=0.05).start()
    time.sleep(0.4)
    logger.stop()
    written = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cpu-usage-percent ")]
    assert len(written) >= 2
    count = len(written)
    time.sleep(0.2)
    assert len([r for r in caplog.records if r.getMessage().startswith("cpu-usage-percent ")]) == count
