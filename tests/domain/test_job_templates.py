"""CreateJob planning from OpenJD templates (docs/jobs.md, Submission)."""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from itertools import islice

import pytest

from farmstead.domain.job_templates import (
    ParameterError,
    TaskQuotaExceeded,
    TemplateError,
    iter_task_parameters,
    parse_template,
    plan_job,
)

RUN = {"actions": {"onRun": {"command": "render", "args": ["{{Task.Param.Frame}}"]}}}
NOOP = {"actions": {"onRun": {"command": "true"}}}


def template(steps, **fields):
    return {"specificationVersion": "jobtemplate-2023-09", "name": fields.pop("name", "Job"), "steps": steps, **fields}


def step(name, *params, combination=None, depends_on=(), script=NOOP, **fields):
    body = {"name": name, "script": script, **fields}
    if params:
        body["parameterSpace"] = {"taskParameterDefinitions": list(params)}
        if combination:
            body["parameterSpace"]["combination"] = combination
    if depends_on:
        body["dependencies"] = [{"dependsOn": d} for d in depends_on]
    return body


def int_param(name, task_range):
    return {"name": name, "type": "INT", "range": task_range}


def chunked(task_range, size, constraint="CONTIGUOUS", **chunks):
    return {"name": "Frame", "type": "CHUNK[INT]", "range": task_range,
            "chunks": {"defaultTaskCount": size, "rangeConstraint": constraint, **chunks}}


RENDER = template(
    [step("Render", int_param("Frame", "{{Param.Frames}}"), script=RUN, description="Render each frame")],
    name="Render {{Param.Frames}} at quality {{Param.Quality}}",
    description="A Blender render",
    parameterDefinitions=[
        {"name": "Scene", "type": "PATH", "objectType": "FILE", "dataFlow": "IN"},
        {"name": "Frames", "type": "STRING", "default": "1-10", "minLength": 1, "maxLength": 20},
        {"name": "Quality", "type": "INT", "default": 5, "minValue": 1, "maxValue": 10},
        {"name": "Exposure", "type": "FLOAT", "default": 1.5, "minValue": 0, "maxValue": 4},
        {"name": "Engine", "type": "STRING", "default": "CYCLES", "allowedValues": ["CYCLES", "EEVEE"]},
    ],
)
SCENE = {"Scene": {"path": "/projects/shot/scene.blend"}}

PIPELINE = template([
    step("Setup"),
    step("Render", int_param("Frame", "1-20"), depends_on=["Setup"]),
    step("Composite", int_param("Frame", "1-20"), depends_on=["Render"]),
    step("Encode", depends_on=["Composite", "Setup"]),
])

PRODUCT = template([step(
    "Turntable", int_param("Angle", [0, 90, 180]), {"name": "Eye", "type": "STRING", "range": ["left", "right"]},
    combination="Angle * Eye")])

ASSOCIATION = template([step(
    "Shots", int_param("Frame", "1-3"), {"name": "Camera", "type": "STRING", "range": ["wide", "close", "top"]},
    {"name": "Lens", "type": "FLOAT", "range": [24, 50.5]}, {"name": "Out", "type": "PATH", "range": ["/o/a", "/o/b"]},
    combination="(Frame, Camera) * (Lens, Out)")])

CHUNKED = template([step("Render", chunked("1-100", 10))], extensions=["TASK_CHUNKING"])

ENVIRONMENTS = template(
    [step("Render", int_param("Frame", "1-2"),
          stepEnvironments=[{"name": "Scratch", "variables": {"SCRATCH": "/tmp/s"}}])],
    jobEnvironments=[{"name": "Blender", "variables": {"BLENDER_VERSION": "4.2"}}],
)

HOST_REQUIREMENTS = template([step("Render", hostRequirements={
    "amounts": [{"name": "amount.worker.vcpu", "min": 4, "max": 8}, {"name": "amount.worker.memory", "min": 2048.5}],
    "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]},
                   {"name": "attr.render", "allOf": ["Arnold", "VRay"]}]})])

QUEUE_ENVIRONMENT = {
    "specificationVersion": "environment-2023-09",
    "parameterDefinitions": [{"name": "CondaPackages", "type": "STRING", "default": "blender"},
                             {"name": "Quality", "type": "INT", "minValue": 0, "maxValue": 100}],
    "environment": {"name": "Conda", "script": {"actions": {"onEnter": {"command": "conda-setup"}}}},
}


def tasks(step_plan):
    return list(iter_task_parameters(step_plan))


