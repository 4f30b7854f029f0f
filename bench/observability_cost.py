"""observability_cost: what the Prometheus metrics and the event outbox cost dispatch, A/B in one run (issue 20).

Owns: tasks/s by 16 scripted workers on UpdateWorkerSchedule (bench.dispatch.measure on SQLite, a
fresh server and job each time), PAIRS pairs of two fresh servers side by side, in alternating order:
one as shipped (every API request, transaction and dispatch counted into the metrics registry; each
status change of the job and its step noted and written to the event outbox, the webhook delivery
thread running) and one with both off (FARMSTEAD_METRICS=0, FARMSTEAD_EVENTS=0). Nobody scrapes during
the run: a scrape's own cost is bench metrics_scrape's (under 5 ms every scrape interval, 15 s by
default). Figures: per-pair ratios on/off of tasks/s and server CPU per task, their median and spread,
and others' load. Target (issue 20): at most 10 % of dispatch throughput at 16 workers.
Must not: change what the servers do beyond those two settings.
"""

from __future__ import annotations

import argparse

from bench import dispatch
from bench.figures import median, spread, table

DESCRIPTION = "metrics + event outbox on vs off: dispatch tasks/s at 16 workers, A/B in one run (target cost <= 10 %)"
SETTINGS = {"on": {}, "off": {"FARMSTEAD_METRICS": "0", "FARMSTEAD_EVENTS": "0"}}
PAIRS, QUICK_PAIRS = 2, 1
#: Shorter than dispatch's own runs: the whole benchmark stays under a minute (two pairs of 8 s windows
#: plus each server's set-up).
TASKS, SECONDS = 8_000, 8.0
QUICK_TASKS, QUICK_SECONDS = 3_000, 4.0
TARGET_COST = 0.10


def run(args: argparse.Namespace) -> None:
    pairs = QUICK_PAIRS if args.quick else PAIRS
    tasks, seconds = (QUICK_TASKS, QUICK_SECONDS) if args.quick else (TASKS, SECONDS)
    print(f"  dispatch: {pairs} pairs of 16-worker runs on SQLite ({tasks:,} tasks, at most {seconds:.0f} s each); "
          f"off: {', '.join(f'{k}={v}' for k, v in SETTINGS['off'].items())}")
    paired = dispatch.on_off_pairs("observability_cost", SETTINGS, pairs, tasks, seconds)
    ratios, cpu_ratios = [p[0] for p in paired], [p[1] for p in paired]
    print()
    print(table(["measure", "on ÷ off (median)", "per pair", "server CPU/task on ÷ off", "per pair",
                 "others' load (max)"],
                [["dispatch tasks/s (16 workers)", f"{median(ratios):.3f}", spread(ratios),
                  f"{median(cpu_ratios):.3f}", spread(cpu_ratios), f"{max(p[2] for p in paired):.0%}"]]))
    kept = median(ratios)
    print(f"with metrics and the event outbox on, dispatch keeps {kept:.1%} of its throughput (median ratio); "
          f"target cost <= {TARGET_COST:.0%}: {'met' if kept >= 1 - TARGET_COST else 'NOT met'}")
