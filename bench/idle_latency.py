"""idle_latency: how soon an idle farm runs a one-task job, and what its idle workers cost the server.

Owns two figures, each on a fresh server (embedded store) per setting, in the same run:
(a) latency: a 1-task trivial job (onRun `true`) on an idle farm of WORKERS `farmstead worker`
    processes, CreateJob → GetJob says SUCCEEDED (polled every 20 ms), SUBMISSIONS times with idle
    gaps of 0-10 s between them (seeded random, the same gaps for every setting): p50 and p99, and
    p50 ÷ `openjd run` of the same template (median of OPENJD_RUNS). Target p50 <= 0.15 s, p99 <= 0.4 s.
(b) idle cost: IDLE_WORKERS scripted idle workers (threads calling UpdateWorkerSchedule the way an
    agent does: call, sleep the interval it was told, call again) for COST_SECONDS, and the server's
    CPU seconds per second meanwhile; then the same with a 1-task job created every
    JOB_EVERY_SECONDS (each wakes as many held workers as it has tasks; before that fix, every held
    worker of the fleet: the herd), with the schedule answers per second (the herd shows there).
    `python -m bench.idle_latency herd` runs only the second part (hold on and off, ~1.5 minutes);
    `python -m bench.idle_latency latency 20 5` only (a) with the hold on, over 20 gaps of 0-5 s.
Each runs with the schedule hold on (the server's default, docs/protocol.md "Held schedule calls")
and off (FARMSTEAD_SCHEDULE_HOLD_SECONDS=0: every idle call answered at once, as before the hold).
Run with PYTHONPATH pointing at another checkout's src to measure that checkout's server and worker.
Must not: change the server or the worker; count setup (server start, workers starting).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from bench.end_to_end import OPENJD_CLI, WORKERS
from bench.farm_setup import frame_template
from bench.figures import table
from bench.launcher import ADMIN_KEY_ID, ADMIN_SECRET, REGION, ProcessStats, running_server
from bench.local_fleet import LocalFleet, openjd_seconds
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.worker.schedule import ask_to_be_held
from tests.support.official_clients import client_venv

DESCRIPTION = ("1-task job on an idle 2-worker farm, CreateJob → SUCCEEDED over 50 submissions (p50 <= 0.15 s, "
               "p99 <= 0.4 s), and idle workers' server CPU, schedule hold on vs off")
SUBMISSIONS = 50
MAX_GAP_SECONDS = 10.0
SEED = 19
OPENJD_RUNS = 5
IDLE_WORKERS = 200
COST_SECONDS = 30.0
#: The herd: how often a job wakes every held worker of the fleet in the cost figure's second part.
JOB_EVERY_SECONDS = 2.0
TARGET_P50, TARGET_P99 = 0.15, 0.4
SETTINGS = {"hold on": {}, "hold off": {"FARMSTEAD_SCHEDULE_HOLD_SECONDS": "0"}}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latencies(settings: dict[str, str], template: str, gaps: list[float], work: Path) -> list[float]:
    seconds = []
    with running_server(settings) as server:
        farm = LocalFleet(server, work, "idle-latency", [[] for _ in range(WORKERS)], WORKERS)
        try:
            for gap in gaps:
                time.sleep(gap)
                took, job = farm.run_job(template, poll_seconds=0.02)
                if job["taskRunStatus"] != "SUCCEEDED":
                    raise RuntimeError(f"the job ended {job['taskRunStatus']}")
                seconds.append(took)
        finally:
            farm.stop()
    return seconds


def _idle_cpu(settings: dict[str, str], workers: int, seconds: float,
              job_every: float | None = None) -> tuple[float, float]:
    """The server's CPU seconds per second while `workers` idle scripted workers call it as agents do,
    and their UpdateWorkerSchedule answers per second; with `job_every`, a 1-task job is created that
    often meanwhile (it wakes as many held workers as it has tasks; the one that takes it keeps its
    session open and is answered at once from then on)."""
    with running_server(settings) as server:
        session = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                        region_name=REGION)
        client = session.client("deadline", endpoint_url=server.endpoint, config=Config(
            inject_host_prefix=False, retries={"max_attempts": 1}, max_pool_connections=workers + 4))
        ask_to_be_held(client)  # as Farmstead's worker does; the server's setting decides whether it holds
        farm_id = client.create_farm(displayName="idle cost")["farmId"]
        fleet_id = client.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                       maxWorkerCount=workers, configuration=LINUX_FLEET)["fleetId"]
        queue_id = client.create_queue(farmId=farm_id, displayName="q")["queueId"]
        client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        scripted = [ScriptedWorker(client, farm_id, fleet_id) for _ in range(workers)]
        stop = threading.Event()
        answers = [0] * workers  # each thread counts its own: no lock on the hot path

        def idle(index: int, worker: ScriptedWorker) -> None:
            stop.wait(random.random() * 2)  # spread out, as agents started at different times are
            while not stop.is_set():
                try:
                    interval = worker.poll()["updateIntervalSeconds"]
                except EndpointConnectionError:
                    if stop.is_set():
                        return  # a call begun just as the run ended, after the server stopped
                    raise
                answers[index] += 1
                stop.wait(interval)

        threads = [threading.Thread(target=idle, args=(index, worker), daemon=True)
                   for index, worker in enumerate(scripted)]
        for thread in threads:
            thread.start()
        time.sleep(5)  # every worker in its rhythm
        stats = ProcessStats(server.process.pid)
        before, answered_before = stats.cpu_seconds(), sum(answers)
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            if job_every is None:
                time.sleep(left)
                continue
            client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                              template=frame_template(1))
            time.sleep(min(job_every, max(0.0, until - time.monotonic())))
        used, answered = stats.cpu_seconds() - before, sum(answers) - answered_before
        stop.set()
        server.stop()  # releases held calls at once
        for thread in threads:
            thread.join(timeout=30)
    return used / seconds, answered / seconds


def run(args: argparse.Namespace) -> None:
    submissions = 10 if args.quick else SUBMISSIONS
    max_gap = 2.0 if args.quick else MAX_GAP_SECONDS
    cost_seconds = 10.0 if args.quick else COST_SECONDS
    bin_dir, reason = client_venv("openjd-cli", OPENJD_CLI)
    if bin_dir is None:
        print(f"idle_latency skipped: {reason}")
        return
    work = Path(tempfile.mkdtemp(prefix="farmstead-idle-bench-"))
    template = frame_template(1)
    template_path = work / "template.json"
    template_path.write_text(template)
    rng = random.Random(SEED)
    gaps = [rng.uniform(0, max_gap) for _ in range(submissions)]
    openjd = statistics.median(openjd_seconds(bin_dir / "openjd", template_path, work) for _ in range(OPENJD_RUNS))
    print(f"1-task job (onRun `true`), {WORKERS} farmstead workers idle, {submissions} submissions after idle gaps "
          f"of 0-{max_gap:.0f} s (seed {SEED}); `openjd run` of the same template: {openjd:.3f} s "
          f"(median of {OPENJD_RUNS})")
    rows, figures = [], {}
    for name, settings in SETTINGS.items():
        run_dir = work / name.replace(" ", "-")
        run_dir.mkdir()
        seconds = _latencies(settings, template, gaps, run_dir)
        p50, p99 = statistics.median(seconds), _percentile(seconds, 0.99)
        figures[name] = {"p50": round(p50, 3), "p99": round(p99, 3), "p50_vs_openjd": round(p50 / openjd, 2)}
        rows.append([name, f"{p50:.3f}", f"{p99:.3f}", f"{min(seconds):.3f}", f"{max(seconds):.3f}",
                     f"{p50 / openjd:.2f}"])
    print(table(["setting", "p50 s", "p99 s", "min s", "max s", "p50 / openjd run"], rows))
    cost_rows = []
    workers = 50 if args.quick else IDLE_WORKERS
    for job_every in (None, JOB_EVERY_SECONDS):
        for name, settings in SETTINGS.items():
            cpu, answers = _idle_cpu(settings, workers, cost_seconds, job_every)
            suffix = "" if job_every is None else f"_job_every_{job_every:g}s"
            figures[name][("idle_cpu_per_s" if job_every is None else "cpu_per_s") + suffix] = round(cpu, 4)
            figures[name]["answers_per_s" + suffix] = round(answers, 1)
            cost_rows.append([name, "none" if job_every is None else f"one every {job_every:g} s",
                              f"{cpu * 1e3:.1f} ms/s", f"{cpu / workers * 1e6:.0f} µs/s", f"{answers:.1f}"])
    print(f"{workers} idle scripted workers (interval 2 s) for {cost_seconds:.0f} s: the server's CPU")
    print(table(["setting", "1-task jobs", "server CPU", "per worker", "schedule answers/s"], cost_rows))
    on = figures["hold on"]
    verdict = "met" if on["p50"] <= TARGET_P50 and on["p99"] <= TARGET_P99 else "NOT met"
    print(f"idle_latency: p50 {on['p50']:.3f} s, p99 {on['p99']:.3f} s with the hold; "
          f"target p50 <= {TARGET_P50}, p99 <= {TARGET_P99} {verdict}")
    print(json.dumps(figures))


def herd() -> None:
    """Only (b)'s part with jobs: IDLE_WORKERS held workers and a 1-task job every JOB_EVERY_SECONDS."""
    rows = []
    for name, settings in SETTINGS.items():
        cpu, answers = _idle_cpu(settings, IDLE_WORKERS, COST_SECONDS, JOB_EVERY_SECONDS)
        rows.append([name, f"{cpu * 1e3:.1f} ms/s", f"{answers:.1f}"])
    print(f"{IDLE_WORKERS} idle scripted workers, a 1-task job every {JOB_EVERY_SECONDS:g} s for {COST_SECONDS:.0f} s")
    print(table(["setting", "server CPU", "schedule answers/s"], rows))


def short_latency(submissions: int, max_gap: float) -> None:
    """Only (a) with the hold on, over fewer and shorter idle gaps (same seed): to compare checkouts."""
    work = Path(tempfile.mkdtemp(prefix="farmstead-idle-bench-"))
    rng = random.Random(SEED)
    gaps = [rng.uniform(0, max_gap) for _ in range(submissions)]
    seconds = _latencies(SETTINGS["hold on"], frame_template(1), gaps, work)
    print(f"hold on, {submissions} submissions after idle gaps of 0-{max_gap:g} s (seed {SEED}): "
          f"p50 {statistics.median(seconds):.3f} s, p99 {_percentile(seconds, 0.99):.3f} s, "
          f"min {min(seconds):.3f} s, max {max(seconds):.3f} s")


if __name__ == "__main__":
    import sys

    match sys.argv[1:]:
        case ["herd"]:
            herd()
        case ["latency", submissions, max_gap]:
            short_latency(int(submissions), float(max_gap))
        case _:
            raise SystemExit("usage: python -m bench.idle_latency herd | latency SUBMISSIONS MAX_GAP_SECONDS "
                             "(the whole benchmark: python -m bench idle_latency)")