# ----- parse_template -----

def test_json_and_yaml_documents_parse_to_the_same_mapping():
    yaml_text = "specificationVersion: jobtemplate-2023-09\nname: Job\nsteps:\n- name: A\n"
    expected = {"specificationVersion": "jobtemplate-2023-09", "name": "Job", "steps": [{"name": "A"}]}
    assert parse_template(yaml_text, "YAML") == expected
    assert parse_template(json.dumps(expected), "JSON") == expected


def test_yaml_sent_as_json_is_a_template_error():
    with pytest.raises(TemplateError, match="not a valid JSON document"):
        parse_template("name: Job\nsteps: []\n", "JSON")


def test_json_sent_as_yaml_is_a_template_error_naming_the_right_type():
    with pytest.raises(TemplateError, match="send templateType JSON"):
        parse_template('{"name": "Job"}', "YAML")


@pytest.mark.parametrize("text, template_type", [("- a\n- b\n", "YAML"), ("[1, 2]", "JSON"), ("just text", "YAML")])
def test_a_document_that_is_not_a_mapping_is_a_template_error(text, template_type):
    with pytest.raises(TemplateError, match="key-value pairs"):
        parse_template(text, template_type)


def test_an_unknown_template_type_is_a_template_error():
    with pytest.raises(TemplateError, match="JSON or YAML"):
        parse_template("{}", "TOML")


# ----- the job -----

def test_name_resolves_the_format_string_with_given_values_and_defaults():
    plan = plan_job(RENDER, {**SCENE, "Quality": {"int": "8"}})
    assert plan.name == "Render 1-10 at quality 8"
    assert plan.description == "A Blender render"


def test_name_and_description_overrides_win_even_when_the_description_is_empty():
    plan = plan_job(RENDER, SCENE, name_override="Shot 12", description_override="")
    assert (plan.name, plan.description) == ("Shot 12", "")


def test_parameters_hold_every_value_in_the_api_union_form_with_defaults_filled_in():
    plan = plan_job(RENDER, {**SCENE, "Frames": {"string": "1-3"}})
    assert plan.parameters == {
        "Scene": {"path": "/projects/shot/scene.blend"}, "Frames": {"string": "1-3"},
        "Quality": {"int": "5"}, "Exposure": {"float": "1.5"}, "Engine": {"string": "CYCLES"}}


def test_parameter_definitions_template_and_job_environments_are_kept_as_submitted():
    plan = plan_job(ENVIRONMENTS, {})
    assert plan.template == ENVIRONMENTS and plan.template is not ENVIRONMENTS
    assert plan.job_environments == [{"name": "Blender", "variables": {"BLENDER_VERSION": "4.2"}}]
    assert plan.steps[0].template["stepEnvironments"] == [{"name": "Scratch", "variables": {"SCRATCH": "/tmp/s"}}]
    assert plan_job(RENDER, SCENE).parameter_definitions == RENDER["parameterDefinitions"]


def test_a_template_without_parameters_or_environments_plans_empty_collections():
    plan = plan_job(PIPELINE, {})
    assert (plan.parameters, plan.parameter_definitions, plan.job_environments) == ({}, [], [])


# ----- steps -----

def test_steps_keep_template_order_names_and_dependencies():
    plan = plan_job(PIPELINE, {})
    assert [(s.index, s.name, s.dependencies) for s in plan.steps] == [
        (0, "Setup", ()), (1, "Render", ("Setup",)), (2, "Composite", ("Render",)),
        (3, "Encode", ("Composite", "Setup"))]


def test_step_template_is_the_unresolved_openjd_step_with_its_name():
    render = plan_job(RENDER, SCENE).steps[0]
    assert render.template == RENDER["steps"][0]
    assert render.template["parameterSpace"]["taskParameterDefinitions"][0]["range"] == "{{Param.Frames}}"
    assert render.description == "Render each frame"


def test_parameter_space_lists_parameters_with_api_types_and_the_combination():
    shots = plan_job(ASSOCIATION, {}).steps[0]
    assert shots.parameter_space == {
        "parameters": [{"name": "Frame", "type": "INT"}, {"name": "Camera", "type": "STRING"},
                       {"name": "Lens", "type": "FLOAT"}, {"name": "Out", "type": "PATH"}],
        "combination": "(Frame, Camera) * (Lens, Out)"}
    assert plan_job(RENDER, SCENE).steps[0].parameter_space == {"parameters": [{"name": "Frame", "type": "INT"}]}


