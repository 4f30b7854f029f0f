"""Tests of protocol.validation against the real `deadline` service model (no server)."""

from __future__ import annotations

import copy
import re
import time
from datetime import UTC, datetime

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from farmstead.protocol.validation import (
    MAX_ERRORS,
    FieldError,
    compile_pattern,
    translate_pattern,
    validate,
)

try:
    from tests.protocol.model_strategies import input_strategy
except ImportError:  # collected with tests/protocol itself on sys.path
    from model_strategies import input_strategy

SM = botocore.session.get_session().get_service_model("deadline")

HEX = "0123456789abcdef" * 2
FARM, QUEUE, JOB = f"farm-{HEX}", f"queue-{HEX}", f"job-{HEX}"
ROLE = "arn:aws:iam::123456789012:role/FleetRole"


def shape(op: str):
    return SM.operation_model(op).input_shape


def patched(base: dict, **changes) -> dict:
    """`base` with members replaced; a change to `...` deletes the member."""
    value = copy.deepcopy(base)
    for key, new in changes.items():
        if new is ...:
            value.pop(key, None)
        else:
            value[key] = new
    return value


# --- table-driven cases on real shapes -----------------------------------------------------

CREATE_JOB = {"farmId": FARM, "queueId": QUEUE, "priority": 50, "template": "{}", "templateType": "JSON"}
CREATE_FARM = {"displayName": "Farm"}
GET_JOB = {"farmId": FARM, "queueId": QUEUE, "jobId": JOB}
CUSTOMER_MANAGED = {
    "mode": "NO_SCALING",
    "workerCapabilities": {
        "vCpuCount": {"min": 1},
        "memoryMiB": {"min": 512},
        "osFamily": "LINUX",
        "cpuArchitectureType": "x86_64",
        "customAmounts": [{"name": "amount.licenses", "min": 1.5, "max": 4}],
    },
}
SERVICE_MANAGED = {
    "instanceCapabilities": {"vCpuCount": {"min": 2}, "memoryMiB": {"min": 2048}, "osFamily": "LINUX",
                             "cpuArchitectureType": "x86_64"},
    "instanceMarketOptions": {"type": "spot"},
}
CREATE_FLEET = {"farmId": FARM, "displayName": "Fleet", "roleArn": ROLE, "maxWorkerCount": 4,
                "configuration": {"customerManaged": CUSTOMER_MANAGED}}


def string_filter(value="x", operator="EQUAL"):
    return {"stringFilter": {"name": "TASK_RUN_STATUS", "operator": operator, "value": value}}


def group(*filters, operator="AND"):
    return {"filters": list(filters), "operator": operator}


SEARCH_JOBS = {"farmId": FARM, "itemOffset": 0, "queueIds": [QUEUE]}

VALID = [
    ("CreateJob", CREATE_JOB),
    ("CreateJob", patched(CREATE_JOB, priority=0, maxWorkerCount=-1)),
    ("CreateJob", patched(CREATE_JOB, priority=100, maxWorkerCount=2**31 - 1)),
    ("CreateJob", patched(CREATE_JOB, clientToken="token")),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {"int": "-12"}, "f": {"float": "1.5e3"},
                                                  "b": {"bool": "Yes"}, "l": {"intList": ["1", "2"]}})),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {"int": None, "string": "x"}})),  # null is absent
    ("CreateJob", patched(CREATE_JOB, tags={"team": "lighting", "": ""}, templateType=None)),
    ("CreateJob", patched(CREATE_JOB, attachments={"manifests": [{"rootPath": "/p", "rootPathFormat": "posix"}]})),
    ("CreateFarm", CREATE_FARM),
    ("CreateFarm", patched(CREATE_FARM, displayName="x" * 100, costScaleFactor=1,
                           kmsKeyArn="arn:aws:kms:us-west-2:123456789012:key/abc-123")),
    ("GetJob", GET_JOB),
    ("CreateFleet", CREATE_FLEET),
    ("CreateFleet", patched(CREATE_FLEET, configuration={"serviceManagedEc2": SERVICE_MANAGED})),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        string_filter(),
        {"groupFilter": group(string_filter(), {"groupFilter": group(string_filter(), operator="OR")})},
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "LESS_THAN", "dateTime": "2024-05-01T10:00:00Z"}},
    ))),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL", "dateTime": 1714557600}},
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL", "dateTime": 1714557600.5}},
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL",
                            "dateTime": datetime(2024, 5, 1, tzinfo=UTC)}},
    ))),
    ("UpdateMonitorSettings", {"monitorId": f"monitor-{HEX}", "settings": {"a.b:c-d_e": "v"}}),
]


