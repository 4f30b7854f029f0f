"""Search requests (SearchJobs, SearchSteps, SearchTasks, SearchWorkers) as a small typed query.

Owns: the field vocabulary of each searchable resource (docs/search.md), which filter kinds and
operators each field accepts, and turning the model-validated `filterExpressions` and
`sortExpressions` into a `SearchQuery`, or refusing with every problem named by its input path.
Must not: know tables or SQL (store/search.py maps each field to a column), or raise API errors
(api/search.py turns `SearchRefused` into a ValidationException).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from farmstead.domain.statuses import (
    JobLifecycleStatus,
    JobTargetTaskRunStatus,
    StepLifecycleStatus,
    StepTargetTaskRunStatus,
    TaskRunStatus,
    TaskTargetRunStatus,
    WorkerStatus,
)


class Kind(StrEnum):
    """What a field holds, which decides the filters that apply to it and how its values are read."""

    TEXT = "TEXT"          # ids, names, createdBy: compared exactly
    STATUS = "STATUS"      # one of an enum's values: others are refused rather than matching nothing
    NUMBER = "NUMBER"      # integers; string filters give them as decimal text
    DATETIME = "DATETIME"  # only dateTimeFilter applies


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    allowed: tuple[str, ...] = ()


class Resource(StrEnum):
    JOBS = "jobs"
    STEPS = "steps"
    TASKS = "tasks"
    WORKERS = "workers"


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


def _status(name: str, enum: type[StrEnum]) -> Field:
    return Field(name, Kind.STATUS, tuple(enum))


def _audit(*, created: bool = True) -> tuple[Field, ...]:
    made = (Field("CREATED_AT", Kind.DATETIME), Field("CREATED_BY", Kind.TEXT)) if created else ()
    return (*made, Field("UPDATED_AT", Kind.DATETIME), Field("UPDATED_BY", Kind.TEXT))


_RUN_TIMES = (Field("STARTED_AT", Kind.DATETIME), Field("ENDED_AT", Kind.DATETIME))

#: Field names per resource: upper snake case, like the CREATED_AT / ENDED_AT / TASK_RUN_STATUS
#: that AWS clients send (docs/search.md); the rest follow the summaries' members by analogy.
VOCABULARY: dict[Resource, dict[str, Field]] = {
    Resource.JOBS: _fields(
        Field("JOB_ID", Kind.TEXT), Field("QUEUE_ID", Kind.TEXT), Field("NAME", Kind.TEXT),
        Field("PRIORITY", Kind.NUMBER), _status("LIFECYCLE_STATUS", JobLifecycleStatus),
        _status("TASK_RUN_STATUS", TaskRunStatus), _status("TARGET_TASK_RUN_STATUS", JobTargetTaskRunStatus),
        Field("TASK_FAILURE_RETRY_COUNT", Kind.NUMBER), Field("MAX_FAILED_TASKS_COUNT", Kind.NUMBER),
        Field("MAX_RETRIES_PER_TASK", Kind.NUMBER), *_audit(), *_RUN_TIMES),
    Resource.STEPS: _fields(
        Field("STEP_ID", Kind.TEXT), Field("JOB_ID", Kind.TEXT), Field("QUEUE_ID", Kind.TEXT),
        Field("NAME", Kind.TEXT), _status("LIFECYCLE_STATUS", StepLifecycleStatus),
        _status("TASK_RUN_STATUS", TaskRunStatus), _status("TARGET_TASK_RUN_STATUS", StepTargetTaskRunStatus),
        Field("TASK_FAILURE_RETRY_COUNT", Kind.NUMBER), *_audit(), *_RUN_TIMES),
    Resource.TASKS: _fields(
        Field("TASK_ID", Kind.TEXT), Field("STEP_ID", Kind.TEXT), Field("JOB_ID", Kind.TEXT),
        Field("QUEUE_ID", Kind.TEXT), _status("RUN_STATUS", TaskRunStatus),
        _status("TARGET_RUN_STATUS", TaskTargetRunStatus), Field("FAILURE_RETRY_COUNT", Kind.NUMBER),
        # A task is created with its step; GetTask reports the step's createdAt/createdBy too.
        *_audit(), *_RUN_TIMES),
    Resource.WORKERS: _fields(
        Field("WORKER_ID", Kind.TEXT), Field("FLEET_ID", Kind.TEXT), _status("STATUS", WorkerStatus),
        Field("HOST_NAME", Kind.TEXT), *_audit()),
}

#: Other spellings accepted for a field: the job/step name of a task's status, as clients reuse filters.
ALIASES: dict[Resource, dict[str, str]] = {
    Resource.TASKS: {"TASK_RUN_STATUS": "RUN_STATUS", "TARGET_TASK_RUN_STATUS": "TARGET_RUN_STATUS"},
}

#: Resources whose items carry parameter values (jobs: job parameters; tasks: task parameters), and
#: the OpenJD prefix a parameter may be written with (`Param.Frame`, `Task.Param.Frame`).
PARAMETER_PREFIXES: dict[Resource, str] = {Resource.JOBS: "Param.", Resource.TASKS: "Task.Param."}

EQUALITY = ("EQUAL", "NOT_EQUAL")
ORDERING = ("GREATER_THAN_EQUAL_TO", "GREATER_THAN", "LESS_THAN_EQUAL_TO", "LESS_THAN")
LISTS = ("ANY_EQUALS", "ALL_NOT_EQUALS")

# Which operators each filter kind supports (the model's documentation of each filter member).
_OPERATORS = {
    "dateTimeFilter": ("EQUAL", *ORDERING),
    "stringFilter": EQUALITY,
    "stringListFilter": LISTS,
    "parameterFilter": (*EQUALITY, *ORDERING),
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # OpenJD parameter names
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_INTEGER = re.compile(r"[-+]?\d{1,18}")


# --- the query description --------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldTest:
    """`field operator value(s)`: one value, except for ANY_EQUALS / ALL_NOT_EQUALS (1–16)."""

    field: str
    operator: str
    values: tuple[Any, ...]  # str for TEXT/STATUS, int for NUMBER, aware datetime for DATETIME


@dataclass(frozen=True)
class ParameterTest:
    """A parameter's value compared with `text`; numerically when both are numbers (`number` is set)."""

    name: str
    operator: str
    text: str
    number: float | None


