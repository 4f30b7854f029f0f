"""What setting a worker up costs the store: CreateWorker, AssumeFleetRoleForWorker and UpdateWorker
STARTED, as the agent calls them, in statements (both stores) and round trips (PostgreSQL).

A replica runs its handlers one at a time, so on PostgreSQL it waits through every round trip:
set-up was 22 of them (5, 5 and 12) and one replica set up 4-8 times fewer workers a second than
SQLite did (docs/benchmarks.md, "heartbeats"). The statements whose answers nobody reads go with
the next statement or the COMMIT now (store/send_later.py); these figures pin that.
"""

from __future__ import annotations

import json

import pytest

from farmstead.testing.scripted_worker import CAPABILITIES
from tests.orchestration.test_heartbeat_statements import farm_with_queue

#: The most statements each call may run (what it runs now). UpdateWorker was 10 on SQLite and 12 on
#: PostgreSQL: it no longer reads the sessions of a worker whose row says it has none open, nor its
#: log group back after making sure it exists. PostgreSQL marks the worker seen in two statements
#: (store/workers.py, `touch`).
STATEMENTS = {"sqlite": {"CreateWorker": 4, "AssumeFleetRoleForWorker": 5, "UpdateWorker STARTED": 8},
              "postgresql": {"CreateWorker": 4, "AssumeFleetRoleForWorker": 5, "UpdateWorker STARTED": 10}}
#: Round trips on PostgreSQL: CreateWorker reads the fleet (with BEGIN), then the worker's row,
#: its fleet's count and the audit entry go with the COMMIT; AssumeFleetRoleForWorker reads the
#: worker and the fleet's queues, then tidies expired keys and adds the new one with the COMMIT;
#: UpdateWorker marks the worker seen (a pipeline), reads its fleet's host configuration and its
#: status under lock, then the row, the counts, the log stream and the NOTIFY go with the COMMIT.
ROUND_TRIPS = {"CreateWorker": 2, "AssumeFleetRoleForWorker": 3, "UpdateWorker STARTED": 4}


def _set_up(client, counter) -> tuple[dict[str, int], dict[str, int]]:
    farm = farm_with_queue(client)
    ids = {"farmId": farm["farmId"], "fleetId": farm["fleetId"]}
    statements: dict[str, int] = {}
    round_trips: dict[str, int] = {}

    def call(label: str, operation, **params) -> dict:
        with counter.counting() as counted, counter.round_trips() as waited:
            answer = operation(**ids, **params)
        statements[label], round_trips[label] = counted[0], waited[0]
        return answer

    ids["workerId"] = call("CreateWorker", client.create_worker, hostProperties={"hostName": "setup"})["workerId"]
    call("AssumeFleetRoleForWorker", client.assume_fleet_role_for_worker)
    answer = call("UpdateWorker STARTED", client.update_worker, status="STARTED", capabilities=CAPABILITIES)
    assert answer["log"]["logDriver"] == "awslogs"
    assert client.get_worker(**ids)["status"] == "IDLE"  # STARTED and no session: IDLE, as the service says
    return statements, round_trips


def test_setting_a_worker_up_runs_no_more_statements_than_it_does_now(engine_room, request):
    client, counter = engine_room
    statements, _ = _set_up(client, counter)
    print(json.dumps(statements))
    budget = STATEMENTS[request.node.callspec.params["engine_room"]]
    assert {label: n for label, n in statements.items() if n > budget[label]} == {}


def test_setting_a_worker_up_on_postgresql_is_nine_round_trips_not_twenty_two(engine_room, request):
    client, counter = engine_room
    if request.node.callspec.params["engine_room"] != "postgresql":
        pytest.skip("SQLite has no round trips")
    for _ in range(2):  # the first worker of a fleet makes its log group too: the same round trips
        _, round_trips = _set_up(client, counter)
        assert round_trips == ROUND_TRIPS
