"""A job template's work stays bounded and off the request path of everyone else: a YAML alias bomb is
refused at once, and a large legitimate template is planned while /health and other writes go on
answering (planning runs outside the event loop and outside the write transaction)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from domain.test_template_documents import alias_bomb

#: What /health may take while a template is refused (before the fix it waited minutes), with room
#: for a busy machine.
PROMPT_SECONDS = 2.0
#: The share of a large template's CreateJob time another request may wait: planning it on the
#: request path made /health wait for all of it (1.5-2.2 s of about 2 s); measured as a share so a
#: busy machine slows both sides alike.
WAIT_SHARE = 0.4


def large_template(steps: int = 300, args: int = 300) -> str:
    """About 90,000 values (within the bound), about a second of planning."""
    return json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "large", "steps": [
        {"name": f"s{i}", "script": {"actions": {"onRun": {"command": "echo", "args": [f"a{j}" for j in range(args)]}}}}
        for i in range(steps)]})


class HealthWatch:
    """Polls /health from a thread and keeps the slowest answer."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.slowest = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(self.endpoint + "/health", timeout=60) as response:
                assert response.status == 200
            self.slowest = max(self.slowest, time.perf_counter() - started)
            self.answers += 1
            time.sleep(0.02)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="templates")["queueId"]


def test_yaml_alias_bomb_is_refused_at_once_naming_the_template(server, deadline, farm_id, queue_id):
    bomb = alias_bomb(levels=8)  # 10^8 strings once expanded
    with HealthWatch(server.endpoint) as health:
        started = time.perf_counter()
        with pytest.raises(ClientError) as caught:
            deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="YAML", template=bomb)
        took = time.perf_counter() - started
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["template"]
    assert "aliases" in error["Error"]["Message"]
    assert took < 10.0 and health.slowest < PROMPT_SECONDS


def test_large_template_is_planned_while_health_and_other_writes_answer(server, deadline, farm_id, queue_id):
    template = large_template()
    created: dict = {}

    def submit() -> None:
        started = time.perf_counter()
        created.update(deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                           template=template))
        created["took"] = time.perf_counter() - started

    writes: list[float] = []
    with HealthWatch(server.endpoint) as health:
        submitter = threading.Thread(target=submit)
        submitter.start()
        time.sleep(0.2)  # the request is read and planning has begun
        while submitter.is_alive():
            started = time.perf_counter()
            deadline.create_farm(displayName="written while a template is planned")
            writes.append(time.perf_counter() - started)
            time.sleep(0.05)
        submitter.join()
    assert created["jobId"]
    job = deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=created["jobId"])
    assert job["lifecycleStatus"] == "CREATE_COMPLETE" and sum(job["taskRunStatusCounts"].values()) == 300
    allowed = WAIT_SHARE * created["took"]
    assert health.answers > 3 and health.slowest < allowed, \
        f"/health took {health.slowest:.2f} s of {created['took']:.2f}"
    assert writes and max(writes) < allowed, f"a write waited {max(writes):.2f} s of {created['took']:.2f}"
