"""The BatchGetJobEntity cache: batches of 10, duplicates folded, errors per identifier."""

import pytest

from farmstead.worker.entities import EntityError, JobEntities, identifier

STEP = {"name": "Render", "script": {"actions": {"onRun": {"command": "true"}}}}


class FakeServer:
    def __init__(self, too_big=()):
        self.calls = []
        self.too_big = set(too_big)

    def __call__(self, batch):
        self.calls.append(batch)
        entities, errors = [], []
        for item in batch:
            (kind, key), = item.items()
            if kind == "stepDetails" and key["stepId"] == "step-missing":
                errors.append({kind: {**key, "code": "ResourceNotFoundException", "message": "gone"}})
            elif kind == "stepDetails" and key["stepId"] in self.too_big and len(batch) > 1:
                errors.append({kind: {**key, "code": "MaxPayloadSizeExceeded", "message": "big"}})
            elif kind == "stepDetails":
                entities.append({kind: {**key, "schemaVersion": "jobtemplate-2023-09", "template": STEP,
                                        "dependencies": []}})
            else:
                entities.append({kind: {**key, "schemaVersion": "jobtemplate-2023-09", "logGroupName": "g"}})
        return {"entities": entities, "errors": errors}


def steps(*ids):
    return [identifier("stepDetails", jobId="job-1", stepId=i) for i in ids]


def test_prefetch_folds_duplicates_and_sends_at_most_ten_per_call():
    server = FakeServer()
    cache = JobEntities(server)
    cache.prefetch(steps(*[f"step-{i}" for i in range(12)]) + steps("step-0", "step-1"))
    assert [len(call) for call in server.calls] == [10, 2]
    cache.prefetch(steps("step-3"))
    assert len(server.calls) == 2  # cached


def test_templates_are_parsed_with_openjd_model():
    cache = JobEntities(FakeServer())
    template = cache.step_template("job-1", "step-1")
    assert template.name == "Render"
    assert template.script.actions.onRun.command == "true"


def test_an_entity_error_fails_that_entity_only():
    cache = JobEntities(FakeServer())
    with pytest.raises(EntityError) as raised:
        cache.step_template("job-1", "step-missing")
    assert raised.value.code == "ResourceNotFoundException"
    assert cache.job_details("job-1")["jobId"] == "job-1"


def test_entities_too_big_for_a_batch_are_asked_for_alone():
    server = FakeServer(too_big={"step-2"})
    cache = JobEntities(server)
    cache.prefetch(steps("step-1", "step-2"))
    assert [len(call) for call in server.calls] == [2, 1]
    assert cache.get(steps("step-2")[0])["stepId"] == "step-2"


def test_forgetting_a_job_drops_its_entities():
    server = FakeServer()
    cache = JobEntities(server)
    cache.job_details("job-1")
    cache.forget_job("job-1")
    cache.job_details("job-1")
    assert len(server.calls) == 2