@pytest.mark.parametrize("op, value", VALID, ids=[f"{op}-{i}" for i, (op, _) in enumerate(VALID)])
def test_valid_inputs_have_no_errors(op, value):
    assert validate(shape(op), value) == []


def deep_group(levels: int) -> dict:
    expression = group(string_filter())
    for _ in range(levels):
        expression = group({"groupFilter": expression})
    return expression


def _pattern_message(p: str) -> str:
    return f"Member must satisfy regular expression pattern: {p}"


FARM_PATTERN = _pattern_message("farm-[0-9a-f]{32}")

INVALID = [
    # CreateJob: required, ranges, strict JSON types, enums, unions, nested paths, maps
    ("CreateJob", patched(CREATE_JOB, priority=...), "priority", "Missing required member"),
    ("CreateJob", patched(CREATE_JOB, priority=None), "priority", "Missing required member"),
    ("CreateJob", patched(CREATE_JOB, priority=101), "priority", "Member must have value less than or equal to 100"),
    ("CreateJob", patched(CREATE_JOB, priority=-1), "priority", "Member must have value greater than or equal to 0"),
    ("CreateJob", patched(CREATE_JOB, priority="5"), "priority", "Expected integer"),
    ("CreateJob", patched(CREATE_JOB, priority=True), "priority", "Expected integer"),
    ("CreateJob", patched(CREATE_JOB, priority=5.0), "priority", "Expected integer"),
    ("CreateJob", patched(CREATE_JOB, templateType="XML"), "templateType",
     "Member must satisfy enum value set: [JSON, YAML]"),
    ("CreateJob", patched(CREATE_JOB, templateType="json"), "templateType",
     "Member must satisfy enum value set: [JSON, YAML]"),
    ("CreateJob", patched(CREATE_JOB, template=""), "template", "Member must have length greater than or equal to 1"),
    ("CreateJob", patched(CREATE_JOB, template=7), "template", "Expected string"),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {"int": "1", "string": "1"}}), "parameters[frame]",
     "Union must have exactly one member set"),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {}}), "parameters[frame]",
     "Union must have exactly one member set"),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {"int": "01"}}), "parameters[frame].int",
     _pattern_message("[-]?(0|[1-9][0-9]*)")),
    ("CreateJob", patched(CREATE_JOB, parameters={"frame": {"int": 1}}), "parameters[frame].int", "Expected string"),
    ("CreateJob", patched(CREATE_JOB, parameters={"": {"string": "x"}}), "parameters[]",
     "Map key must have length greater than or equal to 1"),
    ("CreateJob", patched(CREATE_JOB, parameters={"l": {"intList": ["1", "x"]}}), "parameters[l].intList[1]",
     _pattern_message("[-]?(0|[1-9][0-9]*)")),
    ("CreateJob", patched(CREATE_JOB, parameters=[]), "parameters", "Expected map"),
    ("CreateJob", patched(CREATE_JOB, maxWorkerCount=-2), "maxWorkerCount",
     "Member must have value greater than or equal to -1"),
    ("CreateJob", patched(CREATE_JOB, maxWorkerCount=2**31), "maxWorkerCount",
     "Member must have value less than or equal to 2147483647"),
    ("CreateJob", patched(CREATE_JOB, clientToken=""), "clientToken",
     "Member must have length greater than or equal to 1"),
    ("CreateJob", patched(CREATE_JOB, attachments={"manifests": [{"rootPathFormat": "posix"}]}),
     "attachments.manifests[0].rootPath", "Missing required member"),
    ("CreateJob", patched(CREATE_JOB, attachments={"manifests": []}), "attachments.manifests",
     "Member must have length greater than or equal to 1"),
    ("CreateJob", patched(CREATE_JOB, attachments={"manifests": {}}), "attachments.manifests", "Expected list"),
    ("CreateJob", patched(CREATE_JOB, attachments=[]), "attachments", "Expected structure"),
    ("CreateJob", patched(CREATE_JOB, tags={"team": 5}), "tags[team]", "Expected string"),
    ("CreateJob", patched(CREATE_JOB, tags=["team"]), "tags", "Expected map"),
    # CreateFarm
    ("CreateFarm", patched(CREATE_FARM, displayName=""), "displayName",
     "Member must have length greater than or equal to 1"),
    ("CreateFarm", patched(CREATE_FARM, displayName="x" * 101), "displayName",
     "Member must have length less than or equal to 100"),
    ("CreateFarm", patched(CREATE_FARM, colour="red"), "colour", "Unknown member"),
    ("CreateFarm", patched(CREATE_FARM, costScaleFactor=-0.5), "costScaleFactor",
     "Member must have value greater than or equal to 0"),
    ("CreateFarm", patched(CREATE_FARM, costScaleFactor=float("nan")), "costScaleFactor",
     "Member must have value greater than or equal to 0"),
    ("CreateFarm", patched(CREATE_FARM, costScaleFactor=True), "costScaleFactor", "Expected number"),
    ("CreateFarm", patched(CREATE_FARM, costScaleFactor="1"), "costScaleFactor", "Expected number"),
    # GetJob: patterns are anchored at both ends
    ("GetJob", patched(GET_JOB, farmId="farm-123"), "farmId", FARM_PATTERN),
    ("GetJob", patched(GET_JOB, farmId="x" + FARM), "farmId", FARM_PATTERN),
    ("GetJob", patched(GET_JOB, farmId=FARM + "0"), "farmId", FARM_PATTERN),
    ("GetJob", patched(GET_JOB, farmId=FARM + "\n"), "farmId", FARM_PATTERN),
    ("GetJob", patched(GET_JOB, farmId=FARM.upper()), "farmId", FARM_PATTERN),
    ("GetJob", patched(GET_JOB, jobId=...), "jobId", "Missing required member"),
    # CreateFleet: the configuration union and its nested members
    ("CreateFleet", patched(CREATE_FLEET, configuration={"customerManaged": CUSTOMER_MANAGED,
                                                         "serviceManagedEc2": SERVICE_MANAGED}),
     "configuration", "Union must have exactly one member set"),
    ("CreateFleet", patched(CREATE_FLEET, configuration={}), "configuration", "Union must have exactly one member set"),
    ("CreateFleet", patched(CREATE_FLEET, configuration={"customerManaged": {**CUSTOMER_MANAGED, "mode": "AUTO"}}),
     "configuration.customerManaged.mode",
     "Member must satisfy enum value set: [NO_SCALING, EVENT_BASED_AUTO_SCALING]"),
    ("CreateFleet", patched(CREATE_FLEET, configuration={"customerManaged": {
        **CUSTOMER_MANAGED,
        "workerCapabilities": {**CUSTOMER_MANAGED["workerCapabilities"], "vCpuCount": {"min": 0}}}}),
     "configuration.customerManaged.workerCapabilities.vCpuCount.min",
     "Member must have value greater than or equal to 1"),
    ("CreateFleet", patched(CREATE_FLEET, configuration={"customerManaged": {
        **CUSTOMER_MANAGED, "workerCapabilities": {**CUSTOMER_MANAGED["workerCapabilities"],
                                                   "customAmounts": [{"name": "licenses", "min": 1}]}}}),
     "configuration.customerManaged.workerCapabilities.customAmounts[0].name",
     _pattern_message("([a-zA-Z][a-zA-Z0-9]{0,63}:)?amount(\\.[a-zA-Z][a-zA-Z0-9]{0,63})+")),
    ("CreateFleet", patched(CREATE_FLEET, configuration={"hybrid": {}}), "configuration.hybrid", "Unknown member"),
    ("CreateFleet", patched(CREATE_FLEET, roleArn="arn:aws:iam::123:role/x"), "roleArn",
     _pattern_message(r"arn:(aws[a-zA-Z-]*):iam::\d{12}:role(/[!-.0-~]+)*/[\w+=,.@-]+")),
    # SearchJobs: recursive group filters
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        string_filter(), {"groupFilter": group(string_filter(), string_filter(operator="LIKE"))})),
     "filterExpressions.filters[1].groupFilter.filters[1].stringFilter.operator",
     "Member must satisfy enum value set: [EQUAL, NOT_EQUAL, GREATER_THAN_EQUAL_TO, GREATER_THAN, "
     "LESS_THAN_EQUAL_TO, LESS_THAN, ANY_EQUALS, ALL_NOT_EQUALS]"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group({"groupFilter": group()})),
     "filterExpressions.filters[0].groupFilter.filters", "Member must have length greater than or equal to 1"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(*[string_filter()] * 4)),
     "filterExpressions.filters", "Member must have length less than or equal to 3"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group({"groupFilter": {"filters": [string_filter()]}})),
     "filterExpressions.filters[0].groupFilter.operator", "Missing required member"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL", "dateTime": "yesterday"}})),
     "filterExpressions.filters[0].dateTimeFilter.dateTime", "Expected timestamp"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL", "dateTime": True}})),
     "filterExpressions.filters[0].dateTimeFilter.dateTime", "Expected timestamp"),
    ("SearchJobs", patched(SEARCH_JOBS, filterExpressions=group(
        {"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL", "dateTime": 1e300}})),
     "filterExpressions.filters[0].dateTimeFilter.dateTime", "Expected timestamp"),
    ("SearchJobs", patched(SEARCH_JOBS, queueIds=[]), "queueIds", "Member must have length greater than or equal to 1"),
    ("SearchJobs", patched(SEARCH_JOBS, queueIds=[QUEUE, "q"]), "queueIds[1]",
     _pattern_message("queue-[0-9a-f]{32}")),
    # a map whose keys have a pattern
    ("UpdateMonitorSettings", {"monitorId": f"monitor-{HEX}", "settings": {"1bad": "v"}}, "settings[1bad]",
     "Map key must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_.:-]*"),
]


