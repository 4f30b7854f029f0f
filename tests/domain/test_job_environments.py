"""The environments of a job in entering order, with the ids sessions and BatchGetJobEntity use."""

from __future__ import annotations

from farmstead.domain import job_environments
from farmstead.domain.job_environments import ENVIRONMENT_SCHEMA, JOB_TEMPLATE_SCHEMA


def test_queue_environments_come_first_named_by_the_job_whether_stored_wrapped_or_bare():
    wrapped = {"specificationVersion": "environment-2023-09", "environment": {"name": "Conda"}}
    bare = {"name": "License"}
    found = list(job_environments.of_queue("job-1", [wrapped, bare]))
    assert [(e.environment_id, e.schema_version) for e in found] == [
        ("JOB:job-1:Conda", ENVIRONMENT_SCHEMA), ("JOB:job-1:License", ENVIRONMENT_SCHEMA)]
    assert found[0].template == {"name": "Conda"}


def test_a_job_without_queue_environments_has_none():
    assert list(job_environments.of_queue("job-1", None)) == []


def test_job_environments_then_each_steps_in_the_order_given():
    template = {"jobEnvironments": [{"name": "Outer"}, {"name": "Inner"}]}
    steps = [("step-a", {"stepEnvironments": [{"name": "A"}]}), ("step-b", None),
             ("step-c", {"stepEnvironments": [{"name": "C1"}, {"name": "C2"}]})]
    found = [(e.environment_id, e.schema_version) for e in job_environments.of_template("job-1", template, steps)]
    assert found == [("JOB:job-1:Outer", JOB_TEMPLATE_SCHEMA), ("JOB:job-1:Inner", JOB_TEMPLATE_SCHEMA),
                     ("STEP:step-a:A", JOB_TEMPLATE_SCHEMA), ("STEP:step-c:C1", JOB_TEMPLATE_SCHEMA),
                     ("STEP:step-c:C2", JOB_TEMPLATE_SCHEMA)]