def test_chunked_parameter_space_reports_chunk_int_with_its_chunks_settings():
    chunks = plan_job(template([step("R", chunked("1-10", 5, targetRuntimeSeconds=600))],
                               extensions=["TASK_CHUNKING"]), {}).steps[0].parameter_space
    assert chunks == {"parameters": [{"name": "Frame", "type": "CHUNK_INT", "chunks": {
        "defaultTaskCount": 5, "rangeConstraint": "CONTIGUOUS", "targetRuntimeSeconds": 600}}]}


def test_host_requirements_are_resolved_numbers_and_attribute_lists():
    assert plan_job(HOST_REQUIREMENTS, {}).steps[0].host_requirements == {
        "amounts": [{"name": "amount.worker.vcpu", "min": 4.0, "max": 8.0},
                    {"name": "amount.worker.memory", "min": 2048.5}],
        "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]},
                       {"name": "attr.render", "allOf": ["Arnold", "VRay"]}]}
    assert plan_job(PIPELINE, {}).steps[0].host_requirements is None


def test_host_requirement_format_strings_resolve_with_job_parameters():
    cpus = template([step("R", hostRequirements={"amounts": [{"name": "amount.worker.vcpu",
                                                               "min": "{{Param.Cpus}}"}]})],
                    extensions=["FEATURE_BUNDLE_1"],
                    parameterDefinitions=[{"name": "Cpus", "type": "INT", "default": 2}])
    assert plan_job(cpus, {"Cpus": {"int": "16"}}).steps[0].host_requirements == {
        "amounts": [{"name": "amount.worker.vcpu", "min": 16.0}], "attributes": []}


# ----- tasks -----

def test_a_step_without_parameter_space_has_exactly_one_task_without_parameters():
    setup = plan_job(PIPELINE, {}).steps[0]
    assert (setup.parameter_space, setup.task_count, tasks(setup)) == (None, 1, [{}])


def test_frames_become_int_task_parameters_from_the_resolved_range():
    render = plan_job(RENDER, {**SCENE, "Frames": {"string": "1-5:2,10"}}).steps[0]
    assert tasks(render) == [{"Frame": {"int": v}} for v in ("1", "3", "5", "10")]


def test_product_varies_the_right_most_parameter_fastest():
    assert [(t["Angle"]["int"], t["Eye"]["string"]) for t in tasks(plan_job(PRODUCT, {}).steps[0])] == [
        ("0", "left"), ("0", "right"), ("90", "left"), ("90", "right"), ("180", "left"), ("180", "right")]


def test_association_walks_its_members_together_and_uses_each_types_member():
    assert tasks(plan_job(ASSOCIATION, {}).steps[0])[:3] == [
        {"Frame": {"int": "1"}, "Camera": {"string": "wide"}, "Lens": {"float": "24"}, "Out": {"path": "/o/a"}},
        {"Frame": {"int": "1"}, "Camera": {"string": "wide"}, "Lens": {"float": "50.5"}, "Out": {"path": "/o/b"}},
        {"Frame": {"int": "2"}, "Camera": {"string": "close"}, "Lens": {"float": "24"}, "Out": {"path": "/o/a"}}]


@pytest.mark.parametrize("document", [RENDER, PIPELINE, PRODUCT, ASSOCIATION, CHUNKED, ENVIRONMENTS, HOST_REQUIREMENTS],
                         ids=["render", "pipeline", "product", "association", "chunked", "environments", "host"])
def test_task_counts_equal_the_tasks_iteration_produces(document):
    plan = plan_job(document, SCENE if document is RENDER else {})
    assert [s.task_count for s in plan.steps] == [len(tasks(s)) for s in plan.steps]
    assert plan.task_count == sum(s.task_count for s in plan.steps)


def test_contiguous_chunks_give_one_task_per_chunk_as_a_range_expression():
    # The documented example: 100 frames in chunks of 10 are 1-10, 11-20, ...
    assert [t["Frame"]["chunkInt"] for t in tasks(plan_job(CHUNKED, {}).steps[0])] == [
        f"{first}-{first + 9}" for first in range(1, 100, 10)]


def test_chunk_sizes_are_spread_evenly_when_the_range_does_not_divide():
    uneven = plan_job(template([step("R", chunked("1-95", 10))], extensions=["TASK_CHUNKING"]), {}).steps[0]
    assert [t["Frame"]["chunkInt"] for t in tasks(uneven)] == [
        "1-10", "11-19", "20-29", "30-38", "39-48", "49-57", "58-67", "68-76", "77-86", "87-95"]


