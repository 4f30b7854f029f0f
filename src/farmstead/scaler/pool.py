"""The worker processes the scaler runs: started on a free place, asked to stop, reaped when they exit.

Owns: one process per (place, number), the work dir each number keeps, asking idle workers (then the
newest) to stop first (SIGTERM locally, `ssh HOST kill -TERM` remotely: the worker drains, so its running task
is reported and handed back, never lost) and waiting on them. Must not: talk to the server or choose
the size (scaler/loop.py).
"""

from __future__ import annotations

import logging
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from farmstead.scaler.places import Place

log = logging.getLogger("farmstead.scaler")


@dataclass
class RunningWorker:
    place: Place
    number: int
    work_dir: str
    process: subprocess.Popen[bytes]
    stopping: bool = False


@dataclass
class WorkerPool:
    places: list[Place]
    worker_args: list[str]
    #: On this host, the work dirs' parent; on other hosts, the same path under the remote user's home
    #: when relative.
    work_root: Path
    workers: list[RunningWorker] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(place.capacity for place in self.places)

    def active(self) -> list[RunningWorker]:
        """Workers running and not asked to stop."""
        return [w for w in self.workers if not w.stopping]

    def reap(self) -> None:
        for worker in [w for w in self.workers if w.process.poll() is not None]:
            log.info("worker %d on %s exited with %s", worker.number, worker.place.host, worker.process.returncode)
            self.workers.remove(worker)

    def start_one(self) -> bool:
        """A worker on the first place with room; False when every place is full."""
        for place in self.places:
            taken = {w.number for w in self.workers if w.place == place}
            if len(taken) >= place.capacity:
                continue
            number = min(set(range(1, place.capacity + 1)) - taken)
            work_dir = self.work_root / f"{place.host}-worker-{number}"
            if place.local:
                work_dir.mkdir(parents=True, exist_ok=True)
                output = open(work_dir / "scaler-output.txt", "ab")  # noqa: SIM115 - the child keeps it
            else:
                self.work_root.mkdir(parents=True, exist_ok=True)
                output = open(self.work_root / f"{place.host}-worker-{number}.txt", "ab")  # noqa: SIM115
            with output:
                process = subprocess.Popen(place.start_command(self.worker_args, str(work_dir)),
                                           stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.workers.append(RunningWorker(place, number, str(work_dir), process))
            log.info("started worker %d on %s", number, place.host)
            return True
        return False

    def stop_one(self, idle: Callable[[str], bool] = lambda _work_dir: True) -> bool:
        """Ask the newest active worker that is `idle` (by its work dir) to stop, else the newest; False
        when none is active."""
        active = self.active()
        if not active:
            return False
        worker = next((w for w in reversed(active) if idle(w.work_dir)), active[-1])
        worker.stopping = True
        log.info("stopping worker %d on %s", worker.number, worker.place.host)
        if worker.place.local:
            worker.process.send_signal(signal.SIGTERM)
        else:
            subprocess.run(worker.place.stop_command(worker.work_dir), check=False, timeout=60,
                           stdin=subprocess.DEVNULL)
        return True

    def stop_all(self, timeout: float) -> None:
        while self.stop_one():
            pass
        for worker in list(self.workers):
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("worker %d on %s did not stop in %ss: killed", worker.number, worker.place.host, timeout)
                worker.process.kill()
                worker.process.wait()
        self.reap()