@dataclass(frozen=True)
class TermTest:
    """Every fragment (lower case) occurs in at least one of the resource's searched texts."""

    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    operator: str  # AND | OR
    members: tuple[Condition, ...]


Condition = FieldTest | ParameterTest | TermTest | Group


@dataclass(frozen=True)
class FieldOrder:
    field: str
    descending: bool


@dataclass(frozen=True)
class ParameterOrder:
    name: str
    descending: bool


@dataclass(frozen=True)
class CreatorFirst:
    """userJobsFirst: items whose job was created by this user come first.

    `created_by` holds the createdBy values that stand for the user; the api layer fills it in
    (`identify_creators`), since only it knows how identities are written.
    """

    user_identity_id: str
    created_by: tuple[str, ...] = ()


Order = FieldOrder | ParameterOrder | CreatorFirst


@dataclass(frozen=True)
class SearchQuery:
    where: Group | None
    order: tuple[Order, ...]


#: (member path, what is wrong with it), collected over the whole query before it is refused.
Problems = list[tuple[str, str]]


class SearchRefused(Exception):
    """The search names fields, operators or values this resource does not support."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


# --- parsing -----------------------------------------------------------------------------------------

def parse(resource: Resource, filter_expressions: dict[str, Any] | None,
          sort_expressions: list[dict[str, Any]] | None) -> SearchQuery:
    """The query these (model-validated) inputs describe; raises SearchRefused naming every problem."""
    problems: Problems = []
    where = None
    if filter_expressions is not None:
        where = _group(resource, filter_expressions, "filterExpressions", problems)
    order = tuple(o for i, expression in enumerate(sort_expressions or ())
                  if (o := _order(resource, expression, f"sortExpressions[{i}]", problems)) is not None)
    if problems:
        raise SearchRefused(problems)
    return SearchQuery(where, order)


def identify_creators(query: SearchQuery, resolve: Callable[[str], tuple[str, ...]]) -> SearchQuery:
    """The query with each userJobsFirst given the createdBy values `resolve` finds for its user."""
    order = tuple(replace(o, created_by=resolve(o.user_identity_id)) if isinstance(o, CreatorFirst) else o
                  for o in query.order)
    return replace(query, order=order)


def field_named(resource: Resource, name: str) -> Field | None:
    canonical = ALIASES.get(resource, {}).get(name, name)
    return VOCABULARY[resource].get(canonical)


def _group(resource: Resource, group: dict[str, Any], path: str, problems: Problems) -> Group:
    members: list[Condition] = []
    for i, expression in enumerate(group["filters"]):
        (kind, body), = expression.items()  # the protocol already checked it is a one-member union
        member_path = f"{path}.filters[{i}].{kind}"
        condition: Condition | None
        if kind == "groupFilter":
            condition = _group(resource, body, member_path, problems)
        elif kind == "searchTermFilter":
            condition = _term(body, member_path, problems)
        elif kind == "parameterFilter":
            condition = _parameter_test(resource, body, member_path, problems)
        else:
            condition = _field_test(resource, kind, body, member_path, problems)
        if condition is not None:
            members.append(condition)
    return Group(group["operator"], tuple(members))


def _field_test(resource: Resource, kind: str, body: dict[str, Any], path: str, problems: Problems) -> FieldTest | None:
    field = field_named(resource, body["name"])
    if field is None:
        problems.append((f"{path}.name", _unknown_field(resource, body["name"])))
        return None
    operator = body["operator"]
    if operator not in _OPERATORS[kind]:
        problems.append((f"{path}.operator", f"{kind} supports only {', '.join(_OPERATORS[kind])}, not {operator}"))
        return None
    if kind == "dateTimeFilter":
        if field.kind is not Kind.DATETIME:
            problems.append((f"{path}.name",
                             f"{field.name} is no date-time field; use stringFilter or stringListFilter"))
            return None
        if not isinstance(body["dateTime"], datetime) or body["dateTime"].tzinfo is None:
            problems.append((f"{path}.dateTime", "Must be a timestamp"))
            return None
        return FieldTest(field.name, operator, (body["dateTime"],))
    if field.kind is Kind.DATETIME:
        problems.append((f"{path}.name", f"{field.name} is a date-time field; use dateTimeFilter"))
        return None
    raw = [body["value"]] if kind == "stringFilter" else list(body["values"])
    values = []
    for j, value in enumerate(raw):
        value_path = f"{path}.value" if kind == "stringFilter" else f"{path}.values[{j}]"
        checked = _field_value(field, value, value_path, problems)
        if checked is not None:
            values.append(checked)
    if len(values) != len(raw):
        return None
    return FieldTest(field.name, operator, tuple(values))


def _field_value(field: Field, value: str, path: str, problems: Problems) -> Any:
    if field.kind is Kind.STATUS and value not in field.allowed:
        problems.append((path, f"{value!r} is not a {field.name} value; one of {', '.join(field.allowed)}"))
        return None
    if field.kind is Kind.NUMBER:
        if not _INTEGER.fullmatch(value.strip()):
            problems.append((path, f"{field.name} holds integers; {value!r} is not one"))
            return None
        return int(value)
    return value


def _term(body: dict[str, Any], path: str, problems: Problems) -> TermTest | None:
    term = body["searchTerm"]
    if body.get("matchType", "FUZZY_MATCH") == "CONTAINS":
        return TermTest((term.lower(),))
    words = tuple(term.lower().split())
    if not words:
        problems.append((f"{path}.searchTerm", "The search term has no words to match"))
        return None
    return TermTest(words)


def _parameter_test(resource: Resource, body: dict[str, Any], path: str, problems: Problems) -> ParameterTest | None:
    name = _parameter_name(resource, body["name"], f"{path}.name", problems)
    operator = body["operator"]
    if operator not in _OPERATORS["parameterFilter"]:
        problems.append((f"{path}.operator",
                         f"parameterFilter supports only {', '.join(_OPERATORS['parameterFilter'])}, not {operator}"))
        return None
    if name is None:
        return None
    value = body["value"]
    number = float(value) if _NUMBER.fullmatch(value.strip()) else None
    return ParameterTest(name, operator, value, number)


def _parameter_name(resource: Resource, written: str, path: str, problems: Problems) -> str | None:
    prefix = PARAMETER_PREFIXES.get(resource)
    if prefix is None:
        problems.append((path, f"Search{resource.value.capitalize()} has no parameters to filter or sort on"))
        return None
    name = written.removeprefix(prefix)
    if not _IDENTIFIER.fullmatch(name):
        problems.append((path, f"{written!r} is no parameter name (a letter or _, then letters, digits or _;"
                               f" optionally written {prefix}<name>)"))
        return None
    return name


def _order(resource: Resource, expression: dict[str, Any], path: str, problems: Problems) -> Order | None:
    (kind, body), = expression.items()
    path = f"{path}.{kind}"
    if kind == "userJobsFirst":
        if resource is Resource.WORKERS:
            problems.append((path, "Workers have no jobs to put first"))
            return None
        return CreatorFirst(body["userIdentityId"])
    descending = body["sortOrder"] == "DESCENDING"
    if kind == "parameterSort":
        name = _parameter_name(resource, body["name"], f"{path}.name", problems)
        return ParameterOrder(name, descending) if name is not None else None
    field = field_named(resource, body["name"])
    if field is None:
        problems.append((f"{path}.name", _unknown_field(resource, body["name"])))
        return None
    return FieldOrder(field.name, descending)


def _unknown_field(resource: Resource, name: str) -> str:
    known = sorted([*VOCABULARY[resource], *ALIASES.get(resource, {})])
    return f"{name!r} is not a field of {resource.value}; one of {', '.join(known)}"
