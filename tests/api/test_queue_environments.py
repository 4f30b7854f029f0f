"""Queue environments through a real boto3 client against a live server."""

import json

import pytest
from botocore.exceptions import ClientError


def _template(name="Env", **environment):
    environment = environment or {"variables": {"RENDERER": "arnold"}}
    return json.dumps({"specificationVersion": "environment-2023-09", "environment": {"name": name, **environment}})


YAML_TEMPLATE = """\
specificationVersion: environment-2023-09
environment:
  name: YamlEnv
  script:
    actions:
      onEnter:
        command: echo
        args: ["entering"]
"""


@pytest.fixture
def queue_id(deadline, farm_id):
    return deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]


def _create(deadline, farm_id, queue_id, priority=0, template=None, template_type="JSON"):
    return deadline.create_queue_environment(farmId=farm_id, queueId=queue_id, priority=priority,
                                             templateType=template_type, template=template or _template())[
        "queueEnvironmentId"]


def _listed(deadline, farm_id, queue_id):
    return [(e["name"], e["priority"]) for e in
            deadline.list_queue_environments(farmId=farm_id, queueId=queue_id)["environments"]]


def _refusal(caught):
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in error["fieldList"]] == ["template"]
    return error["message"]


def test_create_then_get_names_the_environment_after_its_template(deadline, farm_id, queue_id):
    template = _template("Renderer")
    env_id = _create(deadline, farm_id, queue_id, priority=7, template=template)
    env = deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    assert (env["queueEnvironmentId"], env["name"], env["priority"]) == (env_id, "Renderer", 7)
    assert (env["templateType"], env["template"]) == ("JSON", template)
    assert env["createdBy"].endswith("user/admin") and "updatedAt" not in env


def test_yaml_template_is_kept_as_written(deadline, farm_id, queue_id):
    env_id = _create(deadline, farm_id, queue_id, template=YAML_TEMPLATE, template_type="YAML")
    env = deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    assert (env["name"], env["templateType"], env["template"]) == ("YamlEnv", "YAML", YAML_TEMPLATE)


def test_yaml_declared_as_json_is_refused_and_nothing_is_created(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        _create(deadline, farm_id, queue_id, template=YAML_TEMPLATE, template_type="JSON")
    assert "not a valid JSON document" in _refusal(caught)
    assert _listed(deadline, farm_id, queue_id) == []


def test_template_openjd_rejects_is_refused_with_openjds_explanation(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        _create(deadline, farm_id, queue_id, template=_template("Empty", description="nothing to do"))
    assert "Environment must have either a script or variables" in _refusal(caught)


def test_job_template_is_no_environment_template(deadline, farm_id, queue_id):
    job = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "job",
                      "steps": [{"name": "s", "script": {"actions": {"onRun": {"command": "echo"}}}}]})
    with pytest.raises(ClientError) as caught:
        _create(deadline, farm_id, queue_id, template=job)
    assert "environment-2023-09" in _refusal(caught)


def test_second_environment_with_the_same_name_is_refused(deadline, farm_id, queue_id):
    _create(deadline, farm_id, queue_id, template=_template("Twin"))
    with pytest.raises(ClientError) as caught:
        _create(deadline, farm_id, queue_id, priority=5, template=_template("Twin"))
    assert "Twin" in _refusal(caught)
    assert _listed(deadline, farm_id, queue_id) == [("Twin", 0)]


def test_same_name_in_another_queue_is_fine(deadline, farm_id, queue_id):
    other = deadline.create_queue(farmId=farm_id, displayName="other")["queueId"]
    _create(deadline, farm_id, queue_id, template=_template("Shared"))
    _create(deadline, farm_id, other, template=_template("Shared"))
    assert _listed(deadline, farm_id, other) == [("Shared", 0)]


def test_list_orders_by_priority_then_creation_across_pages(deadline, farm_id, queue_id):
    for name, priority in (("late", 10), ("first", 0), ("tie-a", 5), ("tie-b", 5), ("tie-c", 5)):
        _create(deadline, farm_id, queue_id, priority=priority, template=_template(name))
    pages = deadline.get_paginator("list_queue_environments").paginate(
        farmId=farm_id, queueId=queue_id, PaginationConfig={"PageSize": 2})
    seen = [e["name"] for page in pages for e in page["environments"]]
    assert seen == ["first", "tie-a", "tie-b", "tie-c", "late"]


def test_update_priority_reorders_and_template_renames(deadline, farm_id, queue_id):
    a = _create(deadline, farm_id, queue_id, priority=1, template=_template("A"))
    _create(deadline, farm_id, queue_id, priority=2, template=_template("B"))
    deadline.update_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=a, priority=3,
                                      template=YAML_TEMPLATE, templateType="YAML")
    assert _listed(deadline, farm_id, queue_id) == [("B", 2), ("YamlEnv", 3)]
    env = deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=a)
    assert (env["templateType"], env["template"]) == ("YAML", YAML_TEMPLATE)
    assert env["updatedBy"].endswith("user/admin") and "updatedAt" in env


def test_update_type_alone_must_still_fit_the_stored_template(deadline, farm_id, queue_id):
    env_id = _create(deadline, farm_id, queue_id, template=YAML_TEMPLATE, template_type="YAML")
    with pytest.raises(ClientError) as caught:
        deadline.update_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id,
                                          templateType="JSON", priority=9)
    _refusal(caught)
    env = deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    assert (env["templateType"], env["priority"]) == ("YAML", 0)


def test_update_to_a_name_another_environment_holds_is_refused(deadline, farm_id, queue_id):
    _create(deadline, farm_id, queue_id, template=_template("Taken"))
    mine = _create(deadline, farm_id, queue_id, template=_template("Mine"))
    with pytest.raises(ClientError) as caught:
        deadline.update_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=mine,
                                          template=_template("Taken"))
    _refusal(caught)
    # Rewriting its own template under the same name is no clash.
    deadline.update_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=mine,
                                      template=_template("Mine", variables={"X": "2"}))


def test_delete_then_get_is_not_found_and_deleting_again_succeeds(deadline, farm_id, queue_id):
    env_id = _create(deadline, farm_id, queue_id)
    deadline.delete_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    with pytest.raises(ClientError) as caught:
        deadline.get_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)
    error = caught.value.response
    assert (error["resourceId"], error["resourceType"]) == (env_id, "queue-environment")
    # The model lists no ResourceNotFoundException for DeleteQueueEnvironment.
    deadline.delete_queue_environment(farmId=farm_id, queueId=queue_id, queueEnvironmentId=env_id)


def test_unknown_queue_is_not_found_naming_the_queue(deadline, farm_id):
    missing = "queue-" + "2" * 32
    with pytest.raises(ClientError) as caught:
        _create(deadline, farm_id, missing)
    error = caught.value.response
    assert (error["Error"]["Code"], error["resourceId"], error["resourceType"]) == (
        "ResourceNotFoundException", missing, "queue")


def test_environment_is_not_found_under_another_queue(deadline, farm_id, queue_id):
    env_id = _create(deadline, farm_id, queue_id)
    other = deadline.create_queue(farmId=farm_id, displayName="other")["queueId"]
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_queue_environment(farmId=farm_id, queueId=other, queueEnvironmentId=env_id)
    deadline.delete_queue_environment(farmId=farm_id, queueId=other, queueEnvironmentId=env_id)
    assert _listed(deadline, farm_id, queue_id) == [("Env", 0)]
