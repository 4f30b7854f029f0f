"""`python -m bench all` runs every benchmark; `python -m bench NAME` runs one.

Owns: the command line, the machine line printed before any figure, and the order of benchmarks.
Must not: hold a benchmark's logic (each lives in its own module with `DESCRIPTION` and `run(args)`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import (
    admission_cost,
    api_rps,
    concurrency,
    create_job_scaling,
    dispatch,
    end_to_end,
    events_cost,
    fan_outs,
    fleet_size_cost,
    get_job_flatness,
    heartbeats,
    idle_latency,
    metrics_scrape,
    observability_cost,
    render,
    request_path,
    self_managing_cost,
    slots,
    web_pages,
)
from bench.figures import table
from bench.machine import busy_share, describe, server_source, wrk_version

#: Other work using more than this share of the CPUs before a run makes its timings unreliable.
BUSY_WARNING = 0.2

BENCHMARKS = {
    "create_job_scaling": create_job_scaling,
    "get_job_flatness": get_job_flatness,
    "dispatch": dispatch,
    "heartbeats": heartbeats,
    "api_rps": api_rps,
    "request_path": request_path,
    "end_to_end": end_to_end,
    "slots": slots,
    "idle_latency": idle_latency,
    "fan_outs": fan_outs,
    "concurrency": concurrency,
    "admission_cost": admission_cost,
    "self_managing_cost": self_managing_cost,
    "events_cost": events_cost,
    "render": render,
    "web_pages": web_pages,
    "metrics_scrape": metrics_scrape,
    "observability_cost": observability_cost,
    "fleet_size_cost": fleet_size_cost,
}

#: Run only when named, with what each takes on this project's 2-core machine (docs/benchmarks.md):
#: `make bench` (`all`) must stay under 15 minutes, and these are the long, specialised runs. The
#: rest of `all` is ~12 minutes by the same figures. `all` prints each benchmark's seconds and the total.
BY_NAME_ONLY = {
    "idle_latency": "~11 minutes: 50 idle gaps of up to 10 s, hold on and off",
    "heartbeats": "~3.5 minutes per setup: 7,500 workers set up and held (~7 more with PostgreSQL)",
    "slots": "~1.5 minutes: three ways of running 1,000 tasks, 3 rounds",
    "fan_outs": "~2.5 minutes: a 10^6-task job, SQLite and PostgreSQL",
    "concurrency": "~3 minutes: 200 clients against each store",
    "events_cost": "~2 minutes: dispatch with and without the event outbox",
    "render": "~4.5 minutes: 12 Blender frames, by hand and on the farm, 3 rounds",
    "web_pages": "~2 minutes: a 100,000-task job and a 10,000-job queue set up",
    "metrics_scrape": "~4-7 minutes: 1,000 jobs of 1,000 tasks and 7,500 workers set up",
}


def _parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<20} {module.DESCRIPTION}"
                         + (f" (not in all: {BY_NAME_ONLY[name]})" if name in BY_NAME_ONLY else "")
                         for name, module in BENCHMARKS.items())
    parser = argparse.ArgumentParser(
        prog="python -m bench", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Benchmarks of a real `farmstead server` on loopback, each on its own fresh server "
                    "and temp data dir. Ratios measured side by side in one run are the figures; "
                    "absolute numbers depend on the machine and its noise.",
        epilog=f"benchmarks:\n{listing}")
    parser.add_argument("name", choices=["all", *BENCHMARKS], help="a benchmark, or all of them")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when installed (auto), or the Python asyncio client")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and fewer, shorter rounds: a smoke run, not figures to quote")
    parser.add_argument("--slurm", action="store_true",
                        help="end_to_end also runs the tasks as a Slurm array job on the local Slurm "
                             "(make bench-slurm sets one up; ~7 minutes more for 1,000 tasks)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Servers start as a studio's do, `python -m farmstead server` each, never forked from the test
    # suite's zygote (farmstead/testing/zygote.py): a figure must not depend on a heap shared with it.
    os.environ.setdefault("FARMSTEAD_TEST_ZYGOTE", "0")
    names = [name for name in BENCHMARKS if name not in BY_NAME_ONLY] if args.name == "all" else [args.name]
    busy = busy_share()
    print(f"machine: {describe(busy)}")
    if busy > BUSY_WARNING:
        print(f"WARNING: more than {BUSY_WARNING:.0%} of the CPU is busy with other work; latency and "
              "throughput figures will be noisy (server CPU per request much less so)")
    print(f"server: {server_source()}")
    print(f"wrk: {wrk_version() or 'not installed (the Python client is used)'}\n", flush=True)
    took: dict[str, float] = {}
    for name in names:
        started = time.monotonic()
        print(f"== {name}: {BENCHMARKS[name].DESCRIPTION}", flush=True)
        BENCHMARKS[name].run(args)
        took[name] = time.monotonic() - started
        print(f"== {name} took {took[name]:.0f} s\n", flush=True)
    if len(took) > 1:
        print(table(["benchmark", "seconds"], [[name, f"{seconds:.0f}"] for name, seconds in took.items()]
                    + [["total", f"{sum(took.values()):.0f} ({sum(took.values()) / 60:.1f} minutes)"]]))
        if args.name == "all":
            print(f"not in all (run each by name): {', '.join(BY_NAME_ONLY)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
