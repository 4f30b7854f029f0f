"""How many SQL statements a heartbeat (UpdateWorkerSchedule) runs, call by call, through a job's
life: idle, a session opened, reports of starts, successes, a failure retried, a cancel of a queued
task, a dependent step released, the session wound down and ended.

The heartbeat is the server's hottest write: every worker calls it every few seconds. Its statement
count is pinned (the most each call may run, on each store) so that a change that makes it read or
write row by row again fails here, not in a benchmark run weeks later. The figures are what it runs
now (issue 19), the same on both stores; `-s` prints the counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from support.worker_jobs import ROLE, frames_template


def ran(seconds: float, status: str = "SUCCEEDED") -> dict:
    """A final report of a run that took `seconds` by the worker's clock (within the server's bounds)."""
    ended = datetime.now(UTC)
    report = {"startedAt": ended - timedelta(seconds=seconds), "endedAt": ended, "completedStatus": status}
    report["processExitCode"] = 0 if status == "SUCCEEDED" else 1
    return report


def started() -> dict:
    return {"startedAt": datetime.now(UTC)}


def farm_with_queue(client) -> dict[str, str]:
    farm_id = client.create_farm(displayName="statements")["farmId"]
    queue_id = client.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = client.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                   configuration=LINUX_FLEET)["fleetId"]
    client.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}


def submit(client, farm: dict, template: str, **kwargs) -> str:
    return client.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                             template=template, **kwargs)["jobId"]


def environments_template(frames: str) -> str:
    """Render over `frames`, entering a job environment and a step environment first."""
    template = json.loads(frames_template(frames))
    template["jobEnvironments"] = [{"name": "Outer", "script": {"actions": {"onEnter": {"command": "true"}}}}]
    template["steps"][0]["stepEnvironments"] = [{"name": "Inner",
                                                 "script": {"actions": {"onEnter": {"command": "true"}}}}]
    return json.dumps(template)


def heartbeats(client, counter) -> dict[str, int]:
    """The scenario: statements per call, by what the call does."""
    counts: dict[str, int] = {}
    farm = farm_with_queue(client)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])

    def beat(label: str, reports: dict | None = None) -> list[dict]:
        """The call's statements under `label`; returns the actions it lists, in order."""
        worker.reports = reports or {}
        with counter.counting() as statements:
            response = worker.poll()
        counts[label] = statements[0]
        beat.cancels = {i for ids in response["cancelSessionActions"].values() for i in ids}
        return [action for _, action in worker.pending_actions(response)]

    def ids(actions: list[dict]) -> list[str]:
        return [a["sessionActionId"] for a in actions]

    beat("idle, nothing to do")
    # A plain job: one step of 12 frames, no environments.
    job_id = submit(client, farm, frames_template("1-12"), maxRetriesPerTask=1, maxFailedTasksCount=5)
    (r1,) = ids(beat("opens a session"))
    r1, r2 = ids(beat("first task started: one queued ahead", {r1: started()}))
    listed = ids(beat("a short task succeeded, next started: queued deeper", {r1: ran(0.4), r2: started()}))
    assert len(listed) == 5, listed
    listed = ids(beat("one succeeded, next started", {listed[0]: ran(0.4), listed[1]: started()}))
    listed = ids(beat("nothing reported, session full"))
    queued = next(a for a in beat("nothing reported again") if a["sessionActionId"] == listed[-1])
    run = queued["definition"]["taskRun"]
    client.update_task(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, stepId=run["stepId"],
                       taskId=run["taskId"], targetRunStatus="CANCELED")
    beat("a queued task canceled: dropped from the list")
    listed = ids(beat("a queued task canceled: settled never attempted"))
    listed = ids(beat("a failure retried, next started: the session winds down",
                      {listed[0]: ran(0.4, "FAILED"), listed[1]: started()}))
    client.update_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id, targetTaskRunStatus="CANCELED")
    beat("job canceled: the running task asked to stop")
    stopping = {action_id: {"completedStatus": "CANCELED", "endedAt": datetime.now(UTC)} for action_id in beat.cancels}
    beat("cancels confirmed: the session ends", stopping)
    beat("idle again")

    # A job with environments and a dependent step: envEnters, a step released, envExits.
    template = json.loads(environments_template("1-2"))
    template["steps"].append({"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
                              "script": {"actions": {"onRun": {"command": "true"}}}})
    submit(client, farm, json.dumps(template))
    actions = beat("opens a session with environments")
    reports = {a["sessionActionId"]: ran(0.1) for a in actions if "envEnter" in a["definition"]}
    reports[next(a for a in actions if "taskRun" in a["definition"])["sessionActionId"]] = started()
    (first,) = ids(beat("environments entered, a task started", reports))
    (second,) = ids(beat("a task succeeded, the step's last one given", {first: ran(3.0)}))
    actions = beat("the step's last task ran and succeeded: the next step released, envExits queued",
                   {second: ran(3.0)})
    exits = {a["sessionActionId"]: ran(0.1) for a in actions if "envExit" in a["definition"]}
    assert exits, actions
    beat("envExits done: the session ends", exits)
    beat("nothing reported: the released step's session listed")
    return counts


