"""docs/grafana/farmstead.json: a dashboard Grafana can import, whose every query names a metric a live
server exposes (a renamed metric breaks this test, not a studio's dashboard)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from support.scrapes import scrape
from support.worker_jobs import finish_frames, served_queue, submit

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "farmstead.json"
SCHEMA = Path(__file__).with_name("grafana_dashboard.schema.json")
#: What a PromQL expression holds besides metric names: strings, label matchers, ranges, grouping.
_NOT_NAMES = re.compile(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring)\s*\([^)]*\)')
_IDENTIFIER = re.compile(r"\b([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()")
_KEYWORDS = {"by", "without", "on", "ignoring", "bool", "and", "or", "unless", "offset"}


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _queries(dashboard: dict) -> list[str]:
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    return [target["expr"] for panel in panels for target in panel["targets"]] + \
        [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]


def metric_names(expression: str) -> set[str]:
    """The metric names an expression reads: identifiers not called as functions, once strings, label
    matchers, ranges and grouping clauses are taken out."""
    bare = _NOT_NAMES.sub(" ", expression)
    return {name for name in _IDENTIFIER.findall(bare) if name not in _KEYWORDS and not name[0].isdigit()}


def test_dashboard_has_what_grafana_needs_to_import_it():
    jsonschema.validate(_dashboard(), json.loads(SCHEMA.read_text()))


def test_metric_names_are_read_from_promql_without_functions_labels_or_ranges():
    assert metric_names('sum by (le) (rate(a_bucket{queue_id=~"$queue", x="by (y)"}[5m])) / b > 0') == \
        {"a_bucket", "b"}
    assert metric_names("label_values(farmstead_jobs, farm_id)") == {"farmstead_jobs", "farm_id"}


def test_every_metric_the_dashboard_queries_is_on_a_live_servers_metrics(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    submit(deadline, farm, "1-2")
    finish_frames(deadline, farm)  # the labelled histograms and counters have samples now
    exposed = scrape(server.endpoint).sample_names()
    variables = {"farm_id", "queue_id", "fleet_id"}  # label_values(metric, label): the label is no metric
    queried = set().union(*(metric_names(q) for q in _queries(_dashboard()))) - variables
    assert queried and queried - exposed == set()
