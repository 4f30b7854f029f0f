"""A heartbeat's batched task changes keep every step's and job's counters equal to its tasks'
statuses, whatever else happens in the same call or between calls: failure limits, cancels and
requeues of queued tasks, sessions ended or workers lost with tasks queued ahead, dependencies."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import ScriptedWorker, now
from support.worker_jobs import frames_template, served_queue, submit, task_runs


@pytest.fixture
def farm(deadline, farm_id):
    return served_queue(deadline, farm_id)


def job_key(farm, job_id) -> dict:
    return {"farmId": farm["farmId"], "queueId": farm["queueId"], "jobId": job_id}


def statuses(deadline, farm, job_id) -> dict[str, Counter]:
    """The tasks' actual run statuses, per step id."""
    key = job_key(farm, job_id)
    found = {}
    for step in deadline.list_steps(**key)["steps"]:
        tasks = deadline.list_tasks(**key, stepId=step["stepId"], maxResults=100)["tasks"]
        found[step["stepId"]] = Counter(task["runStatus"] for task in tasks)
    return found


def assert_counts_match(deadline, farm, job_id) -> Counter:
    """Every step's and the job's taskRunStatusCounts equal what ListTasks shows; returns the job's."""
    key = job_key(farm, job_id)
    actual = statuses(deadline, farm, job_id)
    for step_id, counted in actual.items():
        step_counts = deadline.get_step(**key, stepId=step_id)["taskRunStatusCounts"]
        assert {s: n for s, n in step_counts.items() if n} == dict(counted), step_id
    total = sum(actual.values(), Counter())
    job_counts = deadline.get_job(**key)["taskRunStatusCounts"]
    assert {s: n for s, n in job_counts.items() if n} == dict(total)
    return total


def start_first(worker) -> list[dict]:
    """Poll for a session, report its first task running; returns the taskRuns listed after that."""
    (first,) = task_runs(worker.poll())
    worker.reports = {first["sessionActionId"]: {"startedAt": now()}}
    return task_runs(worker.poll())


def finished(status: str, exit_code: int | None = None) -> dict:
    report = {"startedAt": now() - timedelta(seconds=5), "endedAt": now(), "completedStatus": status}
    if exit_code is not None:
        report["processExitCode"] = exit_code
    return report


@pytest.mark.parametrize("queued_reported_first", [False, True])
def test_failure_limit_reached_while_the_same_call_reports_the_queued_task_never_attempted(
        deadline, farm, queued_reported_first):
    job_id = submit(deadline, farm, "1-6", maxRetriesPerTask=0, maxFailedTasksCount=0)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    reports = [(running["sessionActionId"], finished("FAILED", 1)),
               (queued["sessionActionId"], {"completedStatus": "NEVER_ATTEMPTED"})]
    if queued_reported_first:
        reports.reverse()
    worker.reports = dict(reports)
    worker.poll()
    total = assert_counts_match(deadline, farm, job_id)
    assert total == Counter({"FAILED": 1, "CANCELED": 5})