def test_contiguous_chunks_never_span_a_gap_and_noncontiguous_ones_may():
    gaps = "1-4,10-12"
    contiguous = plan_job(template([step("R", chunked(gaps, 10))], extensions=["TASK_CHUNKING"]), {}).steps[0]
    noncontiguous = plan_job(template([step("R", chunked(gaps, 10, "NONCONTIGUOUS"))],
                                      extensions=["TASK_CHUNKING"]), {}).steps[0]
    assert tasks(contiguous) == [{"Frame": {"chunkInt": "1-4"}}, {"Frame": {"chunkInt": "10-12"}}]
    assert tasks(noncontiguous) == [{"Frame": {"chunkInt": "1-4,10-12"}}]


def test_target_runtime_is_ignored_so_chunks_are_cut_once_at_the_default_size():
    adaptive = plan_job(template([step("R", chunked("1-20", 5, targetRuntimeSeconds=300))],
                                 extensions=["TASK_CHUNKING"]), {}).steps[0]
    assert adaptive.task_count == 4
    assert [t["Frame"]["chunkInt"] for t in tasks(adaptive)] == ["1-5", "6-10", "11-15", "16-20"]


@pytest.mark.parametrize("task_range", [
    "1-100", "1-95", "1-5,10-12", "1-9:2,10-12", "1-20:3", "1-7,8-12:2,13", "5", "-10--1,1-3", "1-10:2,11-20:2",
    [3, 1, 2, 7, 8], [1, 1, 2], [10, 9, 8]])
@pytest.mark.parametrize("size", [1, 2, 3, 10, 1000])
@pytest.mark.parametrize("constraint", ["CONTIGUOUS", "NONCONTIGUOUS"])
def test_chunk_counts_match_openjd_chunking_without_listing_chunks(task_range, size, constraint):
    space = [chunked(task_range, size, constraint), {"name": "Pass", "type": "STRING", "range": ["a", "b"]}]
    plan = plan_job(template([step("R", *space, combination="Pass * Frame")], extensions=["TASK_CHUNKING"]), {})
    assert plan.steps[0].task_count == len(tasks(plan.steps[0]))


def test_chunk_int_without_the_extension_is_openjds_template_error():
    with pytest.raises(TemplateError, match=r"The CHUNK\[INT\] task parameter requires the TASK_CHUNKING extension"):
        plan_job(template([step("R", chunked("1-10", 2))]), {})


def test_iteration_streams_a_million_task_step_lazily():
    big = plan_job(template([step("R", int_param("Frame", "1-1000000"))]), {}).steps[0]
    started = time.perf_counter()
    assert list(islice(iter_task_parameters(big), 2)) == [{"Frame": {"int": "1"}}, {"Frame": {"int": "2"}}]
    assert time.perf_counter() - started < 0.5


def test_a_step_plan_without_its_resolved_space_refuses_to_iterate_rather_than_invent_one_task():
    render = plan_job(RENDER, SCENE).steps[0]
    with pytest.raises(ValueError, match="plan its job again"):
        next(iter_task_parameters(dataclasses.replace(render, resolved_space=None)))


# ----- the task quota -----

def test_planning_a_million_tasks_counts_without_enumerating():
    product = template([step("R", int_param("A", "1-1000"), int_param("B", "1-1000"))])
    started = time.perf_counter()
    assert plan_job(product, {}).task_count == 1_000_000
    assert time.perf_counter() - started < 1.0


def test_more_tasks_than_the_quota_is_task_quota_exceeded_with_the_count():
    huge = template([step("R", int_param("A", "1-100000"), int_param("B", "1-100000")), step("S")])
    started = time.perf_counter()
    with pytest.raises(TaskQuotaExceeded) as raised:
        plan_job(huge, {})
    assert (raised.value.task_count, raised.value.limit) == (10_000_000_001, 1_000_000)
    assert time.perf_counter() - started < 1.0


def test_the_quota_counts_every_step_and_allows_exactly_the_limit():
    assert plan_job(PIPELINE, {}, max_tasks=42).task_count == 42
    with pytest.raises(TaskQuotaExceeded) as raised:
        plan_job(PIPELINE, {}, max_tasks=41)
    assert raised.value.task_count == 42


