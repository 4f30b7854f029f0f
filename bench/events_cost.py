"""events_cost: what the event outbox costs dispatch while a subscription wants every event, measured
A/B in one run (issue 20).

Owns: tasks/s by 16 scripted workers on UpdateWorkerSchedule (bench.dispatch.measure on SQLite, a
fresh server and job each time), PAIRS pairs of two fresh servers side by side, in alternating order:
one with a webhook subscription to every detail-type (Task Run Status Change included: one outbox row
per task move, docs/events.md) POSTed to a receiver on loopback that acknowledges each, and one with
no subscription (the job and step events are still written; per-task ones are not). Figures: per-pair
ratios on/off of tasks/s and server CPU per task, their median and spread, and others' load. Target
(issue 20): < 10 % of dispatch throughput at 16 workers.
Must not: change what the servers do beyond that one subscription.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench import dispatch
from bench.figures import median, spread, table
from bench.launcher import LiveServer

DESCRIPTION = "event outbox with every event wanted vs none: dispatch tasks/s at 16 workers, A/B (target cost < 10 %)"
SETTINGS: dict[str, dict[str, str]] = {"on": {}, "off": {}}
PAIRS, QUICK_PAIRS = 3, 1
TARGET_COST = 0.10


class _Acknowledging(BaseHTTPRequestHandler):
    """Reads each event and answers 204: a receiver that keeps up."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Acknowledging)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/events"
    finally:
        server.shutdown()
        server.server_close()


def run(args: argparse.Namespace) -> None:
    pairs = QUICK_PAIRS if args.quick else PAIRS
    tasks, seconds = (3_000, 5.0) if args.quick else (dispatch.TASKS, dispatch.SECONDS)
    print(f"  dispatch: {pairs} pairs of 16-worker runs on SQLite ({tasks:,} tasks, at most {seconds:.0f} s each)")
    with _receiver() as url:
        def subscribe(server: LiveServer, farm_id: str) -> None:
            server.cli("events", "subscribe", "--farm-id", farm_id, "--url", url, "--secret", "bench")

        paired = dispatch.on_off_pairs("events_cost", SETTINGS, pairs, tasks, seconds, prepare={"on": subscribe})
    ratios, cpu_ratios = [p[0] for p in paired], [p[1] for p in paired]
    print()
    print(table(["measure", "on ÷ off (median)", "per pair", "server CPU/task on ÷ off", "per pair",
                 "others' load (max)"],
                [["dispatch tasks/s (16 workers)", f"{median(ratios):.3f}", spread(ratios),
                  f"{median(cpu_ratios):.3f}", spread(cpu_ratios), f"{max(p[2] for p in paired):.0%}"]]))
    kept = median(ratios)
    print(f"with every event wanted, dispatch keeps {kept:.1%} of its throughput (median ratio); target cost "
          f"< {TARGET_COST:.0%}: {'met' if kept > 1 - TARGET_COST else 'NOT met'}")