@pytest.mark.parametrize("op, value, name, message", INVALID,
                         ids=[f"{op}-{name}-{i}" for i, (op, _, name, _) in enumerate(INVALID)])
def test_invalid_inputs_name_the_field(op, value, name, message):
    assert FieldError(name, message) in validate(shape(op), value)


def test_every_error_is_reported_not_just_the_first():
    value = patched(CREATE_JOB, priority=..., templateType="XML", colour="red")
    assert sorted(e.name for e in validate(shape("CreateJob"), value)) == ["colour", "priority", "templateType"]


def test_string_failing_two_constraints_reports_both():
    errors = validate(shape("CreateJob"), patched(CREATE_JOB, parameters={"frame": {"int": "1" * 21}}))
    assert {e.message for e in errors} == {"Member must have length less than or equal to 20"}
    errors = validate(shape("CreateJob"), patched(CREATE_JOB, parameters={"frame": {"bool": ""}}))
    assert len(errors) == 2 and {e.name for e in errors} == {"parameters[frame].bool"}


def test_idempotency_token_is_never_required():
    # clientToken is modelled on CreateJob but botocore fills it in; callers may omit it.
    assert validate(shape("CreateJob"), CREATE_JOB) == []


def test_errors_are_capped():
    value = patched(CREATE_JOB, **{f"extra{i}": i for i in range(200)})
    assert len(validate(shape("CreateJob"), value)) == MAX_ERRORS


