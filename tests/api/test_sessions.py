"""Sessions and session actions as users read them, and UpdateSession(ENDED), with scripted workers
creating real sessions through UpdateWorkerSchedule."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

ROLE = "arn:aws:iam::000000000000:role/fleet"
STORE = "d-0123456789"
T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"


def frames(count: int, *, with_env: bool = True) -> str:
    template = {
        "specificationVersion": "jobtemplate-2023-09", "name": "frames",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [
                       {"name": "Frame", "type": "INT", "range": f"1-{count}"}]},
                   "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}],
    }
    if with_env:
        template["jobEnvironments"] = [{"name": "Setup", "script": {"actions": {"onEnter": {"command": "true"}}}}]
    return json.dumps(template)


@pytest.fixture
def farm(deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return SimpleNamespace(farm_id=farm_id, queue_id=queue_id, fleet_id=fleet_id)


def submit(deadline, farm, count: int, **kwargs) -> str:
    return deadline.create_job(farmId=farm.farm_id, queueId=farm.queue_id, priority=50, templateType="JSON",
                               template=frames(count, **kwargs))["jobId"]


def job_key(farm, job_id: str) -> dict:
    return {"farmId": farm.farm_id, "queueId": farm.queue_id, "jobId": job_id}


def error_of(caught) -> dict:
    return caught.value.response


@pytest.fixture
def finished(deadline, farm):
    """A two-frame job run to success by one worker: one session of four actions."""
    job_id = submit(deadline, farm, 2)
    worker = ScriptedWorker(deadline, farm.farm_id, farm.fleet_id)
    worker.run()
    (session,) = deadline.list_sessions(**job_key(farm, job_id))["sessions"]
    return SimpleNamespace(job_id=job_id, worker=worker, session=session, key=job_key(farm, job_id))


# --- reads ---------------------------------------------------------------------------------------

def test_finished_session_is_listed_with_its_worker_fleet_and_times(farm, finished):
    session = finished.session
    assert session["workerId"] == finished.worker.worker_id and session["fleetId"] == farm.fleet_id
    assert session["lifecycleStatus"] == "ENDED"
    assert session["startedAt"] <= session["endedAt"]
    assert "targetLifecycleStatus" not in session and "updatedAt" not in session


def test_get_session_gives_the_log_configurations_and_host(deadline, finished):
    session = deadline.get_session(**finished.key, sessionId=finished.session["sessionId"])
    assert session["log"]["logDriver"] == "awslogs"
    assert session["log"]["options"]["logStreamName"] == finished.session["sessionId"]
    assert session["log"]["options"]["logGroupName"].endswith(finished.key["queueId"])
    assert session["workerLog"]["options"]["logStreamName"] == finished.worker.worker_id
    assert session["hostProperties"]["hostName"] == "scripted"


def test_list_sessions_for_worker_names_queue_and_job(deadline, farm, finished):
    (item,) = deadline.list_sessions_for_worker(**finished.worker.ids)["sessions"]
    assert item["sessionId"] == finished.session["sessionId"]
    assert (item["queueId"], item["jobId"]) == (farm.queue_id, finished.job_id)
    assert item["lifecycleStatus"] == "ENDED" and "endedAt" in item


def test_list_sessions_pages_in_start_order(deadline, farm):
    job_id = submit(deadline, farm, 3, with_env=False)
    workers = [ScriptedWorker(deadline, farm.farm_id, farm.fleet_id) for _ in range(3)]
    started = [next(iter(w.poll()["assignedSessions"])) for w in workers]
    pages = deadline.get_paginator("list_sessions").paginate(**job_key(farm, job_id),
                                                            PaginationConfig={"PageSize": 2})
    seen = [s["sessionId"] for page in pages for s in page["sessions"]]
    assert seen == started


def test_session_actions_are_listed_in_order_with_their_definitions(deadline, finished):
    actions = deadline.list_session_actions(**finished.key)["sessionActions"]
    kinds = [next(iter(a["definition"])) for a in actions]
    assert kinds == ["envEnter", "taskRun", "taskRun", "envExit"]
    assert all(a["status"] == "SUCCEEDED" and "startedAt" in a and "endedAt" in a for a in actions)
    assert actions[0]["definition"]["envEnter"]["environmentId"] == actions[3]["definition"]["envExit"]["environmentId"]
    run = actions[1]["definition"]["taskRun"]
    assert run["parameters"] == {"Frame": {"int": "1"}} and run["stepId"].startswith("step-")
    assert [a["sessionActionId"] for a in actions] == [
        finished.worker.ran[i]["sessionActionId"] for i in range(4)]


def test_session_actions_filter_by_task_and_by_session(deadline, finished):
    actions = deadline.list_session_actions(**finished.key)["sessionActions"]
    task_id = actions[2]["definition"]["taskRun"]["taskId"]
    by_task = deadline.list_session_actions(**finished.key, taskId=task_id)["sessionActions"]
    assert [a["sessionActionId"] for a in by_task] == [actions[2]["sessionActionId"]]
    by_session = deadline.list_session_actions(**finished.key, sessionId=finished.session["sessionId"])
    assert len(by_session["sessionActions"]) == 4
    both = deadline.list_session_actions(**finished.key, sessionId=finished.session["sessionId"], taskId=task_id)
    assert len(both["sessionActions"]) == 1


def test_session_actions_page_one_at_a_time(deadline, finished):
    pages = deadline.get_paginator("list_session_actions").paginate(**finished.key, PaginationConfig={"PageSize": 1})
    sizes = [len(page["sessionActions"]) for page in pages]
    assert sizes == [1, 1, 1, 1]


def test_get_session_action_gives_session_exit_code_and_full_definition(deadline, finished):
    listed = deadline.list_session_actions(**finished.key)["sessionActions"][1]
    action = deadline.get_session_action(**finished.key, sessionActionId=listed["sessionActionId"])
    assert action["sessionId"] == finished.session["sessionId"]
    assert action["status"] == "SUCCEEDED" and action["processExitCode"] == 0
    assert action["definition"] == listed["definition"]
    assert "workerUpdatedAt" in action


def test_batch_gets_answer_found_items_and_per_item_errors(deadline, finished):
    missing_session = "session-" + "0" * 32
    answer = deadline.batch_get_session(identifiers=[
        {**finished.key, "sessionId": finished.session["sessionId"]}, {**finished.key, "sessionId": missing_session}])
    (found,) = answer["sessions"]
    assert found["jobId"] == finished.job_id and found["log"]["logDriver"] == "awslogs"
    (error,) = answer["errors"]
    assert error["sessionId"] == missing_session and error["code"] == "ResourceNotFoundException"
    action_id = deadline.list_session_actions(**finished.key)["sessionActions"][0]["sessionActionId"]
    missing_action = "sessionaction-" + "0" * 32 + "-0"
    answer = deadline.batch_get_session_action(identifiers=[
        {**finished.key, "sessionActionId": action_id}, {**finished.key, "sessionActionId": missing_action}])
    assert [a["sessionActionId"] for a in answer["sessionActions"]] == [action_id]
    assert answer["sessionActions"][0]["sessionId"] == finished.session["sessionId"]
    assert [(e["sessionActionId"], e["code"]) for e in answer["errors"]] == [
        (missing_action, "ResourceNotFoundException")]


@pytest.mark.parametrize("call, member, resource_type", [
    ("get_session", "sessionId", "session"),
    ("get_session_action", "sessionActionId", "session-action"),
    ("list_session_actions", "sessionId", "session"),
    ("list_session_actions", "taskId", "task"),
])
def test_unknown_ids_are_resource_not_found_naming_them(deadline, finished, call, member, resource_type):
    missing = {"sessionId": "session-" + "0" * 32, "sessionActionId": "sessionaction-" + "0" * 32 + "-0",
               "taskId": "task-" + "0" * 32 + "-0"}[member]
    with pytest.raises(ClientError) as caught:
        getattr(deadline, call)(**finished.key, **{member: missing})
    error = error_of(caught)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["resourceId"], error["resourceType"]) == (missing, resource_type)


def test_session_of_another_job_is_not_found(deadline, farm, finished):
    other = submit(deadline, farm, 1)
    with pytest.raises(ClientError) as caught:
        deadline.get_session(**job_key(farm, other), sessionId=finished.session["sessionId"])
    assert error_of(caught)["resourceType"] == "session"


def test_unknown_worker_is_not_found_for_its_sessions(deadline, farm):
    missing = "worker-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.list_sessions_for_worker(farmId=farm.farm_id, fleetId=farm.fleet_id, workerId=missing)
    assert (error_of(caught)["resourceId"], error_of(caught)["resourceType"]) == (missing, "worker")


# --- UpdateSession -------------------------------------------------------------------------------

def _running_session(deadline, farm, job_id):
    """A worker that entered the environment and is running the first task: (worker, session, envEnter, taskRun)."""
    worker = ScriptedWorker(deadline, farm.farm_id, farm.fleet_id)
    (session_id, enter), (_, run) = worker.pending_actions(worker.poll())
    worker.reports = {enter["sessionActionId"]: {"startedAt": T0, "endedAt": T1, "completedStatus": "SUCCEEDED"},
                      run["sessionActionId"]: {"startedAt": T1, "updatedAt": T1}}
    worker.poll()
    return worker, session_id, enter, run


def test_update_session_ended_cancels_the_running_task_then_ends_after_the_worker_reports(deadline, farm):
    job_id = submit(deadline, farm, 3)
    key = job_key(farm, job_id)
    worker, session_id, enter, run = _running_session(deadline, farm, job_id)
    assert deadline.get_job(**key)["taskRunStatusCounts"]["RUNNING"] == 1

    deadline.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    session = deadline.get_session(**key, sessionId=session_id)
    assert session["lifecycleStatus"] == "UPDATE_IN_PROGRESS" and session["targetLifecycleStatus"] == "ENDED"
    assert session["updatedBy"].endswith("user/admin") and "endedAt" not in session
    assert deadline.get_session_action(**key, sessionActionId=run["sessionActionId"])["status"] == "CANCELING"
    # The running task and the one queued behind it: the worker may have started that one since it
    # last reported, so it goes back only after the worker's next heartbeat.
    assert deadline.get_job(**key)["taskRunStatusCounts"]["INTERRUPTING"] == 2

    response = worker.poll()
    assert response["cancelSessionActions"] == {session_id: [run["sessionActionId"]]}
    worker.reports = {run["sessionActionId"]: {"startedAt": T1, "endedAt": T2, "completedStatus": "CANCELED"}}
    response = worker.poll()
    (exit_action,) = response["assignedSessions"][session_id]["sessionActions"]
    assert exit_action["definition"] == {"envExit": enter["definition"]["envEnter"]}
    counts = deadline.get_job(**key)["taskRunStatusCounts"]
    assert counts["READY"] == 3 and counts["INTERRUPTING"] == 0 and counts["CANCELED"] == 0

    worker.reports = {exit_action["sessionActionId"]: {"startedAt": T2, "endedAt": T2, "completedStatus": "SUCCEEDED"}}
    response = worker.poll()
    assert session_id not in response["assignedSessions"]
    ended = deadline.get_session(**key, sessionId=session_id)
    assert ended["lifecycleStatus"] == "ENDED" and "endedAt" in ended
    statuses = [a["status"] for a in deadline.list_session_actions(**key, sessionId=session_id)["sessionActions"]]
    # envEnter, the running task, the task queued behind it (given back unstarted), envExit.
    assert statuses == ["SUCCEEDED", "CANCELED", "NEVER_ATTEMPTED", "SUCCEEDED"]
    assert deadline.get_job(**key)["taskFailureRetryCount"] == 0


def test_update_session_before_the_worker_started_anything_drops_the_queued_task(deadline, farm):
    job_id = submit(deadline, farm, 2)
    key = job_key(farm, job_id)
    worker = ScriptedWorker(deadline, farm.farm_id, farm.fleet_id)
    (session_id, enter), (_, run) = worker.pending_actions(worker.poll())
    deadline.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    response = worker.poll()
    assert response["cancelSessionActions"] == {session_id: [enter["sessionActionId"]]}
    assert [a["sessionActionId"] for _, a in worker.pending_actions(response)] == [enter["sessionActionId"]]
    worker.reports = {enter["sessionActionId"]: {"completedStatus": "NEVER_ATTEMPTED"}}
    worker.poll()
    # Not reported by the worker after it was dropped: it never ran.
    assert deadline.get_session_action(**key, sessionActionId=run["sessionActionId"])["status"] == "NEVER_ATTEMPTED"
    session = deadline.get_session(**key, sessionId=session_id)
    assert session["lifecycleStatus"] == "ENDED"
    listed = deadline.list_session_actions(**key, sessionId=session_id)["sessionActions"]
    kinds = [next(iter(a["definition"])) for a in listed]
    assert kinds == ["envEnter", "taskRun"]  # an environment never entered is not exited
    counts = deadline.get_job(**key)["taskRunStatusCounts"]
    assert counts["SUCCEEDED"] == 0 and counts["FAILED"] == 0 and counts["INTERRUPTING"] == 0


def test_update_session_twice_is_accepted_and_changes_nothing_more(deadline, farm):
    job_id = submit(deadline, farm, 2)
    key = job_key(farm, job_id)
    _, session_id, _, _ = _running_session(deadline, farm, job_id)
    deadline.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    first = deadline.get_session(**key, sessionId=session_id)
    deadline.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    second = deadline.get_session(**key, sessionId=session_id)
    assert second["lifecycleStatus"] == "UPDATE_IN_PROGRESS" and second["updatedAt"] == first["updatedAt"]


def test_update_ended_session_is_status_conflict_and_changes_nothing(deadline, finished):
    before = deadline.get_session(**finished.key, sessionId=finished.session["sessionId"])
    with pytest.raises(ClientError) as caught:
        deadline.update_session(**finished.key, sessionId=finished.session["sessionId"], targetLifecycleStatus="ENDED")
    error = error_of(caught)
    assert error["Error"]["Code"] == "ConflictException" and error["reason"] == "STATUS_CONFLICT"
    assert (error["resourceId"], error["resourceType"]) == (finished.session["sessionId"], "session")
    assert error["context"]["status"] == "ENDED"
    after = deadline.get_session(**finished.key, sessionId=finished.session["sessionId"])
    assert "updatedAt" not in after and "targetLifecycleStatus" not in after
    assert after["endedAt"] == before["endedAt"]


def test_update_unknown_session_is_not_found(deadline, farm):
    job_id = submit(deadline, farm, 1)
    missing = "session-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.update_session(**job_key(farm, job_id), sessionId=missing, targetLifecycleStatus="ENDED")
    assert (error_of(caught)["resourceId"], error_of(caught)["resourceType"]) == (missing, "session")


# --- access --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def viewer(server):
    principal_id, key_id, secret = server.new_user("sessions-viewer")
    return SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))


def test_queue_viewer_reads_sessions_but_may_not_end_one(deadline, farm, viewer):
    job_id = submit(deadline, farm, 2)
    key = job_key(farm, job_id)
    _, session_id, _, _ = _running_session(deadline, farm, job_id)
    deadline.associate_member_to_queue(farmId=farm.farm_id, queueId=farm.queue_id, principalId=viewer.id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="VIEWER")
    assert viewer.client.get_session(**key, sessionId=session_id)["lifecycleStatus"] == "STARTED"
    assert len(viewer.client.list_session_actions(**key)["sessionActions"]) == 2
    with pytest.raises(ClientError) as caught:
        viewer.client.update_session(**key, sessionId=session_id, targetLifecycleStatus="ENDED")
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
    assert deadline.get_session(**key, sessionId=session_id)["lifecycleStatus"] == "STARTED"


def test_batch_get_session_hides_what_the_caller_may_not_view(deadline, finished, viewer):
    ident = {**finished.key, "sessionId": finished.session["sessionId"]}
    answer = viewer.client.batch_get_session(identifiers=[ident])
    assert answer["sessions"] == []
    assert [e["code"] for e in answer["errors"]] == ["ResourceNotFoundException"]
