"""`python -m bench all` runs every benchmark; `python -m bench NAME` runs one.

Owns: the command line, the machine line printed before any figure, and the order of benchmarks.
Must not: hold a benchmark's logic (each lives in its own module with `DESCRIPTION` and `run(args)`).
"""

from __future__ import annotations

import argparse
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

#: Run only when named: idle_latency's 50 idle gaps of up to 10 s (twice, hold on and off) take ~11
#: minutes on their own, and `make bench` must stay under 15.
BY_NAME_ONLY = frozenset({"idle_latency"})


def _parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<20} {module.DESCRIPTION}{' (not in all)' if name in BY_NAME_ONLY else ''}"
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
    names = [name for name in BENCHMARKS if name not in BY_NAME_ONLY] if args.name == "all" else [args.name]
    busy = busy_share()
    print(f"machine: {describe(busy)}")
    if busy > BUSY_WARNING:
        print(f"WARNING: more than {BUSY_WARNING:.0%} of the CPU is busy with other work; latency and "
              "throughput figures will be noisy (server CPU per request much less so)")
    print(f"server: {server_source()}")
    print(f"wrk: {wrk_version() or 'not installed (the Python client is used)'}\n", flush=True)
    for name in names:
        started = time.monotonic()
        print(f"== {name}: {BENCHMARKS[name].DESCRIPTION}", flush=True)
        BENCHMARKS[name].run(args)
        print(f"== {name} took {time.monotonic() - started:.0f} s\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