def test_non_object_input():
    assert validate(shape("GetJob"), ["farmId"]) == [FieldError("", "Expected structure")]


def test_hostile_nesting_is_cut_off_not_a_crash():
    errors = validate(shape("SearchJobs"), patched(SEARCH_JOBS, filterExpressions=deep_group(5000)))
    assert [e.message for e in errors] == ["Maximum nesting depth exceeded"]
    assert validate(shape("SearchJobs"), patched(SEARCH_JOBS, filterExpressions=deep_group(10))) == []


def test_repeated_validation_is_fast():
    value, create_job = patched(CREATE_JOB, tags={"a": "b"}, parameters={"frame": {"int": "1"}}), shape("CreateJob")
    validate(create_job, value)
    runs = 2000
    start = time.perf_counter()
    for _ in range(runs):
        validate(create_job, value)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 200e-6, f"{per_call * 1e6:.1f} µs per validate"  # generous: a few µs locally


# --- patterns ------------------------------------------------------------------------------

def _all_string_patterns() -> list[tuple[str, str]]:
    found = {}
    for name in SM.shape_names:
        md = SM.shape_for(name).metadata
        if "pattern" in md:
            found[name] = md["pattern"]
    return sorted(found.items())


def test_model_has_patterns_to_check():
    assert len(_all_string_patterns()) > 40


@pytest.mark.parametrize("shape_name, pattern", _all_string_patterns())
def test_every_model_pattern_compiles(shape_name, pattern):
    assert isinstance(compile_pattern(pattern), re.Pattern)


