"""end_to_end: N trivial tasks through 2 local `farmstead worker` processes, against `openjd run`.

Owns: one template (one step, `Frame` 1-N, onRun `true`) run two ways on the same machine, in the
same run: (a) `openjd run` of openjd-cli (the reference OpenJD runner: every task in one local
session, no server), installed into its own venv under `.e2e-venvs/` as the tests install the
official clients; (b) a fresh Farmstead server (embedded store) with WORKERS `farmstead worker`
processes already STARTED and idle, the job submitted with CreateJob and GetJob polled every 50 ms
until SUCCEEDED. The figure is (b) / (a), target <= 1.0: a farm on one machine must not be slower
than running the template by hand. The two run alternately, ROUNDS times, to even out the noise.
With --slurm (make bench-slurm starts a one-node Slurm with tools/slurm_local.sh), (c): the same
tasks as one Slurm array job (`sbatch --wait --array=1-N --wrap true`) once, and (b) / (c).
Must not: change the server or the worker; count setup (server start, workers starting) in (b).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.farm_setup import frame_template
from bench.figures import table
from bench.launcher import ProcessStats, running_server
from bench.local_fleet import LocalFleet, openjd_seconds
from bench.machine import OtherLoad

# The venv installer the end-to-end tests use for the official clients (a test-private helper: bench, like
# the tests, runs from the checkout).
from tests.support.official_clients import client_venv

DESCRIPTION = "1,000 trivial tasks: 2 local farmstead workers vs `openjd run` of the same template (target <= 1.0)"
OPENJD_CLI = "openjd-cli==0.8.0"
TASKS = 1000
WORKERS = 2
ROUNDS = 4
TARGET = 1.0


def _slurm_seconds(tasks: int, work: Path) -> float | str:
    """Seconds for a Slurm array job of `tasks` trivial tasks, or why it could not run."""
    if shutil.which("sbatch") is None:
        return "sbatch not installed (make bench-slurm)"
    if subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.strip() not in (
            "idle", "mixed", "allocated"):
        return "no Slurm node is up (make bench-slurm)"
    started = time.monotonic()
    done = subprocess.run(["sbatch", "--wait", f"--array=1-{tasks}", "--output=/dev/null", "--wrap", "true"],
                          cwd=work, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return f"sbatch failed: {done.stderr.strip()[-300:]}"
    return time.monotonic() - started


def run(args: argparse.Namespace) -> None:
    tasks = 100 if args.quick else TASKS
    rounds = 1 if args.quick else ROUNDS
    bin_dir, reason = client_venv("openjd-cli", OPENJD_CLI)
    if bin_dir is None:
        print(f"end_to_end skipped: {reason}")
        return
    work = Path(tempfile.mkdtemp(prefix="farmstead-e2e-bench-"))
    template = frame_template(tasks)
    template_path = work / "template.json"
    template_path.write_text(template)
    print(f"{tasks:,} tasks (onRun `true`), {WORKERS} farmstead workers, {rounds} round(s), {OPENJD_CLI}; "
          f"Farmstead's time is CreateJob → GetJob says SUCCEEDED (polled every 50 ms), workers already idle")
    rows, ratios = [], []
    try:
        with running_server() as server:
            farm = LocalFleet(server, work, "e2e-bench", [[] for _ in range(WORKERS)], WORKERS)
            stats = ProcessStats(server.process.pid)
            try:
                for round_number in range(1, rounds + 1):
                    with OtherLoad() as other:
                        openjd_s = openjd_seconds(bin_dir / "openjd", template_path, work)
                    openjd_load = other.share(0.0, 0.0)
                    cpu_before = stats.cpu_seconds()
                    with OtherLoad() as other:
                        farm_s, job = farm.run_job(template)
                    server_cpu = stats.cpu_seconds() - cpu_before
                    succeeded = job["taskRunStatusCounts"].get("SUCCEEDED", 0)
                    if job["taskRunStatus"] != "SUCCEEDED" or succeeded != tasks:
                        raise RuntimeError(f"the job ended {job['taskRunStatus']} with {succeeded} SUCCEEDED")
                    ratios.append(farm_s / openjd_s)
                    rows.append([round_number, f"{openjd_s:.2f}", f"{tasks / openjd_s:,.0f}", f"{farm_s:.2f}",
                                 f"{tasks / farm_s:,.0f}", f"{farm_s / openjd_s:.2f}",
                                 f"{server_cpu / tasks * 1e3:.2f} ms", f"{openjd_load:.0%}",
                                 f"{other.share(server_cpu, 0.0):.0%}"])
            finally:
                farm.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(["round", "openjd run s", "tasks/s", "farmstead s", "tasks/s", "farmstead / openjd",
                 "server CPU/task", "machine busy (openjd)", "others' load (farmstead)"], rows))
    if getattr(args, "slurm", False):
        slurm = _slurm_seconds(tasks, Path(tempfile.gettempdir()))
        if isinstance(slurm, str):
            print(f"Slurm: not measured: {slurm}")
        else:
            farm_median = statistics.median(float(row[3]) for row in rows)
            print(f"Slurm array job of {tasks:,} tasks: {slurm:.2f} s ({tasks / slurm:,.0f} tasks/s); "
                  f"farmstead / slurm = {farm_median / slurm:.2f} (farmstead's median time)")
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"end_to_end: farmstead / openjd run = {ratio:.2f} (median of {len(ratios)}); target <= {TARGET} {verdict}")
    print(json.dumps({"ratio": round(ratio, 3)}))
