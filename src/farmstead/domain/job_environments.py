"""The environments of a job, as a session enters them and BatchGetJobEntity names them.

Owns: the entering order (the queue's environments, then the job template's, then each step's) and
the environment ids (`JOB:<jobId>:<name>` for queue and job environments, `STEP:<stepId>:<name>` for
a step's), with the schema version each template is sent with.
Must not: read the store (the caller hands in the job's parts) or parse templates (job_templates does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

JOB_TEMPLATE_SCHEMA = "jobtemplate-2023-09"
ENVIRONMENT_SCHEMA = "environment-2023-09"


class Environment(NamedTuple):
    environment_id: str
    template: dict[str, Any]
    schema_version: str


def of_queue(job_id: str, queue_environments: list[dict[str, Any]] | None) -> Iterator[Environment]:
    """The queue's environments as stored with the job (each an environment template, or its
    `environment`): entered first, left last."""
    for queue_environment in queue_environments or []:
        environment = queue_environment.get("environment", queue_environment)
        yield Environment(f"JOB:{job_id}:{environment.get('name')}", environment, ENVIRONMENT_SCHEMA)


def of_template(job_id: str, job_template: dict[str, Any],
                steps: Iterable[tuple[str, dict[str, Any] | None]]) -> Iterator[Environment]:
    """The job template's environments, then those of each of `steps` ((step id, step template), in
    order): entered after the queue's."""
    for environment in job_template.get("jobEnvironments") or []:
        yield Environment(f"JOB:{job_id}:{environment['name']}", environment, JOB_TEMPLATE_SCHEMA)
    for step_id, step_template in steps:
        for environment in (step_template or {}).get("stepEnvironments") or []:
            yield Environment(f"STEP:{step_id}:{environment['name']}", environment, JOB_TEMPLATE_SCHEMA)
