"""CreateJob's planning step: an Open Job Description template in, a description of the job out.

Owns: reading a submitted template (docs/jobs.md, Submission), checking the job parameters against it
and the queue's environment templates, and describing what the store must create: the job's
name and resolved parameter values, one StepPlan per template step with its task count, and the
lazy walk over a step's tasks in the API's TaskParameterValue form. openjd-model does the OpenJD
work; this module translates between its types and the API's shapes.
Must not: touch storage, HTTP or botocore; list tasks in order to count them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openjd.model import (
    CompatibilityError,
    DecodeValidationError,
    DocumentType,
    IntRangeExpr,
    StepParameterSpaceIterator,
    create_job,
    decode_environment_template,
    decode_job_template,
    merge_job_parameter_definitions,
    preprocess_job_parameters,
    v2023_09,
)

from farmstead.domain.template_documents import DocumentError, load_document

SUPPORTED_EXTENSIONS = frozenset(extension.value for extension in v2023_09.ExtensionName)
"""Every OpenJD extension the installed openjd-model implements; plan_job accepts a narrower set."""

# Values in one CHUNK[INT] range. openjd-model lists every value of a chunked range before it cuts
# chunks (about 85 MB per million values), so a huge range would exhaust memory even when it makes
# few tasks.
MAX_CHUNKED_VALUES = 1_000_000

# JobParameter union member -> the OpenJD job parameter type it carries (bool, rangeExpr and the
# lists belong to the EXPR extension, which openjd-model implements).
_MEMBER_TYPES = {
    "int": "INT", "float": "FLOAT", "string": "STRING", "path": "PATH", "bool": "BOOL",
    "rangeExpr": "RANGE_EXPR", "stringList": "LIST[STRING]", "pathList": "LIST[PATH]",
    "intList": "LIST[INT]", "floatList": "LIST[FLOAT]", "boolList": "LIST[BOOL]",
    "intListList": "LIST[LIST[INT]]",
}
_TYPE_MEMBERS = {openjd_type: member for member, openjd_type in _MEMBER_TYPES.items()}
# OpenJD task parameter type -> TaskParameterValue member, and -> GetStep's StepParameterType.
_TASK_MEMBERS = {"INT": "int", "FLOAT": "float", "STRING": "string", "PATH": "path", "CHUNK[INT]": "chunkInt"}
_STEP_PARAMETER_TYPES = {"INT": "INT", "FLOAT": "FLOAT", "STRING": "STRING", "PATH": "PATH", "CHUNK[INT]": "CHUNK_INT"}


class TemplateError(Exception):
    """The job template or a queue environment template is not valid OpenJD; the message says why."""


class ParameterError(Exception):
    """A job parameter value does not fit the template; `field_name` names it as `parameters[Name]`."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


class TaskQuotaExceeded(Exception):
    """The job would have more tasks than the quota allows."""

    def __init__(self, task_count: int, limit: int) -> None:
        super().__init__(f"The job would have {task_count:,} tasks; a job may have at most {limit:,}.")
        self.task_count = task_count
        self.limit = limit


@dataclass(frozen=True)
class StepPlan:
    index: int
    """Position of the step in the template."""
    name: str
    description: str | None
    template: dict[str, Any]
    """The OpenJD StepTemplate as submitted (format strings unresolved), what workers receive."""
    dependencies: tuple[str, ...]
    """Names of the steps this one depends on."""
    host_requirements: dict[str, Any] | None
    """Resolved `{"amounts": [{name, min?, max?}], "attributes": [{name, anyOf?|allOf?}]}`, numbers as floats."""
    parameter_space: dict[str, Any] | None
    """GetStep's `parameterSpace`: `{"parameters": [{name, type, chunks?}], "combination"?}`."""
    task_count: int
    resolved_space: Any = field(default=None, repr=False, compare=False)
    """openjd-model's StepParameterSpace with the job's values substituted; iter_task_parameters
    walks it. Not JSON: a stored job gets it back by planning its template again."""