def test_failure_limit_reached_by_one_worker_while_another_reports_its_tasks(deadline, farm):
    job_id = submit(deadline, farm, "1-8", maxRetriesPerTask=0, maxFailedTasksCount=0)
    first, second = (ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]) for _ in range(2))
    first_running, first_queued = start_first(first)
    second_running, second_queued = start_first(second)
    # The agent reports the actions queued behind a failed one NEVER_ATTEMPTED (docs/compatibility.md).
    first.reports = {first_running["sessionActionId"]: finished("FAILED", 1),
                     first_queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    first.poll()
    assert_counts_match(deadline, farm, job_id)
    # The second worker's task finished before it heard; its queued one was dropped from its list.
    second.reports = {second_running["sessionActionId"]: finished("SUCCEEDED", 0),
                      second_queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    second.poll()
    second.poll()
    total = assert_counts_match(deadline, farm, job_id)
    assert total["FAILED"] == 1 and total["SUCCEEDED"] == 1 and total["CANCELED"] == 6


def test_a_task_requeued_while_running_lands_canceled_when_the_job_then_reaches_its_failure_limit(deadline, farm):
    """The failure limit's cancel is the latest decision for a task still INTERRUPTING on its way back
    to READY: it lands CANCELED, not READY in a job that no longer hands out work."""
    job_id = submit(deadline, farm, "1-8", maxRetriesPerTask=0, maxFailedTasksCount=0)
    first, second = (ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]) for _ in range(2))
    first_running, first_queued = start_first(first)
    second_running, second_queued = start_first(second)
    run = first_running["definition"]["taskRun"]
    task = {**job_key(farm, job_id), "stepId": run["stepId"], "taskId": run["taskId"]}
    deadline.update_task(**task, targetRunStatus="READY")  # requeued while it runs: INTERRUPTING
    second.reports = {second_running["sessionActionId"]: finished("FAILED", 1),
                      second_queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    second.poll()  # the failure limit: the rest of the job is canceled
    first.reports = {first_running["sessionActionId"]: finished("CANCELED"),
                     first_queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    first.poll()
    assert deadline.get_task(**task)["runStatus"] == "CANCELED"
    assert assert_counts_match(deadline, farm, job_id) == Counter({"FAILED": 1, "CANCELED": 7})


def test_canceling_a_queued_task_settles_it_with_the_counters(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    run = queued["definition"]["taskRun"]
    deadline.update_task(**job_key(farm, job_id), stepId=run["stepId"], taskId=run["taskId"],
                         targetRunStatus="CANCELED")
    assert_counts_match(deadline, farm, job_id)
    listed = task_runs(worker.poll())
    assert queued["sessionActionId"] not in [a["sessionActionId"] for a in listed]
    assert_counts_match(deadline, farm, job_id)
    worker.poll()  # the worker said nothing of it: it never ran, and settles
    total = assert_counts_match(deadline, farm, job_id)
    assert total["CANCELED"] == 1
    worker.reports = {running["sessionActionId"]: finished("SUCCEEDED", 0)}
    worker.poll()
    assert_counts_match(deadline, farm, job_id)


def test_requeueing_the_job_with_tasks_queued_ahead_keeps_the_counters(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    deadline.update_job(**job_key(farm, job_id), targetTaskRunStatus="READY")
    assert_counts_match(deadline, farm, job_id)
    worker.poll()
    assert_counts_match(deadline, farm, job_id)
    worker.reports = {running["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    total = assert_counts_match(deadline, farm, job_id)
    assert total["INTERRUPTING"] == 0


#: A requeued task: READY, or already handed out again.
BACK_IN_LINE = ("READY", "ASSIGNED", "SCHEDULED", "RUNNING")


def test_a_running_task_canceled_then_requeued_before_its_worker_confirms_lands_ready(deadline, farm):
    """UpdateTask CANCELED sends the cancel; UpdateTask READY before the worker's answer changes where
    the task lands once the worker confirms (the latest decision wins), not the cancel itself."""
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, _ = start_first(worker)
    run = running["definition"]["taskRun"]
    task = {**job_key(farm, job_id), "stepId": run["stepId"], "taskId": run["taskId"]}
    deadline.update_task(**task, targetRunStatus="CANCELED")
    deadline.update_task(**task, targetRunStatus="READY")
    assert deadline.get_task(**task)["runStatus"] == "INTERRUPTING"
    assert deadline.get_task(**task)["targetRunStatus"] == "READY"
    worker.reports = {running["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    # READY, and possibly handed straight back to the worker by the same call (it comes first).
    assert deadline.get_task(**task)["runStatus"] in BACK_IN_LINE
    assert assert_counts_match(deadline, farm, job_id)["CANCELED"] == 0


def test_a_step_canceled_then_requeued_before_its_worker_confirms_lands_ready(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    step = {**job_key(farm, job_id), "stepId": running["definition"]["taskRun"]["stepId"]}
    deadline.update_step(**step, targetTaskRunStatus="CANCELED")
    deadline.update_step(**step, targetTaskRunStatus="READY")
    task = {**step, "taskId": running["definition"]["taskRun"]["taskId"]}
    assert (deadline.get_task(**task)["runStatus"], deadline.get_task(**task)["targetRunStatus"]) == (
        "INTERRUPTING", "READY")
    # The agent answers both cancels: the running task's, and the queued one's it never started.
    worker.reports = {running["sessionActionId"]: finished("CANCELED"),
                      queued["sessionActionId"]: {"endedAt": now(), "completedStatus": "NEVER_ATTEMPTED"}}
    worker.poll()
    assert deadline.get_task(**task)["runStatus"] in BACK_IN_LINE
    total = assert_counts_match(deadline, farm, job_id)
    assert total["CANCELED"] == 0 and total["INTERRUPTING"] == 0


def test_ending_a_session_with_a_task_queued_ahead_keeps_the_counters(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    (session_id,) = [s["sessionId"] for s in deadline.list_sessions(**job_key(farm, job_id))["sessions"]]
    deadline.update_session(**job_key(farm, job_id), sessionId=session_id, targetLifecycleStatus="ENDED")
    assert_counts_match(deadline, farm, job_id)
    # The agent reports the action queued behind a canceled one NEVER_ATTEMPTED (docs/compatibility.md).
    worker.reports = {running["sessionActionId"]: finished("CANCELED"),
                      queued["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    worker.poll()  # ends the session and, the worker being free, starts another with one task
    assert deadline.get_session(**job_key(farm, job_id), sessionId=session_id)["lifecycleStatus"] == "ENDED"
    total = assert_counts_match(deadline, farm, job_id)
    assert total == Counter({"READY": 5, "ASSIGNED": 1})


def test_a_worker_stopped_with_a_task_queued_ahead_gives_both_back(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    start_first(worker)
    deadline.update_worker(**worker.ids, status="STOPPED")
    total = assert_counts_match(deadline, farm, job_id)
    assert total == Counter({"READY": 6})


def test_several_tasks_finishing_in_one_call_release_the_dependent_step(deadline, farm):
    job_id = submit(deadline, farm, "1-3", second_step=True)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    first, second = start_first(worker)
    worker.reports = {first["sessionActionId"]: finished("SUCCEEDED", 0),
                      second["sessionActionId"]: finished("SUCCEEDED", 0)}
    (third,) = task_runs(worker.poll())
    assert_counts_match(deadline, farm, job_id)
    worker.reports = {third["sessionActionId"]: finished("SUCCEEDED", 0)}
    worker.poll()
    assert_counts_match(deadline, farm, job_id)
    worker.run()
    total = assert_counts_match(deadline, farm, job_id)
    assert total == Counter({"SUCCEEDED": 4})


def test_short_tasks_queued_deep_then_the_job_canceled_keeps_the_counters(deadline, farm):
    job_id = submit(deadline, farm, "1-40")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    (first,) = task_runs(worker.poll())
    started = now()
    worker.reports = {first["sessionActionId"]: {"startedAt": started, "endedAt": started + timedelta(seconds=0.2),
                                                 "completedStatus": "SUCCEEDED", "processExitCode": 0}}
    listed = task_runs(worker.poll())
    assert len(listed) == 10
    # The worker finishes two, starts a third, and the job is canceled before it reports.
    deadline.update_job(**job_key(farm, job_id), targetTaskRunStatus="CANCELED")
    assert_counts_match(deadline, farm, job_id)
    worker.reports = {listed[0]["sessionActionId"]: finished("SUCCEEDED", 0),
                      listed[1]["sessionActionId"]: finished("SUCCEEDED", 0),
                      listed[2]["sessionActionId"]: {"startedAt": now()}}
    response = worker.poll()
    assert_counts_match(deadline, farm, job_id)
    assert listed[2]["sessionActionId"] in response["cancelSessionActions"].get(
        next(iter(response["assignedSessions"]), ""), [])
    worker.reports = {listed[2]["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    worker.poll()
    total = assert_counts_match(deadline, farm, job_id)
    assert total == Counter({"SUCCEEDED": 3, "CANCELED": 37})


def assigned_task_ids(response) -> set[str]:
    return {action["definition"]["taskRun"]["taskId"] for action in task_runs(response)}


def test_ending_a_session_never_hands_its_queued_task_to_another_worker_before_its_worker_reports(deadline, farm):
    """The worker may have finished the running task and started the queued one since its last
    report: UpdateSession must not give that task to anyone else until the worker says."""
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    (session_id,) = [s["sessionId"] for s in deadline.list_sessions(**job_key(farm, job_id))["sessions"]]
    deadline.update_session(**job_key(farm, job_id), sessionId=session_id, targetLifecycleStatus="ENDED")
    other = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assert queued["definition"]["taskRun"]["taskId"] not in assigned_task_ids(other.poll())
    # Meanwhile on the first worker: the running task finished and the queued one started.
    worker.reports = {running["sessionActionId"]: finished("SUCCEEDED", 0),
                      queued["sessionActionId"]: {"startedAt": now()}}
    response = worker.poll()
    assert queued["sessionActionId"] in response["cancelSessionActions"].get(session_id, [])
    worker.reports = {queued["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    assert deadline.get_session(**job_key(farm, job_id), sessionId=session_id)["lifecycleStatus"] == "ENDED"
    run = queued["definition"]["taskRun"]
    task = deadline.get_task(**job_key(farm, job_id), stepId=run["stepId"], taskId=run["taskId"])
    assert task["runStatus"] == "READY"
    assert_counts_match(deadline, farm, job_id)


def test_a_requeued_task_queued_ahead_is_not_handed_out_again_while_its_worker_may_have_started_it(deadline, farm):
    """The queued task is dropped from the worker's list at the next heartbeat, but the worker may
    start it while that answer is on its way (its running task just finished): the task goes back
    to READY only once a later heartbeat shows the worker never started it."""
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    deadline.update_job(**job_key(farm, job_id), targetTaskRunStatus="READY")
    response = worker.poll()  # sent before the running task finished
    (session_id,) = response["assignedSessions"]
    listed = [a["sessionActionId"] for a in response["assignedSessions"][session_id]["sessionActions"]]
    assert queued["sessionActionId"] not in listed
    other = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    assert queued["definition"]["taskRun"]["taskId"] not in assigned_task_ids(other.poll())
    assert_counts_match(deadline, farm, job_id)
    # It had started the queued task before that answer arrived: it is canceled, not run twice.
    worker.reports = {running["sessionActionId"]: finished("SUCCEEDED", 0),
                      queued["sessionActionId"]: {"startedAt": now()}}
    response = worker.poll()
    assert queued["sessionActionId"] in response["cancelSessionActions"][session_id]
    worker.reports = {queued["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    total = assert_counts_match(deadline, farm, job_id)
    assert total["INTERRUPTING"] == 0


def test_a_queued_task_dropped_and_never_started_goes_back_at_the_next_heartbeat(deadline, farm):
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    running, queued = start_first(worker)
    deadline.update_job(**job_key(farm, job_id), targetTaskRunStatus="READY")
    worker.poll()
    worker.poll()  # it said nothing of the dropped task: it never ran
    key = job_key(farm, job_id)
    assert deadline.get_session_action(**key, sessionActionId=queued["sessionActionId"])["status"] == "NEVER_ATTEMPTED"
    run = queued["definition"]["taskRun"]
    assert deadline.get_task(**key, stepId=run["stepId"], taskId=run["taskId"])["runStatus"] == "READY"
    assert_counts_match(deadline, farm, job_id)



def test_an_environment_entered_while_the_session_was_being_ended_is_still_exited_innermost_first(deadline, farm):
    """UpdateSession cancels the setup; the worker finished the first envEnter and began the second
    before hearing of it. Both environments are exited, the inner one first (the agent enforces LIFO)."""
    environments = [{"name": name, "script": {"actions": {"onEnter": {"command": "true"}}}}
                    for name in ("Outer", "Inner")]
    document = json.loads(frames_template("1-3"))
    document["jobEnvironments"] = environments
    job_id = deadline.create_job(farmId=farm["farmId"], queueId=farm["queueId"], priority=50, templateType="JSON",
                                 template=json.dumps(document))["jobId"]
    key = job_key(farm, job_id)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    (session_id, outer), (_, inner), (_, run) = worker.pending_actions(worker.poll())
    worker.reports = {outer["sessionActionId"]: {"startedAt": now()}}
    worker.poll()
    deadline.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    worker.poll()  # sent while the outer environment was still being entered
    worker.reports = {outer["sessionActionId"]: finished("SUCCEEDED"), inner["sessionActionId"]: {"startedAt": now()}}
    response = worker.poll()
    assert inner["sessionActionId"] in response["cancelSessionActions"][session_id]
    worker.reports = {inner["sessionActionId"]: finished("CANCELED")}
    worker.poll()
    exits = [a["definition"]["envExit"]["environmentId"] for _, a in worker.pending_actions(worker.poll())]
    assert exits == [inner["definition"]["envEnter"]["environmentId"], outer["definition"]["envEnter"]["environmentId"]]
    assert deadline.get_session_action(**key, sessionActionId=run["sessionActionId"])["status"] == "NEVER_ATTEMPTED"
    assert_counts_match(deadline, farm, job_id)


def running_on_postgres(server, deadline, farm):
    """(job id, a worker running its first task, an engine on the server's database) for the races
    between replicas, which need PostgreSQL's row locks."""
    if not server.database_url:
        pytest.skip("row locks between replicas: PostgreSQL only")
    job_id = submit(deadline, farm, "1-6")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    start_first(worker)
    return job_id, worker, sa.create_engine(server.database_url)


def test_a_heartbeat_racing_the_liveness_sweep_on_another_replica_opens_no_session(server, deadline, farm):
    """PostgreSQL: the sweep (another replica) declares the worker lost and gives its tasks back while
    a heartbeat of that worker is under way. The heartbeat waits for the sweep's lock on the worker
    row; it must then see the worker NOT_RESPONDING, not start a session nobody will ever release."""
    from farmstead.orchestration.task_changes import TaskChanges
    from farmstead.orchestration.worker_sessions import release_worker_sessions

    job_id, worker, engine = running_on_postgres(server, deadline, farm)
    outcome: dict = {}

    def heartbeat():
        try:
            outcome["response"] = worker.poll()
        except ClientError as error:
            outcome["error"] = error.response

    try:
        with engine.begin() as conn:  # the sweep's transaction, as background/sweeper.py runs it
            conn.execute(sa.text("UPDATE workers SET status = 'NOT_RESPONDING' WHERE worker_id = :w"),
                         {"w": worker.worker_id})
            changes = TaskChanges(conn, now())
            release_worker_sessions(changes, worker.worker_id)
            changes.flush()
            beating = threading.Thread(target=heartbeat)
            beating.start()
            time.sleep(1.5)  # the heartbeat has read the worker and waits on its row
        beating.join(30)
    finally:
        engine.dispose()
    assert outcome.get("error", {}).get("reason") == "STATUS_CONFLICT", outcome
    sessions = deadline.list_sessions_for_worker(**worker.ids)["sessions"]
    assert all(session["lifecycleStatus"] == "ENDED" for session in sessions)
    assert assert_counts_match(deadline, farm, job_id) == Counter({"READY": 6})


def test_a_liveness_sweep_racing_a_heartbeat_on_another_replica_leaves_the_worker_alone(server, deadline, farm):
    """PostgreSQL: the sweep (another replica) read the worker as silent just as its heartbeat arrived
    on this one, which holds the worker row while it marks it seen and hands out work. The sweep's
    update waits for that row; it must then see the new last_seen_at and leave the worker, and the
    session that heartbeat opened, alone (else the task just handed out would be READY again)."""
    from farmstead.store import workers

    job_id, worker, engine = running_on_postgres(server, deadline, farm)
    outcome: dict = {}

    def sweep():
        with engine.begin() as conn:  # as background/sweeper.py does, having read the worker as silent
            outcome["marked"] = workers.mark_not_responding(conn, worker.worker_id, now() - timedelta(seconds=5),
                                                            now(), "test:liveness")

    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE workers SET last_seen_at = :then WHERE worker_id = :w"),
                         # the server's sweeper waits 60 s
                         {"then": now() - timedelta(seconds=10), "w": worker.worker_id})
        with engine.begin() as conn:  # the heartbeat's transaction on the other replica
            assert workers.touch(conn, farm["farmId"], farm["fleetId"], worker.worker_id, now()) is not None
            sweeping = threading.Thread(target=sweep)
            sweeping.start()
            time.sleep(1.5)
            assert sweeping.is_alive(), "the sweep did not wait for the heartbeat's row lock"
        sweeping.join(30)
    finally:
        engine.dispose()
    assert outcome == {"marked": False}
    assert deadline.get_worker(**worker.ids)["status"] == "RUNNING"
    assert assert_counts_match(deadline, farm, job_id)["READY"] < 6


def test_marking_a_worker_seen_counts_its_own_open_sessions_not_the_farms(server, deadline, farm):
    """The heartbeat's first statement (workers.touch) says how many sessions the worker holds: an idle
    worker beside a busy one holds none, so its heartbeat reads no sessions."""
    from farmstead.store import workers
    from farmstead.store.engine import Store

    submit(deadline, farm, "1-6")
    busy = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    start_first(busy)
    elsewhere = served_queue(deadline, farm["farmId"])  # a fleet whose queue has no work
    idle = ScriptedWorker(deadline, elsewhere["farmId"], elsewhere["fleetId"])
    idle.poll()
    store = Store.open(server.database_url or f"sqlite:///{server.data_dir / 'farmstead.db'}", migrate=False)
    try:
        with store.write() as conn:
            assert workers.touch(conn, farm["farmId"], farm["fleetId"], busy.worker_id, now()).open_sessions == 1
            assert workers.touch(conn, elsewhere["farmId"], elsewhere["fleetId"], idle.worker_id,
                                 now()).open_sessions == 0
            assert workers.touch(conn, elsewhere["farmId"], farm["fleetId"], idle.worker_id, now()) is None
    finally:
        store.dispose()


def test_a_heartbeat_retried_on_another_replica_counts_the_session_the_first_call_opened(server, deadline, farm):
    """PostgreSQL: an agent's retry of UpdateWorkerSchedule lands on another replica while the first
    call still holds the worker row and opens a session. The retry waits for the row; once it has it,
    it must count that session, or it would open a second one for the same worker."""
    from farmstead.store import sessions, workers

    job_id, _, engine = running_on_postgres(server, deadline, farm)
    other = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])  # STARTED, no session yet
    step_id = deadline.list_steps(**job_key(farm, job_id))["steps"][0]["stepId"]
    outcome: dict = {}

    def retry():
        with engine.begin() as conn:
            outcome["row"] = workers.touch(conn, farm["farmId"], farm["fleetId"], other.worker_id, now())

    try:
        with engine.begin() as conn:  # the first call, on the other replica
            workers.touch(conn, farm["farmId"], farm["fleetId"], other.worker_id, now())
            retrying = threading.Thread(target=retry)
            retrying.start()
            time.sleep(1.5)
            assert retrying.is_alive(), "the retry did not wait for the first call's row lock"
            sessions.insert(conn, session_id="session-" + "e" * 32, farm_id=farm["farmId"], queue_id=farm["queueId"],
                            job_id=job_id, fleet_id=farm["fleetId"], worker_id=other.worker_id, step_id=step_id,
                            lifecycle_status="STARTED", next_action_index=0, started_at=now())
        retrying.join(30)
    finally:
        engine.dispose()
    assert outcome["row"].open_sessions == 1
