"""The scaler's loop: read the fleet's recommended size, start or stop workers to match, repeat.

Owns: the size it aims at (GetFleet's targetWorkerCount, through boto3 like any client; capped by the
places' capacity), one start or stop decision per round, and its own start (the workers an earlier,
killed scaler left running are adopted first) and stop (SIGTERM/SIGINT: every worker is asked to stop
and waited for). Must not: compute the size (the server does,
domain/fleet_scaling.py) or know how a worker is started (scaler/pool.py and places.py: processes;
scaler/slurm.py: Slurm jobs).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farmstead.domain.statuses import WorkerStatus
from farmstead.scaler.pool import WorkerPool
from farmstead.scaler.slurm import SlurmPool

log = logging.getLogger("farmstead.scaler")


class Scaler:
    def __init__(self, deadline: Any, farm_id: str, fleet_id: str, pool: WorkerPool | SlurmPool, interval: float,
                 stop_timeout: float) -> None:
        self._deadline = deadline
        self._fleet = {"farmId": farm_id, "fleetId": fleet_id}
        self._pool = pool
        self._interval = interval
        self._stop_timeout = stop_timeout
        self._stopped = threading.Event()

    def target(self) -> int:
        fleet = self._deadline.get_fleet(**self._fleet)
        if "targetWorkerCount" not in fleet:
            raise RuntimeError(f"fleet {self._fleet['fleetId']} does not auto-scale: its mode is not "
                               "EVENT_BASED_AUTO_SCALING, so the server recommends no size")
        return min(int(fleet["targetWorkerCount"]), self._pool.capacity)

    def step(self) -> None:
        self._pool.reap()
        target = self.target()
        running = len(self._pool.active())
        while running < target and self._pool.start_one():
            running += 1
        if running > target:
            idle = self._idle_workers()
            while running > target and self._pool.stop_one(idle):
                running -= 1

    def _idle_workers(self) -> Callable[[str], bool]:
        """Whether the worker of a work dir runs no task now (ListWorkers' RUNNING), so scale-in stops
        it rather than one mid-task. A work dir this host can't read (over SSH) or without a worker yet
        counts as idle only when it has no identity at all."""
        statuses: dict[str, str] = {}
        for page in self._deadline.get_paginator("list_workers").paginate(**self._fleet):
            statuses.update({w["workerId"]: w["status"] for w in page["workers"]})

        def idle(work_dir: str) -> bool:
            try:
                worker_id = json.loads((Path(work_dir) / "worker.json").read_text())["workerId"]
            except FileNotFoundError:
                return Path(work_dir).is_dir()  # here and not registered yet: nothing to interrupt
            except (OSError, ValueError, KeyError):
                return False
            return statuses.get(worker_id) != WorkerStatus.RUNNING
        return idle

    def run(self) -> None:
        def on_signal(signum: int, _frame: Any) -> None:
            log.info("stopping on signal %d: asking every worker to stop", signum)
            self._stopped.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        # Workers an earlier scaler of this work root left running (it was killed) are this one's now.
        if adopted := self._pool.adopt():
            log.info("adopted %d running worker(s)", adopted)
        try:
            while not self._stopped.is_set():
                try:
                    self.step()
                except (ClientError, BotoCoreError):  # an outage or a throttled call: keep the workers, try again
                    log.exception("could not read the fleet's size; trying again")
                self._stopped.wait(self._interval)
        finally:
            self._pool.stop_all(self._stop_timeout)