@dataclass(frozen=True)
class JobPlan:
    name: str
    description: str | None
    parameters: dict[str, dict[str, Any]]
    """Every job parameter, defaults included, in the API's JobParameter union form."""
    parameter_definitions: list[dict[str, Any]]
    """The job template's own parameterDefinitions, as submitted."""
    steps: tuple[StepPlan, ...]
    template: dict[str, Any]
    job_environments: list[dict[str, Any]]
    task_count: int


def parse_template(text: str, template_type: str) -> dict[str, Any]:
    """JSON or YAML as `template_type` says; the other kind of document, no mapping, or a document
    outside the bounds of domain/template_documents.py is an error."""
    try:
        document_type = DocumentType(template_type)
    except ValueError:
        raise TemplateError(f"templateType must be JSON or YAML, not {template_type!r}.") from None
    try:
        document = load_document(text, document_type.value)
    except DocumentError as exc:
        raise TemplateError(str(exc)) from None
    # Every JSON document is also YAML, so the YAML parser alone never notices the mix-up.
    if document_type is DocumentType.YAML and text.lstrip().startswith("{"):
        try:
            json.loads(text)
        except ValueError:
            return document
        raise TemplateError("The template is a JSON document but templateType is YAML; send templateType JSON.")
    return document


def plan_job(
    template: dict[str, Any],
    parameters: dict[str, dict[str, Any]],
    *,
    queue_environment_templates: Iterable[dict[str, Any]] = (),
    name_override: str | None = None,
    description_override: str | None = None,
    max_tasks: int = 1_000_000,
    supported_extensions: Iterable[str] = SUPPORTED_EXTENSIONS,
) -> JobPlan:
    """Check `template` and `parameters` and describe the job; raises TemplateError,
    ParameterError or TaskQuotaExceeded. Queue environment templates come in the queue's order."""
    job_template, environments, resolved = openjd_inputs(template, parameters, queue_environment_templates,
                                                         supported_extensions)
    try:
        job = create_job(job_template=job_template, job_parameter_values=resolved,
                         environment_templates=environments)
    except (ValueError, DecodeValidationError) as exc:
        # The per-parameter checks found nothing, so the values only fail in combination, e.g. a
        # STRING frame list substituted into an INT task parameter range.
        raise ParameterError("parameters", f"The job cannot be made with these parameter values: {exc}") from None

    document = copy.deepcopy(template)
    steps = tuple(
        _plan_step(index, step_template, step, document["steps"][index])
        for index, (step_template, step) in enumerate(zip(job_template.steps, job.steps, strict=True)))
    task_count = sum(step.task_count for step in steps)
    if task_count > max_tasks:
        raise TaskQuotaExceeded(task_count, max_tasks)
    return JobPlan(
        name=name_override if name_override is not None else job.name,
        description=description_override if description_override is not None else job.description,
        parameters=_api_parameters(resolved, parameters),
        parameter_definitions=document.get("parameterDefinitions", []),
        steps=steps,
        template=document,
        job_environments=document.get("jobEnvironments", []),
        task_count=task_count,
    )


def openjd_inputs(template: dict[str, Any], parameters: dict[str, dict[str, Any]],
                  queue_environment_templates: Iterable[dict[str, Any]] = (),
                  supported_extensions: Iterable[str] = SUPPORTED_EXTENSIONS) -> tuple[Any, list[Any], Any]:
    """(job template, queue environment templates, preprocessed parameter values) as openjd-model
    takes them to make a job; raises TemplateError or ParameterError."""
    extensions = list(supported_extensions)
    job_template = _decode_job_template(template, extensions)
    environments = [_decode_environment_template(env, i, extensions)
                    for i, env in enumerate(queue_environment_templates)]
    try:
        definitions = merge_job_parameter_definitions(job_template=job_template,
                                                      environment_templates=environments)
    except CompatibilityError as exc:
        raise TemplateError(f"The job template's parameters conflict with the queue's environments: {exc}") from None
    values = _openjd_parameter_values(parameters, definitions)
    try:
        # A server has no template directory: PATH defaults were resolved by the submitter and
        # pass through as written, which is what allowing the walk-up from Path() does.
        resolved = preprocess_job_parameters(
            job_template=job_template, job_parameter_values=values, job_template_dir=Path(),
            current_working_dir=Path(), allow_job_template_dir_walk_up=True,
            environment_templates=environments)
    except (ValueError, DecodeValidationError) as exc:
        raise ParameterError("parameters", f"The job cannot be made with these parameter values: {exc}") from None
    return job_template, environments, resolved


