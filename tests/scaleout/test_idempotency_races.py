"""The same clientToken sent to two replicas at the same instant: one job, one answer, no 500."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from farmstead.testing.live_server import LiveServer

ROUNDS = 4
#: Materialized inline (~0.1 s): long enough for the two requests to overlap in the database.
TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "raced", "steps": [{
    "name": "Render", "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT",
                                                                        "range": "1-2000"}]},
    "script": {"actions": {"onRun": {"command": "true"}}}}]})


def test_one_client_token_at_once_on_two_replicas_creates_one_job_and_answers_it_twice(postgres_url, tmp_path):
    for n in range(2):
        (tmp_path / f"replica-{n}").mkdir()
    replicas = [LiveServer(tmp_path / f"replica-{n}", database_url=postgres_url).start() for n in range(2)]
    try:
        clients = [replica.client() for replica in replicas]
        farm_id = clients[0].create_farm(displayName="raced")["farmId"]
        queue_id = clients[0].create_queue(farmId=farm_id, displayName="q")["queueId"]
        for round_number in range(ROUNDS):
            barrier = threading.Barrier(2)

            def create(client, token=f"same-instant-{round_number}", barrier=barrier):
                barrier.wait()
                return client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                         template=TEMPLATE, clientToken=token)["jobId"]

            with ThreadPoolExecutor(2) as pool:
                job_ids = list(pool.map(create, clients))
            assert job_ids[0] == job_ids[1]
        assert len(clients[1].list_jobs(farmId=farm_id, queueId=queue_id)["jobs"]) == ROUNDS
    finally:
        for replica in replicas:
            replica.stop()