@pytest.mark.parametrize("java, good, bad", [
    (r"sg-[\w]{1,120}", ["sg-abc_1"], ["sg-é", "sg-"]),  # \w is ASCII-only in Java
    (r"STEP:step-[0-9a-f]{32}:.*", [f"STEP:step-{HEX}:a b"], [f"STEP:step-{HEX}:a\rb", f"STEP:step-{HEX}:\u2028"]),
    (r"d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
     ["d-0123456789", "01234567-89ab-cdef-0123-456789abcdef"], ["d-0123456789\n", "xd-0123456789"]),
    (r"[a-zA-Z0-9-_/]+", ["a-b_c/d"], ["a b", ""]),  # "-" after a range is a literal in both
    (r"\p{Alpha}\p{Digit}+", ["a12"], ["12"]),
    (r"[^\p{Digit}]x", ["ax"], ["1x"]),
    (r"[0-9]+x\z", ["12x"], ["12x\n"]),
    (r"[]a]+", ["]a"], ["b"]),  # a "]" first in a class is a literal, not its end
])
def test_translation_keeps_java_meaning(java, good, bad):
    regex = compile_pattern(java)
    assert all(regex.fullmatch(s) for s in good)
    assert not any(regex.fullmatch(s) for s in bad)


@pytest.mark.parametrize("java", [r"[a-z&&[^e]]", r"[a[b]]", r"\p{IsLatin}", r"[\P{Digit}]", r"\h+",
                                  r"\Q1.5\E", r"(?<id>[0-9]+)"])
def test_untranslatable_patterns_fail_loudly(java):
    with pytest.raises((ValueError, re.error)):
        compile_pattern(java)


def test_translation_leaves_plain_patterns_alone():
    assert translate_pattern("farm-[0-9a-f]{32}") == "farm-[0-9a-f]{32}"


# --- properties over every operation --------------------------------------------------------

OPERATIONS = sorted(name for name in SM.operation_names if SM.operation_model(name).input_shape is not None)
PROPERTY_SETTINGS = settings(
    max_examples=5, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
UNKNOWN = "zzNotAModelledMember"
_WRONG_TYPE = {"string": 12345, "integer": "12", "long": "12", "float": "1.5", "double": "1.5",
               "boolean": "true", "timestamp": [], "blob": 5, "list": {}, "map": [], "structure": []}


def _mutation_sites(shp, value, path, sites):
    """(field path that must be reported, container, key, new value or ... to delete) for `value`."""
    kind = shp.type_name
    if kind == "structure":
        prefix = f"{path}." if path else ""
        sites.append((f"{prefix}{UNKNOWN}", value, UNKNOWN, 1))
        children = [(f"{prefix}{k}", value, k, shp.members[k], v) for k, v in value.items()]
        if not shp.metadata.get("union"):  # dropping a union's only member is a union error instead
            sites += [(f"{prefix}{r}", value, r, ...) for r in shp.required_members
                      if r in value and not shp.members[r].metadata.get("idempotencyToken")]
    elif kind == "list":
        children = [(f"{path}[{i}]", value, i, shp.member, v) for i, v in enumerate(value)]
    elif kind == "map":
        children = [(f"{path}[{k}]", value, k, shp.value, v) for k, v in value.items()]
    else:
        children = []
    for child_path, container, key, child_shape, child in children:
        sites.append((child_path, container, key, _WRONG_TYPE[child_shape.type_name]))
        _mutation_sites(child_shape, child, child_path, sites)
    return sites


@pytest.mark.parametrize("op_name", OPERATIONS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_generated_valid_inputs_pass(op_name, data):
    op = SM.operation_model(op_name)
    value = data.draw(input_strategy(op), label="input")
    assert validate(op.input_shape, value) == []


@pytest.mark.parametrize("op_name", OPERATIONS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_mutated_inputs_name_the_mutated_field(op_name, data):
    op = SM.operation_model(op_name)
    value = copy.deepcopy(data.draw(input_strategy(op), label="input"))
    sites = _mutation_sites(op.input_shape, value, "", [])
    name, container, key, new = data.draw(st.sampled_from(sites), label="mutation")
    if new is ...:
        del container[key]
    else:
        container[key] = new
    errors = validate(op.input_shape, value)
    assert name in {e.name for e in errors}, errors


def test_nul_character_in_a_string_is_refused_on_every_store():
    from farmstead.protocol.model import service_model

    shape = service_model().operation_model("CreateFarm").input_shape
    errors = validate(shape, {"displayName": "bad\x00name"})
    assert [(e.name, e.message) for e in errors] == [("displayName", "Member must not contain the NUL character")]