def iter_task_parameters(step: StepPlan) -> Iterator[dict[str, dict[str, Any]]]:
    """Each task's parameters in the API's TaskParameterValue union form ({"Frame": {"int": "7"}},
    a chunk as {"chunkInt": "1-10"}), in OpenJD iteration order, lazily."""
    space = step.resolved_space
    if space is None and step.parameter_space is not None:
        raise ValueError(f"Step {step.name} carries no resolved parameter space; plan its job again.")
    tasks = StepParameterSpaceIterator(space=space, chunks_task_count_override=_fixed_chunk_size(space))
    members = tuple((name, _TASK_MEMBERS[definition.type.value])
                    for name, definition in (space.taskParameterDefinitions.items() if space else ()))
    # Plain loops rather than a comprehension: this runs once per task, up to millions of times.
    if len(members) == 1:
        (name, member), = members
        for task in tasks:
            yield {name: {member: task[name].value}}
        return
    for task in tasks:
        parameters = {}
        for name, member in members:
            parameters[name] = {member: task[name].value}
        yield parameters


# ----- templates -----

def _decode_job_template(template: Any, extensions: list[str]) -> Any:
    if not isinstance(template, dict):
        raise TemplateError("The job template must be a mapping of keys to values.")
    try:
        return decode_job_template(template=template, supported_extensions=extensions)
    except (DecodeValidationError, NotImplementedError) as exc:
        raise TemplateError(str(exc)) from None
    except IndexError:
        # openjd-model 0.14 fails while wording an error that belongs to the whole template (a
        # step dependency cycle has an empty error location), so validate again and word it here.
        raise TemplateError(_whole_template_errors(template, extensions)) from None


def _whole_template_errors(template: dict[str, Any], extensions: list[str]) -> str:
    try:
        v2023_09.JobTemplate.model_validate(
            template, context=v2023_09.ModelParsingContext(supported_extensions=extensions))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError with .errors()
        lines = []
        for error in exc.errors() if hasattr(exc, "errors") else ():
            cause = error.get("ctx", {}).get("error")
            message = str(cause) if error["type"] == "value_error" and cause else error["msg"]
            lines.append(f"{' -> '.join(map(str, error['loc'])) or 'JobTemplate'}: {message}")
        return "\n".join(lines) or str(exc)
    return "The job template is not valid."


def _decode_environment_template(template: Any, index: int, extensions: list[str]) -> Any:
    try:
        if not isinstance(template, dict):
            raise DecodeValidationError("The environment template must be a mapping of keys to values.")
        return decode_environment_template(template=template, supported_extensions=extensions)
    except (DecodeValidationError, NotImplementedError) as exc:
        raise TemplateError(f"Queue environment template {index + 1} is not valid: {exc}") from None


# ----- job parameters -----