def test_a_huge_chunked_range_counts_quickly_and_an_absurd_one_is_refused():
    many = template([step("R", chunked("1-1000000", 2))], extensions=["TASK_CHUNKING"])
    started = time.perf_counter()
    assert plan_job(many, {}).task_count == 500_000
    assert time.perf_counter() - started < 1.0
    absurd = template([step("R", chunked("1-1000000000", 1_000_000_000))], extensions=["TASK_CHUNKING"])
    with pytest.raises(TemplateError, match="has 1,000,000,000 values; at most 1,000,000 can be chunked"):
        plan_job(absurd, {})


# ----- parameter errors -----

@pytest.mark.parametrize("parameters, field_name, message", [
    ({"Camera": {"string": "a"}}, "parameters[Camera]", "no job parameter named Camera"),
    ({"Quality": {"string": "5"}}, "parameters[Quality]", "type INT; give its value as 'int', not 'string'"),
    ({"Frames": {"bool": "true"}}, "parameters[Frames]", "as 'string', not 'bool'"),
    ({"Frames": {"stringList": ["1"]}}, "parameters[Frames]", "as 'string', not 'stringList'"),
    ({"Quality": {"int": "5", "float": "5"}}, "parameters[Quality]", "exactly one of"),
    ({"Quality": {"int": "11"}}, "parameters[Quality]", "must be at most 10"),
    ({"Quality": {"int": "0"}}, "parameters[Quality]", "must be at least 1"),
    ({"Quality": {"int": "five"}}, "parameters[Quality]", "integer"),
    ({"Exposure": {"float": "4.5"}}, "parameters[Exposure]", "must be at most 4"),
    ({"Engine": {"string": "LUXCORE"}}, "parameters[Engine]", "not in allowedValues"),
    ({"Frames": {"string": ""}}, "parameters[Frames]", "at least 1 characters"),
    ({"Frames": {"string": "1-10,20-30,40-50,60-70"}}, "parameters[Frames]", "at most 20 characters"),
])
def test_a_bad_value_is_a_parameter_error_naming_the_parameter(parameters, field_name, message):
    with pytest.raises(ParameterError, match=message) as raised:
        plan_job(RENDER, {**SCENE, **parameters})
    assert raised.value.field_name == field_name


def test_missing_required_values_are_a_parameter_error_listing_them():
    with pytest.raises(ParameterError, match="Values missing for required job parameters: Scene") as raised:
        plan_job(RENDER, {})
    assert raised.value.field_name == "parameters[Scene]"


def test_values_that_break_the_job_only_once_substituted_are_a_parameter_error():
    with pytest.raises(ParameterError, match="cannot be made with these parameter values") as raised:
        plan_job(RENDER, {**SCENE, "Frames": {"string": "1-x"}})
    assert raised.value.field_name == "parameters"


def test_association_members_of_different_lengths_after_substitution_are_a_parameter_error():
    mismatch = template([step("R", int_param("A", "{{Param.Frames}}"), int_param("B", "1-3"), combination="(A, B)")],
                        parameterDefinitions=[{"name": "Frames", "type": "STRING"}])
    assert plan_job(mismatch, {"Frames": {"string": "4-6"}}).task_count == 3
    with pytest.raises(ParameterError, match="identical ranges"):
        plan_job(mismatch, {"Frames": {"string": "1-5"}})


# ----- EXPR job parameter types -----

EXPR = template(
    [step("R", int_param("Frame", "{{Param.Frames}}"))], extensions=["EXPR"], name="Denoise {{Param.Denoise}}",
    parameterDefinitions=[{"name": "Denoise", "type": "BOOL", "default": True},
                          {"name": "Frames", "type": "RANGE_EXPR", "default": "1-3"},
                          {"name": "Layers", "type": "LIST[INT]", "default": [1, 2]},
                          {"name": "Scales", "type": "LIST[FLOAT]", "default": [0.5]}])


def test_expr_types_take_the_bool_range_and_list_members():
    plan = plan_job(EXPR, {"Denoise": {"bool": "off"}, "Frames": {"rangeExpr": "1-10:5"},
                           "Layers": {"intList": ["3"]}, "Scales": {"floatList": ["2.5", "1"]}})
    assert plan.name == "Denoise false"
    assert tasks(plan.steps[0]) == [{"Frame": {"int": "1"}}, {"Frame": {"int": "6"}}]


def test_expr_defaults_are_written_as_api_strings():
    assert plan_job(EXPR, {}).parameters == {
        "Denoise": {"bool": "true"}, "Frames": {"rangeExpr": "1-3"}, "Layers": {"intList": ["1", "2"]},
        "Scales": {"floatList": ["0.5"]}}