#: The most statements each call may run, per store: what the engine ran before the heartbeat became
#: a plan (the counters then moved twice per call, and a session's queue was read again after each
#: change). SQLite's count includes BEGIN IMMEDIATE; PostgreSQL claims a task in two statements.
#: The same on both stores since issue 19 cut PostgreSQL's extra statements (a task claim is one
#: UPDATE there too) and both stores' re-reads: the fleet's started workers counted in the session's
#: step read, and the answer listing the sessions the call kept open without reading them again.
#: The +N notes say what made a call dearer than the engine's first count.
_COUNTS = {
    # +1 once per process: its first task move asks the database whether any subscription wants
    # per-task events (Task Run Status Change); from then on the answer is in memory, kept fresh
    # by the event delivery thread (store/events.py, docs/events.md).
    "idle, nothing to do": 3, "opens a session": 22, "first task started: one queued ahead": 20,
    "a short task succeeded, next started: queued deeper": 19, "one succeeded, next started": 19,
    "nothing reported, session full": 5, "nothing reported again": 5,
    "a queued task canceled: dropped from the list": 6, "a queued task canceled: settled never attempted": 11,
    # +3 since the engine: whether the session had failed already (a session counts once), the
    # failure counted against its worker and the queue's blocklist setting read
    # (docs/self-managing.md); only a heartbeat that reports a failure pays them. +1: the retried
    # task is READY again, so the fleets of its queue are found (and, on PostgreSQL, notified in
    # the same statement) to wake their idle workers' held calls (store/notifications.py).
    "a failure retried, next started: the session winds down": 18,
    "job canceled: the running task asked to stop": 6, "cancels confirmed: the session ends": 24,
    "idle again": 3, "opens a session with environments": 22,
    "environments entered, a task started": 23,
    # +1 in a call that changes a step's or a job's taskRunStatus (a session opened: SCHEDULED; a
    # step's last task given: RUNNING to ...): its events written to the outbox, one INSERT for all
    # of them just before the commit (docs/events.md).
    "a task succeeded, the step's last one given": 29,
    "the step's last task ran and succeeded: the next step released, envExits queued": 36,
    "envExits done: the session ends": 28, "nothing reported: the released step's session listed": 5,
}
BUDGETS = {"sqlite": _COUNTS, "postgresql": _COUNTS}


def test_no_heartbeat_runs_more_statements_than_the_engine_did_before(engine_room, request):
    client, counter = engine_room
    counts = heartbeats(client, counter)
    print(json.dumps(counts, indent=1))
    budget = BUDGETS[request.node.callspec.params["engine_room"]]
    assert list(counts) == list(budget)
    assert {label: n for label, n in counts.items() if n > budget[label]} == {}


def test_a_steady_heartbeat_moves_the_counters_once(engine_room, request):
    """A call that reports one task finished and another started, and tops its session up: the step's
    and the job's counters move once each, not once for the reports and again for the new tasks."""
    client, counter = engine_room
    counts = heartbeats(client, counter)
    budget = BUDGETS[request.node.callspec.params["engine_room"]]
    label = "one succeeded, next started"
    # The reports' and the top-up's moves in one UPDATE per step and per job: two more would be the
    # counters moved again for the new tasks.
    assert counts[label] == budget[label]


def _first_success(client, counter, *, followed_frame_by_frame: bool) -> int:
    """Statements of the heartbeat that reports a job's first task succeeded (and the next started)."""
    farm = farm_with_queue(client)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    render = submit(client, farm, frames_template("1-4"))
    if followed_frame_by_frame:
        submit(client, farm, frames_template("1-4"), tags={"farmstead:after": f"frame:{render}"})

    def poll(reports: dict) -> list[str]:
        worker.reports = reports
        return [action["sessionActionId"] for _, action in worker.pending_actions(worker.poll())]
    (first,) = poll({})
    first, second = poll({first: started()})[:2]
    worker.reports = {first: ran(0.4), second: started()}
    with counter.counting() as statements:
        worker.poll()
    return statements[0]


def test_a_frame_released_by_a_report_costs_at_most_eleven_statements_more(engine_room):
    """farmstead:after frame:JOB (docs/self-managing.md): the report that ends an upstream task looks
    its waiter up by index and releases it in the same transaction; a job nobody follows frame by
    frame reads nothing more (its flag comes with the task's row; the budgets above pin those)."""
    client, counter = engine_room
    plain = _first_success(client, counter, followed_frame_by_frame=False)
    followed = _first_success(client, counter, followed_frame_by_frame=True)
    print(json.dumps({"plain": plain, "followed frame by frame": followed}))
    assert 0 < followed - plain <= 11  # measured: 11 (the waiters read, the link deleted, the task moved,
    # its step's and job's counters and statuses, and their status changes' events in the outbox)


#: Round trips of an idle heartbeat on PostgreSQL: one pipeline (store/pipelines.py) of BEGIN, the
#: worker row marked seen, its open sessions counted and the steps it could start on (read ahead
#: for a worker that was idle when last answered), then COMMIT. Five before (BEGIN alone, each
#: statement alone); a replica waits through each (docs/scaling.md).
IDLE_ROUND_TRIPS = 2


def test_an_idle_heartbeat_on_postgresql_is_two_round_trips(engine_room, request):
    client, counter = engine_room
    if request.node.callspec.params["engine_room"] != "postgresql":
        pytest.skip("SQLite has no round trips")
    farm = farm_with_queue(client)
    worker = ScriptedWorker(client, farm["farmId"], farm["fleetId"])
    worker.poll()
    waits = []
    for _ in range(3):
        with counter.round_trips() as each:
            response = worker.poll()
        assert response["assignedSessions"] == {}
        waits.append(each[0])
    assert waits == [IDLE_ROUND_TRIPS] * 3
