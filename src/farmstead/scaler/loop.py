"""The scaler's loop: read the fleet's recommended size, start or stop workers to match, repeat.

Owns: the size it aims at (GetFleet's targetWorkerCount, through boto3 like any client; capped by the
places' capacity), one start or stop decision per round, and its own stop (SIGTERM/SIGINT: every
worker is asked to stop and waited for). Must not: compute the size (the server does,
domain/fleet_scaling.py) or know how a worker is started (scaler/pool.py and places.py: processes;
scaler/slurm.py: Slurm jobs).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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
        while running > target and self._pool.stop_one():
            running -= 1

    def run(self) -> None:
        def on_signal(signum: int, _frame: Any) -> None:
            log.info("stopping on signal %d: asking every worker to stop", signum)
            self._stopped.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            while not self._stopped.is_set():
                try:
                    self.step()
                except (ClientError, BotoCoreError):  # an outage or a throttled call: keep the workers, try again
                    log.exception("could not read the fleet's size; trying again")
                self._stopped.wait(self._interval)
        finally:
            self._pool.stop_all(self._stop_timeout)