def _openjd_parameter_values(parameters: dict[str, dict[str, Any]], definitions: list[Any]) -> dict[str, Any]:
    """The API's union values as openjd-model input values, checked one by one so that an error
    names its parameter (openjd-model reports all parameters in one message)."""
    by_name = {definition.name: definition for definition in definitions}
    values: dict[str, Any] = {}
    for name, union in parameters.items():
        field_name = f"parameters[{name}]"
        definition = by_name.get(name)
        if definition is None:
            known = ", ".join(by_name) or "none"
            raise ParameterError(field_name, f"The template defines no job parameter named {name} "
                                             f"(it defines: {known}).")
        if not isinstance(union, dict) or len(union) != 1:
            raise ParameterError(field_name, "A job parameter value sets exactly one of: "
                                             + ", ".join(_MEMBER_TYPES) + ".")
        (member, raw), = union.items()
        declared = definition.type.value
        expected = _TYPE_MEMBERS.get(declared)
        if member != expected:
            raise ParameterError(field_name, f"Job parameter {name} is of type {declared}; give its value "
                                             f"as '{expected}', not '{member}'.")
        try:
            value = _openjd_value(declared, raw)
            # The same check preprocess_job_parameters runs, once per parameter.
            check = getattr(definition, "_check_constraints", None)
            if check is not None:
                check(value)
        except (ValueError, TypeError) as exc:
            raise ParameterError(field_name, str(exc) or f"Job parameter {name} has an invalid value.") from None
        values[name] = value
    missing = [d.name for d in definitions if d.default is None and d.name not in values]
    if missing:
        raise ParameterError(f"parameters[{missing[0]}]",
                             f"Values missing for required job parameters: {', '.join(missing)}")
    return values


def _openjd_value(openjd_type: str, raw: Any) -> Any:
    if not openjd_type.startswith("LIST"):
        if not isinstance(raw, str):
            raise TypeError(f"A {openjd_type} value is a string, not {type(raw).__name__}.")
        return raw
    if not isinstance(raw, list):
        raise TypeError(f"A {openjd_type} value is a list, not {type(raw).__name__}.")
    # openjd-model wants native numbers in numeric lists; the API sends every item as a string.
    if openjd_type == "LIST[INT]":
        return [_number(int, item, openjd_type) for item in raw]
    if openjd_type == "LIST[FLOAT]":
        return [_number(Decimal, item, openjd_type) for item in raw]
    if openjd_type == "LIST[LIST[INT]]":
        return [[_number(int, item, openjd_type) for item in inner] for inner in raw]
    return list(raw)


def _number(kind: type, item: Any, openjd_type: str) -> Any:
    try:
        return kind(item)
    except (ValueError, TypeError, InvalidOperation):
        kind_name = "an integer" if kind is int else "a number"
        raise ValueError(f"{item!r} in a {openjd_type} value is not {kind_name}.") from None


