"""The worker processes the scaler runs: started on a free place, asked to stop, reaped when they exit.

Owns: one process per (place, number), the work dir each number keeps, adopting at start the workers a
killed scaler left running (scaler/adopted.py: their pid files), asking idle workers (then the
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

from farmstead.scaler.adopted import AdoptedProcess, pid_file, running_pid
from farmstead.scaler.places import Place

log = logging.getLogger("farmstead.scaler")


@dataclass
class RunningWorker:
    place: Place
    number: int
    work_dir: str
    process: subprocess.Popen[bytes] | AdoptedProcess
    stopping: bool = False


@dataclass
class WorkerPool:
    places: list[Place]
    worker_args: list[str]
    #: On this host, the work dirs' parent; on other hosts, the same path under the remote user's home
    #: when relative.
    work_root: Path
    #: `ssh` options before the host, for every remote place (`-F FILE`: --ssh-config).
    ssh_args: list[str] = field(default_factory=list)
    workers: list[RunningWorker] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(place.capacity for place in self.places)

    def active(self) -> list[RunningWorker]:
        """Workers running and not asked to stop."""
        return [w for w in self.workers if not w.stopping]

    def _work_dir(self, place: Place, number: int) -> Path:
        return self.work_root / f"{place.host}-worker-{number}"

    def adopt(self) -> int:
        """Take on the workers a previous scaler on this work root started and left running (it was
        killed): counted, drained and stopped like its own, never started a second time beside them.
        Returns how many."""
        adopted = 0
        for place in self.places:
            for number in range(1, place.capacity + 1):
                work_dir = str(self._work_dir(place, number))
                if any(w.place == place and w.number == number for w in self.workers):
                    continue
                pid = running_pid(pid_file(self.work_root, place.host, number), work_dir)
                if pid is None:
                    continue
                self.workers.append(RunningWorker(place, number, work_dir, AdoptedProcess(pid, work_dir)))
                log.info("adopted worker %d on %s (pid %d), left running by an earlier scaler", number, place.host,
                         pid)
                adopted += 1
        return adopted

    def reap(self) -> None:
        for worker in [w for w in self.workers if w.process.poll() is not None]:
            log.info("worker %d on %s exited with %s", worker.number, worker.place.host, worker.process.returncode)
            self.workers.remove(worker)
            pid_file(self.work_root, worker.place.host, worker.number).unlink(missing_ok=True)

    def start_one(self) -> bool:
        """A worker on the first place with room; False when every place is full."""
        for place in self.places:
            taken = {w.number for w in self.workers if w.place == place}
            if len(taken) >= place.capacity:
                continue
            number = min(set(range(1, place.capacity + 1)) - taken)
            work_dir = self._work_dir(place, number)
            if place.local:
                work_dir.mkdir(parents=True, exist_ok=True)
                output = open(work_dir / "scaler-output.txt", "ab")  # noqa: SIM115 - the child keeps it
            else:
                self.work_root.mkdir(parents=True, exist_ok=True)
                output = open(self.work_root / f"{place.host}-worker-{number}.txt", "ab")  # noqa: SIM115
            with output:
                process = subprocess.Popen(place.start_command(self.worker_args, str(work_dir), self.ssh_args),
                                           stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            # Beside the work dir, so a scaler started after this one is killed finds the worker.
            pid_file(self.work_root, place.host, number).write_text(f"{process.pid}\n")
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
            subprocess.run(worker.place.stop_command(worker.work_dir, self.ssh_args), check=False, timeout=60,
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
