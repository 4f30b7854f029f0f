"""slots: N trivial tasks on one `farmstead worker --slots 2` vs two single-slot workers vs `openjd run`.

Owns: one template (one step, `Frame` 1-N, onRun `true`) run three ways on the same machine, in the same
run: (a) `openjd run` of openjd-cli (every task in one local session, no server), in its own venv
under `.e2e-venvs/` as the tests install it; (b) one `farmstead worker --slots 2` process (two slot
workers) on a fleet of its own; (c) two `farmstead worker` processes on another fleet of the same
server. Both farms are STARTED and idle before timing; each job is created with CreateJob and GetJob
polled every 50 ms until SUCCEEDED. The figures are (b) / (c), target about 1.0 (a slot is a worker:
one command must cost nothing against two), and (b) / (a). The three run alternately, ROUNDS times,
(b) and (c) taking turns at going first. Beside each wall time, the CPU seconds per task the job cost
(the server's, plus the fleet's worker processes and everything under them): on a busy machine wall
time swings with the other load, and (on this virtual machine) CPU time with it, so the UpdateWorkerSchedule
calls per task are counted too (the server's GET /metrics): the protocol work, which load does not change.
Must not: change the server or the worker; count setup (server start, workers starting) in (b) or (c).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from bench.farm_setup import frame_template
from bench.figures import table
from bench.launcher import ProcessStats, requests_answered, running_server
from bench.local_fleet import LocalFleet, openjd_seconds
from bench.machine import OtherLoad

# The venv installer the end-to-end tests use for the official clients (a test-private helper: bench, like
# the tests, runs from the checkout).
from tests.support.official_clients import client_venv

DESCRIPTION = "1,000 trivial tasks: one `farmstead worker --slots 2` vs two workers vs `openjd run`"
OPENJD_CLI = "openjd-cli==0.8.0"
TASKS = 1000
ROUNDS = 3


def run(args: argparse.Namespace) -> None:
    tasks = 100 if args.quick else TASKS
    rounds = 1 if args.quick else ROUNDS
    bin_dir, reason = client_venv("openjd-cli", OPENJD_CLI)
    if bin_dir is None:
        print(f"slots skipped: {reason}")
        return
    work = Path(tempfile.mkdtemp(prefix="farmstead-slots-bench-"))
    template = frame_template(tasks)
    template_path = work / "template.json"
    template_path.write_text(template)
    print(f"{tasks:,} tasks (onRun `true`), {rounds} round(s), {OPENJD_CLI}; Farmstead's time is CreateJob → "
          "GetJob says SUCCEEDED (polled every 50 ms), workers already idle")
    rows, slot_vs_two, slot_vs_openjd, cpu_slot_vs_two, calls_slot_vs_two = [], [], [], [], []
    try:
        with running_server() as server:
            assert server.process is not None
            server_stats = ProcessStats(server.process.pid)
            slotted = LocalFleet(server, work, "slots", [["--slots", "2"]], idle_workers=2)
            separate = LocalFleet(server, work, "two", [[], []], idle_workers=2)
            try:
                for round_number in range(1, rounds + 1):
                    with OtherLoad() as openjd_load:
                        openjd_s = openjd_seconds(bin_dir / "openjd", template_path, work)
                    # The two farms take turns going first: a job run right after another's must not
                    # always be the same one.
                    timed: dict[str, tuple[float, float, float, OtherLoad]] = {}
                    for name in (("slots", "two") if round_number % 2 else ("two", "slots")):
                        fleet = slotted if name == "slots" else separate
                        cpu_before = server_stats.cpu_seconds() + fleet.cpu_seconds()
                        calls_before = requests_answered(server, "UpdateWorkerSchedule")
                        with OtherLoad() as load:
                            seconds, job = fleet.run_job(template)
                        cpu = server_stats.cpu_seconds() + fleet.cpu_seconds() - cpu_before
                        calls = requests_answered(server, "UpdateWorkerSchedule") - calls_before
                        if job["taskRunStatus"] != "SUCCEEDED":
                            raise RuntimeError(f"the job ended {job['taskRunStatus']}")
                        timed[name] = (seconds, cpu, calls, load)
                    (slots_s, slots_cpu, slots_calls, slots_load) = timed["slots"]
                    (two_s, two_cpu, two_calls, two_load) = timed["two"]
                    slot_vs_two.append(slots_s / two_s)
                    slot_vs_openjd.append(slots_s / openjd_s)
                    cpu_slot_vs_two.append(slots_cpu / two_cpu)
                    calls_slot_vs_two.append(slots_calls / two_calls)
                    rows.append([round_number, f"{openjd_s:.2f}", f"{slots_s:.2f}", f"{two_s:.2f}",
                                 f"{tasks / slots_s:,.0f}", f"{slots_s / two_s:.2f}", f"{slots_s / openjd_s:.2f}",
                                 f"{1000 * slots_cpu / tasks:.1f}", f"{1000 * two_cpu / tasks:.1f}",
                                 f"{slots_cpu / two_cpu:.2f}", f"{slots_calls / tasks:.2f}", f"{two_calls / tasks:.2f}",
                                 f"{max(load.share(0.0) for load in (openjd_load, slots_load, two_load)):.0%}"])
            finally:
                slotted.stop()
                separate.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(["round", "openjd run s", "--slots 2 s", "2 workers s", "--slots 2 tasks/s", "slots / 2 workers",
                 "slots / openjd", "--slots 2 CPU ms/task", "2 workers CPU ms/task", "slots / 2 workers CPU",
                 "--slots 2 calls/task", "2 workers calls/task", "machine busy (max)"], rows))
    ratio, versus_openjd = statistics.median(slot_vs_two), statistics.median(slot_vs_openjd)
    cpu_ratio, calls_ratio = statistics.median(cpu_slot_vs_two), statistics.median(calls_slot_vs_two)
    print(f"slots: --slots 2 / two workers = {ratio:.2f} in wall time, {cpu_ratio:.2f} in CPU time, "
          f"{calls_ratio:.2f} in UpdateWorkerSchedule calls; "
          f"--slots 2 / openjd run = {versus_openjd:.2f} (medians of {len(rows)})")
    print(json.dumps({"slots_vs_two_workers": round(ratio, 3), "slots_vs_two_workers_cpu": round(cpu_ratio, 3),
                      "slots_vs_two_workers_calls": round(calls_ratio, 3),
                      "slots_vs_openjd": round(versus_openjd, 3)}))
