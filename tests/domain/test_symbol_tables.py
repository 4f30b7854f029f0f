"""The EXPR extension's resolved symbol tables of a job (domain/symbol_tables.py)."""

from __future__ import annotations

import json

from farmstead.domain.symbol_tables import resolved_tables, uses_expr

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "extensions": ["EXPR"], "name": "shot {{Param.Shot}}",
    "parameterDefinitions": [{"name": "Shot", "type": "STRING"}, {"name": "Frames", "type": "INT", "default": 10}],
    "steps": [
        {"name": "Render", "let": ["last = Param.Frames - 1", "label = Param.Shot + '_v2'"],
         "script": {"actions": {"onRun": {"command": "echo", "args": ["{{last}} {{label}}"]}}}},
        {"name": "Encode", "script": {"actions": {"onRun": {"command": "echo"}}}},
    ],
}
QUEUE_ENVIRONMENT = {"specificationVersion": "environment-2023-09", "parameterDefinitions": [
    {"name": "Site", "type": "STRING", "default": "north"}], "environment": {"name": "Site", "variables": {"S": "x"}}}


def symbols(text: str) -> dict[str, str]:
    return {entry["name"]: entry["value"] for entry in json.loads(text)}


def test_each_step_gets_the_job_scope_its_name_and_its_own_let_values():
    tables = resolved_tables(TEMPLATE, {"Shot": {"string": "sh010"}, "Frames": {"int": "24"}})
    job = {"Job.Name": "shot sh010", "Param.Shot": "sh010", "RawParam.Shot": "sh010", "Param.Frames": "24",
           "RawParam.Frames": "24"}
    assert symbols(tables.job) == job
    assert symbols(tables.steps["Render"]) == {**job, "Step.Name": "Render", "last": "23", "label": "sh010_v2"}
    assert symbols(tables.steps["Encode"]) == {**job, "Step.Name": "Encode"}


def test_defaults_and_the_queue_environments_parameters_are_in_the_job_scope():
    tables = resolved_tables(TEMPLATE, {"Shot": {"string": "sh020"}}, [QUEUE_ENVIRONMENT])
    job = symbols(tables.job)
    assert job["Param.Frames"] == "10" and job["Param.Site"] == "north"
    assert symbols(tables.steps["Render"])["last"] == "9"


def test_only_templates_enabling_expr_get_tables():
    assert uses_expr(TEMPLATE)
    assert not uses_expr({**TEMPLATE, "extensions": ["TASK_CHUNKING"]}) and not uses_expr({"name": "plain"})
