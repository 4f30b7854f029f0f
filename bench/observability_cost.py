"""observability_cost: what the Prometheus metrics and the event outbox cost dispatch, A/B in one run (issue 20).

Owns: tasks/s by 16 scripted workers on UpdateWorkerSchedule (bench.dispatch.measure on SQLite, a
fresh server and job each time), three servers one after another, on / off / on, so a drift of the
machine's load over the run weighs on both sides alike (the "on" figure is the mean of the two around
the "off" one). "On" is the server as shipped: every API request, transaction and dispatch counted
into the metrics registry; each status change of the job and its step noted and written to the event
outbox; the webhook delivery thread running. "Off" has both switched off (FARMSTEAD_METRICS=0,
FARMSTEAD_EVENTS=0). Nobody scrapes during the run: a scrape's own cost is bench metrics_scrape's
(under 5 ms per scrape interval, 15 s by default). Figures: tasks/s and server CPU per task of each
run, the ratios on/off, others' load. Target (issue 20): at most 10 % of dispatch throughput at 16
workers. Under a minute: each server's set-up (16 workers, a job materialized) takes most of it.
Must not: change what the servers do beyond those two settings.
"""

from __future__ import annotations

import argparse

from bench import dispatch
from bench.figures import table

DESCRIPTION = ("metrics + event outbox on vs off: dispatch tasks/s at 16 workers, on/off/on in one run "
               "(target cost <= 10 %)")
OFF = {"FARMSTEAD_METRICS": "0", "FARMSTEAD_EVENTS": "0"}
ORDER = ("on", "off", "on")
WORKERS = 16
TASKS, SECONDS = 4_000, 4.0
QUICK_TASKS, QUICK_SECONDS = 2_000, 2.5
TARGET_COST = 0.10


def run(args: argparse.Namespace) -> None:
    tasks, seconds = (QUICK_TASKS, QUICK_SECONDS) if args.quick else (TASKS, SECONDS)
    print(f"  dispatch: {WORKERS} workers on SQLite, {' / '.join(ORDER)} ({tasks:,} tasks, at most {seconds:.1f} s "
          f"each); off: {', '.join(f'{k}={v}' for k, v in OFF.items())}")
    rows, rates, cpu = [], {"on": [], "off": []}, {"on": [], "off": []}
    others = 0.0
    for name in ORDER:
        m = dispatch.measure("sqlite", WORKERS, tasks, seconds, env=OFF if name == "off" else {})
        if not m.check.startswith("yes"):
            raise SystemExit(f"observability_cost: dispatch ran a task other than exactly once: {m.check}")
        per_task = m.server_cpu_s / m.succeeded * 1e6 if m.succeeded else float("nan")
        rates[name].append(m.tasks_per_s)
        cpu[name].append(per_task)
        others = max(others, m.other_load)
        rows.append([name, f"{m.succeeded:,}", f"{m.seconds:.1f}", f"{m.tasks_per_s:,.0f}", f"{per_task:,.0f} µs",
                     f"{m.other_load:.0%}", m.check])
        print(f"    {name}: {m.tasks_per_s:,.0f} tasks/s, {per_task:,.0f} µs of server CPU per task", flush=True)
    on_rate, on_cpu = sum(rates["on"]) / len(rates["on"]), sum(cpu["on"]) / len(cpu["on"])
    kept, cpu_ratio = on_rate / rates["off"][0], on_cpu / cpu["off"][0]
    print()
    print(table(["metrics + outbox", "tasks done", "s", "tasks/s", "server CPU/task", "others' load",
                 "each task exactly once"], rows))
    print(f"\n  on ÷ off: tasks/s {kept:.3f}, server CPU per task {cpu_ratio:.3f} (\"on\": the mean of the two "
          f"runs around \"off\"); others used up to {others:.0%} of the machine")
    print(f"with metrics and the event outbox on, dispatch keeps {kept:.1%} of its throughput; target cost "
          f"<= {TARGET_COST:.0%}: {'met' if kept >= 1 - TARGET_COST else 'NOT met'}")