def _api_parameters(resolved: dict[str, Any], submitted: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Submitted values echo as sent; defaults are written in the union member of their type."""
    return {name: dict(submitted[name]) if name in submitted
            else {_TYPE_MEMBERS[value.type.value]: _api_value(value.value)}
            for name, value in resolved.items()}


def _api_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_api_value(item) for item in value]
    return str(value)


# ----- steps -----

def _plan_step(index: int, step_template: Any, step: Any, document: dict[str, Any]) -> StepPlan:
    space = step.parameterSpace
    return StepPlan(
        index=index,
        name=step.name,
        description=step_template.description,
        template=document,
        dependencies=tuple(d.dependsOn for d in step_template.dependencies or ()),
        host_requirements=_host_requirements(step.hostRequirements),
        parameter_space=_parameter_space(space),
        task_count=_task_count(step.name, space),
        resolved_space=space,
    )


def _host_requirements(requirements: Any) -> dict[str, Any] | None:
    if requirements is None:
        return None
    amounts = [{"name": a.name, **{bound: float(getattr(a, bound)) for bound in ("min", "max")
                                   if getattr(a, bound) is not None}}
               for a in requirements.amounts or ()]
    attributes = [{"name": a.name, **{kind: list(getattr(a, kind)) for kind in ("anyOf", "allOf")
                                      if getattr(a, kind) is not None}}
                  for a in requirements.attributes or ()]
    return {"amounts": amounts, "attributes": attributes}


def _parameter_space(space: Any) -> dict[str, Any] | None:
    if space is None:
        return None
    parameters = []
    for name, definition in space.taskParameterDefinitions.items():
        parameter: dict[str, Any] = {"name": name, "type": _STEP_PARAMETER_TYPES[definition.type.value]}
        chunks = getattr(definition, "chunks", None)
        if chunks is not None:
            parameter["chunks"] = {"defaultTaskCount": int(chunks.defaultTaskCount),
                                   "rangeConstraint": chunks.rangeConstraint.value}
            if chunks.targetRuntimeSeconds is not None:
                parameter["chunks"]["targetRuntimeSeconds"] = int(chunks.targetRuntimeSeconds)
        parameters.append(parameter)
    result: dict[str, Any] = {"parameters": parameters}
    if space.combination is not None:
        result["combination"] = str(space.combination)
    return result


def _chunk_parameter(space: Any) -> tuple[str, Any] | None:
    for name, definition in (space.taskParameterDefinitions.items() if space else ()):
        if definition.type.value == "CHUNK[INT]":
            return name, definition
    return None


def _fixed_chunk_size(space: Any) -> int | None:
    # Chunks are cut once, at defaultTaskCount: as the override it turns off openjd's adaptive
    # chunking (targetRuntimeSeconds), which the OpenJD chunking RFC lets a scheduler ignore.
    chunked = _chunk_parameter(space)
    return int(chunked[1].chunks.defaultTaskCount) if chunked else None


def _task_count(step_name: str, space: Any) -> int:
    chunked = _chunk_parameter(space)
    try:
        if chunked is None:
            # Lazy: openjd-model multiplies range lengths without listing values.
            return len(StepParameterSpaceIterator(space=space))
        name, definition = chunked
        if len(definition.range) > MAX_CHUNKED_VALUES:
            raise TemplateError(f"Step {step_name}: the CHUNK[INT] parameter {name} has "
                                f"{len(definition.range):,} values; at most {MAX_CHUNKED_VALUES:,} can be chunked.")
        # openjd-model would list every value to cut chunks. Count the chunks here, then let
        # openjd-model count the space with a stand-in: a plain INT range of one value per chunk.
        stand_in = definition.model_copy(update={
            "type": v2023_09.TaskParameterType.INT, "chunks": None,
            "range": IntRangeExpr.from_str(f"1-{_chunk_count(definition)}")})
        definitions = {**space.taskParameterDefinitions, name: stand_in}
        return len(StepParameterSpaceIterator(
            space=space.model_copy(update={"taskParameterDefinitions": definitions})))
    except ValueError as exc:  # openjd-model's ExpressionError among them
        raise ParameterError("parameters", f"Step {step_name}: the parameter space is not valid: {exc}") from None


def _chunk_count(definition: Any) -> int:
    """How many chunks openjd-model cuts (`divide_chunk_sizes` gives ceil(n / size) chunks to a
    run of n values): NONCONTIGUOUS cuts all values as one run, CONTIGUOUS each run of
    consecutive integers separately."""
    size = int(definition.chunks.defaultTaskCount)
    values = definition.range
    if definition.chunks.rangeConstraint.value == "NONCONTIGUOUS":
        return -(-len(values) // size)
    # (first, last, step, count) per stretch of values, in iteration order; a list is walked value by value.
    if isinstance(values, list):
        stretches: Iterable[tuple[int, int, int, int]] = ((int(v), int(v), 1, 1) for v in values)
    else:
        stretches = ((r.start, r.end, r.step, len(r)) for r in values.ranges)
    chunks, run, last = 0, 0, None
    for first, end, step, count in stretches:
        leading = count if step == 1 else 1  # consecutive values at the start of the stretch
        if last is not None and first == last + 1:
            run += leading
        else:
            chunks, run = chunks - (-run // size), leading
        if step != 1 and count > 1:
            # The stretch's values are `step` apart: the open run ends after its first value,
            # the middle values are a chunk each, and the last value opens the next run.
            chunks, run = chunks - (-run // size) + count - 2, 1
        last = end
    return chunks - (-run // size)