@pytest.mark.parametrize("parameters, field_name", [
    ({"Denoise": {"bool": "maybe"}}, "parameters[Denoise]"),
    ({"Frames": {"rangeExpr": "1-x"}}, "parameters[Frames]"),
    ({"Layers": {"intList": ["one"]}}, "parameters[Layers]"),
    ({"Layers": {"intList": "1,2"}}, "parameters[Layers]"),
    ({"Scales": {"floatList": ["1.5", "x"]}}, "parameters[Scales]"),
    ({"Layers": {"int": "1"}}, "parameters[Layers]"),
])
def test_bad_expr_values_are_parameter_errors(parameters, field_name):
    with pytest.raises(ParameterError) as raised:
        plan_job(EXPR, parameters)
    assert raised.value.field_name == field_name


# ----- queue environments -----

def test_queue_environment_parameters_merge_with_the_job_templates():
    plan = plan_job(RENDER, SCENE, queue_environment_templates=[QUEUE_ENVIRONMENT])
    assert plan.parameters["CondaPackages"] == {"string": "blender"}
    # The job template is merged last: its default wins and its narrower range applies.
    assert plan.parameters["Quality"] == {"int": "5"}
    with pytest.raises(ParameterError, match="at most 10"):
        plan_job(RENDER, {**SCENE, "Quality": {"int": "50"}}, queue_environment_templates=[QUEUE_ENVIRONMENT])
    assert plan_job(RENDER, {**SCENE, "CondaPackages": {"string": "nuke"}},
                    queue_environment_templates=[QUEUE_ENVIRONMENT]).parameters["CondaPackages"] == {"string": "nuke"}


def test_a_queue_environment_parameter_without_default_is_required():
    env = copy.deepcopy(QUEUE_ENVIRONMENT)
    env["parameterDefinitions"].append({"name": "License", "type": "STRING"})
    with pytest.raises(ParameterError, match="required job parameters: Quality, License") as raised:
        plan_job(PIPELINE, {}, queue_environment_templates=[env])
    assert raised.value.field_name == "parameters[Quality]"


def test_conflicting_definitions_between_queue_and_job_are_a_template_error():
    env = copy.deepcopy(QUEUE_ENVIRONMENT)
    env["parameterDefinitions"][1] = {"name": "Quality", "type": "STRING"}
    with pytest.raises(TemplateError, match="conflict"):
        plan_job(RENDER, SCENE, queue_environment_templates=[env])


def test_an_invalid_queue_environment_template_is_a_template_error_naming_it():
    with pytest.raises(TemplateError, match="Queue environment template 2 is not valid"):
        plan_job(PIPELINE, {}, queue_environment_templates=[QUEUE_ENVIRONMENT, {"specificationVersion": "x"}])


# ----- template errors -----

@pytest.mark.parametrize("document, message", [
    ({**PIPELINE, "specificationVersion": "jobtemplate-2099-01"}, "Unknown template version"),
    ({k: v for k, v in PIPELINE.items() if k != "specificationVersion"}, "missing .* specificationVersion"),
    ({**PIPELINE, "specificationVersion": "environment-2023-09"}, "not a Job Template version"),
    ({k: v for k, v in PIPELINE.items() if k != "steps"}, r"steps:\n\tField required"),
    (template([step("A", depends_on=["B"]), step("B", depends_on=["A"])]),
     "Step dependencies form a cycle: A -> B -> A"),
    (template([step("A", depends_on=["Z"])]), "Unknown step 'Z'"),
    (template([step("A", depends_on=["A"])]), "cannot depend upon itself"),
    (template([step("A"), step("A")]), "Duplicate values for name are not allowed"),
    (template([step("A")], extensions=["TELEPORTATION"]), "Unsupported extension names: TELEPORTATION"),
    (template([step("A", int_param("F", "{{Param.Nope}}"))]), "Param.Nope does not exist"),
    (["not", "a", "mapping"], "must be a mapping"),
])
def test_an_invalid_template_is_a_template_error_with_openjds_explanation(document, message):
    with pytest.raises(TemplateError, match=message):
        plan_job(document, {})


def test_an_extension_the_server_does_not_enable_is_a_template_error():
    plan_job(CHUNKED, {})
    with pytest.raises(TemplateError, match="Unsupported extension names: TASK_CHUNKING"):
        plan_job(CHUNKED, {}, supported_extensions=["EXPR"])
