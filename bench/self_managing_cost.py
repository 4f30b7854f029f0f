"""self_managing_cost: what the bad-worker rules cost dispatch, measured A/B in one run (issue 18).

Owns: tasks/s by 16 scripted workers on UpdateWorkerSchedule (bench.dispatch.measure on SQLite, a
fresh server and job each time), PAIRS pairs of two fresh servers side by side, in alternating order:
one with the rules at their defaults (the blocklist probe in dispatch's candidate query, "fail a task
once" in the claim) and one without (FARMSTEAD_BAD_WORKER_RULES=0). No task fails in the run: what is
measured is what every dispatch pays for the checks. Figures: per-pair ratios on/off of tasks/s and
server CPU per task, their median and spread, and others' load. Target (issue 18): the checks cost
< 10 % of dispatch throughput at 16 workers.
Must not: change what the servers do beyond that one setting.
"""

from __future__ import annotations

import argparse

from bench import dispatch
from bench.figures import median, spread, table

DESCRIPTION = "bad-worker rules on vs off: dispatch tasks/s at 16 workers, A/B in one run (target cost < 10 %)"
SETTINGS = {"on": {}, "off": {"FARMSTEAD_BAD_WORKER_RULES": "0"}}
PAIRS, QUICK_PAIRS = 3, 1
TARGET_COST = 0.10


def run(args: argparse.Namespace) -> None:
    pairs = QUICK_PAIRS if args.quick else PAIRS
    tasks, seconds = (3_000, 5.0) if args.quick else (dispatch.TASKS, dispatch.SECONDS)
    print(f"  dispatch: {pairs} pairs of 16-worker runs on SQLite ({tasks:,} tasks, at most {seconds:.0f} s each)")
    paired = dispatch.on_off_pairs("self_managing_cost", SETTINGS, pairs, tasks, seconds)
    ratios, cpu_ratios = [p[0] for p in paired], [p[1] for p in paired]
    print()
    print(table(["measure", "on ÷ off (median)", "per pair", "server CPU/task on ÷ off", "per pair",
                 "others' load (max)"],
                [["dispatch tasks/s (16 workers)", f"{median(ratios):.3f}", spread(ratios),
                  f"{median(cpu_ratios):.3f}", spread(cpu_ratios), f"{max(p[2] for p in paired):.0%}"]]))
    kept = median(ratios)
    print(f"with the bad-worker rules on, dispatch keeps {kept:.1%} of its throughput (median ratio); target cost "
          f"< {TARGET_COST:.0%}: {'met' if kept > 1 - TARGET_COST else 'NOT met'}")
