"""The resolved symbol tables of a job that uses the OpenJD EXPR extension, as its workers get them.

Owns: from a job's template, its parameter values and its queue environments, the job-scope table
(`Param.*`, `RawParam.*`, `Job.Name`) and each step's (the job's plus `Step.Name` and the step's
template-scope `let` values), in the serialized JSON form BatchGetJobEntity sends as
`resolvedSymbolTable`. The `let` values are evaluated once, here, as the service does: a worker
does not evaluate them (the official agent fails a task whose table lacks one, "Undefined
variable"). openjd-model builds the tables (create_job_with_symbol_tables).
Must not: read the store (api/worker_protocol/job_entities.py hands the job in) or decide which entity gets which table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openjd.model import DecodeValidationError, create_job_with_symbol_tables

from farmstead.domain.job_templates import ParameterError, openjd_inputs

EXPR = "EXPR"


@dataclass(frozen=True)
class SymbolTables:
    job: str
    """The job scope, for queue and job environments."""
    steps: dict[str, str]
    """Each step's scope by step name, for the step and its step environments."""


def uses_expr(template: dict[str, Any]) -> bool:
    """Only EXPR templates get tables: without the extension there is no `let` and no `Job.Name`,
    and older agents reject the member."""
    return EXPR in (template.get("extensions") or [])


def resolved_tables(template: dict[str, Any], parameters: dict[str, dict[str, Any]],
                    queue_environment_templates: Iterable[dict[str, Any]] = ()) -> SymbolTables:
    """The tables of a job made from `template` with the (stored, already checked) `parameters`."""
    job_template, environments, values = openjd_inputs(template, parameters, queue_environment_templates)
    try:
        made = create_job_with_symbol_tables(job_template=job_template, job_parameter_values=values,
                                             environment_templates=environments)
    except (ValueError, DecodeValidationError) as exc:
        raise ParameterError("parameters", f"The job's symbol tables cannot be made: {exc}") from None
    return SymbolTables(job=made.job_symbol_table.to_json_str(),
                        steps={name: table.to_json_str() for name, table in made.step_symbol_tables.items()})
