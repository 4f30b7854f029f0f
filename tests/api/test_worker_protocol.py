"""The worker side of the API, driven by scripted workers through UpdateWorkerSchedule."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker

ROLE = "arn:aws:iam::000000000000:role/fleet"


def frames_template(frames: str, *, with_env: bool = False, second_step: bool = False) -> str:
    template = {
        "specificationVersion": "jobtemplate-2023-09", "name": "frames",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": frames}]},
                   "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}],
    }
    if with_env:
        template["jobEnvironments"] = [{"name": "Setup", "script": {"actions": {"onEnter": {"command": "true"}}}}]
    if second_step:
        template["steps"].append({"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
                                  "script": {"actions": {"onRun": {"command": "true"}}}})
    return json.dumps(template)


@pytest.fixture
def farm(deadline, farm_id):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farm_id": farm_id, "queue_id": queue_id, "fleet_id": fleet_id}


def submit(deadline, farm, template: str, **kwargs) -> str:
    return deadline.create_job(farmId=farm["farm_id"], queueId=farm["queue_id"], priority=kwargs.pop("priority", 50),
                               templateType="JSON", template=template, **kwargs)["jobId"]


def job(deadline, farm, job_id):
    return deadline.get_job(farmId=farm["farm_id"], queueId=farm["queue_id"], jobId=job_id)


def test_started_worker_gets_the_awslogs_configuration(deadline, farm):
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    assert worker.log["logDriver"] == "awslogs"
    assert worker.log["options"]["logStreamName"] == worker.worker_id
    status = deadline.get_worker(**worker.ids)["status"]
    assert status == "IDLE"


def test_idle_worker_gets_an_empty_schedule(deadline, farm):
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    response = worker.poll()
    assert response["assignedSessions"] == {} and response["cancelSessionActions"] == {}
    assert response["updateIntervalSeconds"] > 0


def test_a_scripted_worker_runs_a_job_to_success(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-3", with_env=True))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.run()
    kinds = [next(iter(a["definition"])) for a in worker.ran]
    assert kinds == ["envEnter", "taskRun", "taskRun", "taskRun", "envExit"]
    frames = [a["definition"]["taskRun"]["parameters"]["Frame"]["int"]
              for a in worker.ran if "taskRun" in a["definition"]]
    assert frames == ["1", "2", "3"]
    finished = job(deadline, farm, job_id)
    assert finished["taskRunStatus"] == "SUCCEEDED"
    assert finished["taskRunStatusCounts"]["SUCCEEDED"] == 3
    assert "startedAt" in finished and "endedAt" in finished


def test_failed_task_is_retried_then_fails_the_job(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-1"), maxRetriesPerTask=2, maxFailedTasksCount=0)
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.run(outcome=lambda action: "FAILED")
    assert sum("taskRun" in a["definition"] for a in worker.ran) == 3  # one run plus two retries
    finished = job(deadline, farm, job_id)
    assert finished["taskRunStatus"] == "FAILED"
    assert finished["taskFailureRetryCount"] == 2


def test_failure_limit_cancels_the_rest_of_the_job(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-5"), maxRetriesPerTask=0, maxFailedTasksCount=0)
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.run(outcome=lambda action: "FAILED")
    finished = job(deadline, farm, job_id)
    assert finished["taskRunStatus"] == "FAILED"
    assert finished["taskRunStatusCounts"]["FAILED"] == 1 and finished["taskRunStatusCounts"]["CANCELED"] == 4


def test_dependencies_release_the_next_step(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-2", second_step=True))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.run()
    assert job(deadline, farm, job_id)["taskRunStatusCounts"]["SUCCEEDED"] == 3


def test_higher_priority_job_runs_first(deadline, farm):
    low = submit(deadline, farm, frames_template("1-1"), priority=10)
    high = submit(deadline, farm, frames_template("1-1"), priority=90)
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    first = worker.poll()
    (session,) = first["assignedSessions"].values()
    assert session["jobId"] == high
    worker.run()
    assert job(deadline, farm, low)["taskRunStatus"] == "SUCCEEDED"


def test_max_worker_count_keeps_a_second_worker_off_the_job(deadline, farm):
    submit(deadline, farm, frames_template("1-4"), maxWorkerCount=1)
    first = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    second = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    assert first.poll()["assignedSessions"]
    assert second.poll()["assignedSessions"] == {}


def test_two_workers_never_get_the_same_task(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-6"))
    workers = [ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"]) for _ in range(3)]
    seen: list[str] = []
    for _ in range(20):
        for worker in workers:
            for _, action in worker.pending_actions(worker.poll()):
                if "taskRun" in action["definition"] and action["sessionActionId"] not in worker.reports:
                    seen.append(action["definition"]["taskRun"]["taskId"])
                    worker.reports[action["sessionActionId"]] = {"completedStatus": "SUCCEEDED",
                                                                 "startedAt": "2026-01-01T00:00:00Z",
                                                                 "endedAt": "2026-01-01T00:00:01Z"}
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 6
    assert job(deadline, farm, job_id)["taskRunStatus"] == "SUCCEEDED"


def test_canceling_a_running_job_reaches_the_worker(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-3"))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    response = worker.poll()
    (session_id, action), = worker.pending_actions(response)
    worker.reports[action["sessionActionId"]] = {"startedAt": "2026-01-01T00:00:00Z",
                                                 "updatedAt": "2026-01-01T00:00:01Z"}
    worker.poll()
    assert job(deadline, farm, job_id)["taskRunStatusCounts"]["RUNNING"] == 1
    deadline.update_job(farmId=farm["farm_id"], queueId=farm["queue_id"], jobId=job_id, targetTaskRunStatus="CANCELED")
    response = worker.poll()
    assert response["cancelSessionActions"] == {session_id: [action["sessionActionId"]]}
    worker.reports[action["sessionActionId"]] = {"completedStatus": "CANCELED", "startedAt": "2026-01-01T00:00:00Z",
                                                 "endedAt": "2026-01-01T00:00:02Z", "processExitCode": -9}
    worker.poll()
    finished = job(deadline, farm, job_id)
    assert finished["taskRunStatus"] == "CANCELED" and finished["taskRunStatusCounts"]["CANCELED"] == 3


def test_duplicate_and_unknown_reports_are_tolerated(deadline, farm):
    submit(deadline, farm, frames_template("1-1"))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    (_, action), = worker.pending_actions(worker.poll())
    done = {"completedStatus": "SUCCEEDED", "startedAt": "2026-01-01T00:00:00Z", "endedAt": "2026-01-01T00:00:01Z"}
    worker.reports = {action["sessionActionId"]: done}
    worker.poll()
    worker.reports = {action["sessionActionId"]: done, "sessionaction-" + "0" * 32 + "-0": done}
    worker.poll()


def test_stopped_worker_schedule_call_is_status_conflict(deadline, farm):
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    deadline.update_worker(**worker.ids, status="STOPPED")
    with pytest.raises(ClientError) as caught:
        worker.poll()
    error = caught.value.response
    assert error["reason"] == "STATUS_CONFLICT" and error["resourceId"] == worker.worker_id
    assert error["context"]["status"] == "STOPPED"


def test_batch_get_job_entity_gives_what_the_agent_accepts(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-1", with_env=True))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    actions = [a for _, a in worker.pending_actions(worker.poll())]
    env_id = actions[0]["definition"]["envEnter"]["environmentId"]
    step_id = actions[1]["definition"]["taskRun"]["stepId"]
    answer = deadline.batch_get_job_entity(**worker.ids, identifiers=[
        {"jobDetails": {"jobId": job_id}}, {"stepDetails": {"jobId": job_id, "stepId": step_id}},
        {"environmentDetails": {"jobId": job_id, "environmentId": env_id}}])
    assert answer["errors"] == []
    job_details, step_details, env_details = (next(iter(e.values())) for e in answer["entities"])
    assert set(job_details) <= {"jobId", "logGroupName", "schemaVersion", "parameters", "jobRunAsUser",
                                "jobAttachmentSettings", "queueRoleArn", "pathMappingRules"}
    assert job_details["schemaVersion"] == "jobtemplate-2023-09"
    assert step_details["dependencies"] == [] and step_details["template"]["name"] == "Render"
    assert env_details["template"]["name"] == "Setup"


def test_batch_get_job_entity_answers_per_entity_errors_the_agent_fails_the_action_with(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-1"))
    other_job = submit(deadline, farm, frames_template("1-1"))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.poll()  # a session of the first job only
    missing_step = "step-" + "0" * 32
    answer = deadline.batch_get_job_entity(**worker.ids, identifiers=[
        {"jobDetails": {"jobId": other_job}}, {"stepDetails": {"jobId": job_id, "stepId": missing_step}}])
    assert answer["entities"] == []
    assert [(kind, error["code"]) for e in answer["errors"] for kind, error in e.items()] == [
        ("jobDetails", "AccessDeniedException"), ("stepDetails", "ResourceNotFoundException")]
    assert answer["errors"][1]["stepDetails"]["stepId"] == missing_step


EXPR_TEMPLATE = json.dumps({
    "specificationVersion": "jobtemplate-2023-09", "extensions": ["EXPR"], "name": "expr",
    "parameterDefinitions": [{"name": "Count", "type": "INT", "default": 3}],
    "jobEnvironments": [{"name": "JobEnv", "variables": {"COUNT": "{{Param.Count}}"}}],
    "steps": [{"name": "Render", "let": ["doubled = Param.Count * 2"],
               "stepEnvironments": [{"name": "StepEnv", "variables": {"DOUBLED": "{{doubled}}"}}],
               "script": {"actions": {"onRun": {"command": "echo", "args": ["{{doubled}}"]}}}}]})


def test_an_expr_jobs_entities_carry_the_resolved_symbol_table_of_their_scope(deadline, farm):
    job_id = submit(deadline, farm, EXPR_TEMPLATE, parameters={"Count": {"int": "5"}})
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    definitions = [a["definition"] for _, a in worker.pending_actions(worker.poll())]
    job_env, step_env = (d["envEnter"]["environmentId"] for d in definitions if "envEnter" in d)
    (step_id,) = {d["taskRun"]["stepId"] for d in definitions if "taskRun" in d}
    answer = deadline.batch_get_job_entity(**worker.ids, identifiers=[
        {"stepDetails": {"jobId": job_id, "stepId": step_id}},
        {"environmentDetails": {"jobId": job_id, "environmentId": job_env}},
        {"environmentDetails": {"jobId": job_id, "environmentId": step_env}}])
    assert answer["errors"] == []
    # The agent parses each template with the extensions its entity names.
    assert [next(iter(e.values())).get("extensions") for e in answer["entities"]] == [["EXPR"]] * 3
    step, job_scope, step_scope = (
        {s["name"]: s["value"] for s in json.loads(next(iter(e.values()))["resolvedSymbolTable"])}
        for e in answer["entities"])
    assert step == {"Job.Name": "expr", "Param.Count": "5", "RawParam.Count": "5", "Step.Name": "Render",
                    "doubled": "10"}
    assert job_scope == {"Job.Name": "expr", "Param.Count": "5", "RawParam.Count": "5"}
    assert step_scope == step


def test_entities_of_a_job_without_expr_carry_no_symbol_table(deadline, farm):
    job_id = submit(deadline, farm, frames_template("1-1", with_env=True))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    definitions = [a["definition"] for _, a in worker.pending_actions(worker.poll())]
    answer = deadline.batch_get_job_entity(**worker.ids, identifiers=[
        {"stepDetails": {"jobId": job_id, "stepId": definitions[1]["taskRun"]["stepId"]}},
        {"environmentDetails": {"jobId": job_id, "environmentId": definitions[0]["envEnter"]["environmentId"]}}])
    assert all("resolvedSymbolTable" not in next(iter(e.values())) for e in answer["entities"])


def test_job_details_map_the_submitters_storage_profile_paths_to_the_workers_fleet(deadline, farm):
    windows = deadline.create_storage_profile(farmId=farm["farm_id"], displayName="artists", osFamily="WINDOWS",
                                              fileSystemLocations=[{"name": "Assets", "path": "Z:\\assets",
                                                                    "type": "SHARED"}])["storageProfileId"]
    linux = deadline.create_storage_profile(farmId=farm["farm_id"], displayName="render nodes", osFamily="LINUX",
                                            fileSystemLocations=[{"name": "Assets", "path": "/mnt/assets",
                                                                  "type": "SHARED"}])["storageProfileId"]
    configuration = {"customerManaged": {**LINUX_FLEET["customerManaged"], "storageProfileId": linux}}
    fleet_id = deadline.create_fleet(farmId=farm["farm_id"], displayName="mapped", roleArn=ROLE, maxWorkerCount=1,
                                     configuration=configuration)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm["farm_id"], queueId=farm["queue_id"], fleetId=fleet_id)
    deadline.update_queue(farmId=farm["farm_id"], queueId=farm["queue_id"], allowedStorageProfileIdsToAdd=[windows])
    job_id = submit(deadline, farm, frames_template("1-1"), storageProfileId=windows)
    worker = ScriptedWorker(deadline, farm["farm_id"], fleet_id)
    worker.poll()
    (entity,) = deadline.batch_get_job_entity(**worker.ids, identifiers=[{"jobDetails": {"jobId": job_id}}])["entities"]
    assert entity["jobDetails"]["pathMappingRules"] == [
        {"sourcePathFormat": "windows", "sourcePath": "Z:\\assets", "destinationPath": "/mnt/assets"}]


def test_a_dependent_steps_session_syncs_the_jobs_inputs_then_its_dependencies_then_enters_environments(
        deadline, farm):
    # The official agent refuses a step-dependency sync unless the job-level sync ran earlier in the
    # same session ("Job attachments must be synchronized before downloading Step dependencies.").
    deadline.update_queue(farmId=farm["farm_id"], queueId=farm["queue_id"], roleArn=ROLE,
                          jobAttachmentSettings={"s3BucketName": "bucket", "rootPrefix": "farm"})
    template = json.loads(frames_template("1-1", second_step=True))
    template["jobEnvironments"] = [{"name": "Tools", "variables": {"TOOLS": "/opt/tools"}}]
    job_id = submit(deadline, farm, json.dumps(template),
                    attachments={"manifests": [{"rootPath": "/projects/shot", "rootPathFormat": "posix"}],
                                 "fileSystem": "COPIED"})
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    worker.run()
    ids = {"farmId": farm["farm_id"], "queueId": farm["queue_id"], "jobId": job_id}
    steps = {s["name"]: s["stepId"] for s in deadline.list_steps(**ids)["steps"]}
    environment = f"JOB:{job_id}:Tools"
    by_step = {}
    for session in deadline.list_sessions(**ids)["sessions"]:
        actions = deadline.list_session_actions(**ids, sessionId=session["sessionId"])["sessionActions"]
        ordered = sorted(actions, key=lambda a: int(a["sessionActionId"].rsplit("-", 1)[1]))
        definitions = [{kind: {k: v for k, v in fields.items() if k not in ("taskId", "parameters")}}
                       for (kind, fields), in (a["definition"].items() for a in ordered)]
        (step_id,) = {d["taskRun"]["stepId"] for d in definitions if "taskRun" in d}
        by_step[step_id] = definitions
    assert by_step[steps["Render"]] == [
        {"syncInputJobAttachments": {}}, {"envEnter": {"environmentId": environment}},
        {"taskRun": {"stepId": steps["Render"]}}, {"envExit": {"environmentId": environment}}]
    assert by_step[steps["Encode"]] == [
        {"syncInputJobAttachments": {}}, {"syncInputJobAttachments": {"stepId": steps["Encode"]}},
        {"envEnter": {"environmentId": environment}}, {"taskRun": {"stepId": steps["Encode"]}},
        {"envExit": {"environmentId": environment}}]
    assert job(deadline, farm, job_id)["taskRunStatus"] == "SUCCEEDED"


def test_a_limit_is_never_over_subscribed(deadline, farm):
    limit_id = deadline.create_limit(farmId=farm["farm_id"], displayName="nuke", maxCount=1,
                                     amountRequirementName="amount.licence.nuke")["limitId"]
    deadline.create_queue_limit_association(farmId=farm["farm_id"], queueId=farm["queue_id"], limitId=limit_id)
    template = json.loads(frames_template("1-4"))
    template["steps"][0]["hostRequirements"] = {"amounts": [{"name": "amount.licence.nuke", "min": 1}]}
    job_id = submit(deadline, farm, json.dumps(template))
    first = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    second = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    assert first.poll()["assignedSessions"]
    assert second.poll()["assignedSessions"] == {}
    assert deadline.get_limit(farmId=farm["farm_id"], limitId=limit_id)["currentCount"] == 1
    first.run()
    second.run()
    assert job(deadline, farm, job_id)["taskRunStatus"] == "SUCCEEDED"
    assert deadline.get_limit(farmId=farm["farm_id"], limitId=limit_id)["currentCount"] == 0


def test_step_whose_requirements_the_worker_lacks_is_not_given_to_it(deadline, farm):
    template = json.loads(frames_template("1-1"))
    # The fleet declares x86_64, so the job is compatible; this one worker reports arm64.
    template["steps"][0]["hostRequirements"] = {"attributes": [{"name": "attr.worker.cpu.arch",
                                                                "anyOf": ["x86_64"]}]}
    submit(deadline, farm, json.dumps(template))
    arm = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"], capabilities={
        "amounts": [{"name": "amount.worker.vcpu", "value": 4.0}, {"name": "amount.worker.memory", "value": 8192.0}],
        "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                       {"name": "attr.worker.cpu.arch", "values": ["arm64"]}]})
    assert arm.poll()["assignedSessions"] == {}
    big = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    assert big.poll()["assignedSessions"]


def test_session_log_stream_exists_before_the_worker_writes(deadline, farm, server):
    submit(deadline, farm, frames_template("1-1"))
    worker = ScriptedWorker(deadline, farm["farm_id"], farm["fleet_id"])
    (session_id, session), = worker.poll()["assignedSessions"].items()
    group = session["logConfiguration"]["options"]["logGroupName"]
    logs = server.client("logs")
    logs.put_log_events(logGroupName=group, logStreamName=session_id,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "frame 1 done"}])
    events = logs.get_log_events(logGroupName=group, logStreamName=session_id, startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["frame 1 done"]
    worker_group = worker.log["options"]["logGroupName"]
    streams = logs.describe_log_streams(logGroupName=worker_group)["logStreams"]
    assert worker.worker_id in [s["logStreamName"] for s in streams]


def test_many_concurrent_workers_never_share_a_task(deadline, farm, server):
    import threading

    job_id = submit(deadline, farm, frames_template("1-40"))
    seen: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work():
        try:
            client = server.client()
            worker = ScriptedWorker(client, farm["farm_id"], farm["fleet_id"])

            def outcome(action):
                if "taskRun" in action["definition"]:
                    with lock:
                        seen.append(action["definition"]["taskRun"]["taskId"])
                return "SUCCEEDED"

            worker.run(outcome=outcome, max_polls=400)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(seen) == 40 and len(set(seen)) == 40
    assert job(deadline, farm, job_id)["taskRunStatus"] == "SUCCEEDED"
