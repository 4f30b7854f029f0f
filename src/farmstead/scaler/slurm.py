"""Workers as Slurm jobs: `farmstead scaler --slurm` bursts a fleet onto an existing HPC cluster.

Owns: submitting one `farmstead worker` per Slurm job (`sbatch --wrap "exec farmstead worker ..."`, so
the batch step's process IS the worker and a signal to it reaches the worker), asking the newest job
to stop (an idle one first; a pending job is cancelled; a running one gets SIGTERM on its batch step, `scancel --batch
--signal=TERM`, so the worker drains and hands its task back before the job ends), and forgetting
jobs `squeue` no longer lists, and adopting at start the jobs an earlier scaler of the same work root
left queued or running (it was killed): each job carries `--comment=farmstead-scaler:<work-root>`
and its name says its number. Worker n keeps the work dir `<work-root>/slurm-worker-<n>` (on the
cluster's shared file system), so a resubmitted worker resumes its identity.
Must not: talk to the Farmstead server or choose the size (scaler/loop.py).
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("farmstead.scaler")

#: A worker job's name: this and its number.
_NAME = "farmstead-worker-"


@dataclass
class SlurmJob:
    job_id: str
    number: int
    work_dir: str
    stopping: bool = False


def _run(command: list[str]) -> str:
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return done.stdout


@dataclass
class SlurmPool:
    worker_command: list[str]
    worker_args: list[str]
    work_root: Path
    capacity: int
    #: More `sbatch` options (a partition, `--cpus-per-task`, `--gres=gpu:1`...).
    sbatch_args: list[str] = field(default_factory=list)
    workers: list[SlurmJob] = field(default_factory=list)

    def active(self) -> list[SlurmJob]:
        return [job for job in self.workers if not job.stopping]

    @property
    def _comment(self) -> str:
        """What marks this work root's jobs in `squeue` (the user may run other scalers, other jobs)."""
        return f"farmstead-scaler:{self.work_root}"

    def adopt(self) -> int:
        """Take on this work root's jobs still in `squeue` (an earlier scaler was killed); returns how many."""
        taken = {job.number for job in self.workers}
        adopted = 0
        for line in _run(["squeue", "--noheader", "--me", "--format=%i|%j|%k"]).splitlines():
            job_id, name, comment = (line.split("|", 2) + ["", ""])[:3]
            number = name.strip().removeprefix(_NAME)
            if comment.strip() != self._comment or not name.strip().startswith(_NAME) or not number.isdigit():
                continue
            if int(number) in taken:
                continue
            taken.add(int(number))
            self.workers.append(SlurmJob(job_id.strip(), int(number), str(self.work_root / f"slurm-worker-{number}")))
            log.info("adopted Slurm job %s (worker %s), left by an earlier scaler", job_id.strip(), number)
            adopted += 1
        return adopted

    def reap(self) -> None:
        if not self.workers:
            return
        # This user's jobs, pending or running (`--jobs` with ids Slurm has purged is an error).
        listed = set(_run(["squeue", "--noheader", "--format=%i", "--me"]).split())
        for job in [j for j in self.workers if j.job_id not in listed]:
            log.info("Slurm job %s (worker %d) ended", job.job_id, job.number)
            self.workers.remove(job)

    def start_one(self) -> bool:
        taken = {job.number for job in self.workers}
        if len(taken) >= self.capacity:
            return False
        number = min(set(range(1, self.capacity + 1)) - taken)
        work_dir = self.work_root / f"slurm-worker-{number}"
        work_dir.mkdir(parents=True, exist_ok=True)
        wrapped = "exec " + shlex.join([*self.worker_command, *self.worker_args, "--work-dir", str(work_dir)])
        job_id = _run(["sbatch", "--parsable", f"--job-name={_NAME}{number}", f"--comment={self._comment}",
                       f"--output={work_dir}/slurm-%j.txt", *self.sbatch_args, "--wrap", wrapped]).strip()
        job_id = job_id.split(";")[0]  # --parsable prints "id" or "id;cluster"
        self.workers.append(SlurmJob(job_id, number, str(work_dir)))
        log.info("submitted worker %d as Slurm job %s", number, job_id)
        return True

    def stop_one(self, idle: Callable[[str], bool] = lambda _work_dir: True) -> bool:
        """Ask the newest job whose worker is `idle` (by its work dir) to stop, else the newest."""
        active = self.active()
        if not active:
            return False
        job = next((j for j in reversed(active) if idle(j.work_dir)), active[-1])
        job.stopping = True
        state = _run(["squeue", "--noheader", "--format=%t", "--jobs", job.job_id]).strip()  # R: running
        if state == "R":
            log.info("asking Slurm job %s (worker %d) to drain", job.job_id, job.number)
            _run(["scancel", "--batch", "--signal=TERM", job.job_id])
        else:
            log.info("cancelling Slurm job %s (worker %d, %s)", job.job_id, job.number, state or "ended")
            _run(["scancel", job.job_id])
        return True

    def stop_all(self, timeout: float) -> None:
        while self.stop_one():
            pass
        deadline = time.monotonic() + timeout
        while self.workers and time.monotonic() < deadline:
            time.sleep(0.5)
            self.reap()
        for job in self.workers:
            log.warning("Slurm job %s did not end in %ss: cancelled", job.job_id, timeout)
            _run(["scancel", job.job_id])
        self.workers.clear()
