"""SearchJobs, SearchSteps, SearchTasks and SearchWorkers' checks through real boto3 clients (SearchWorkers over real
workers: test_search_workers.py), and DeleteQueue dropping the memberships held on its jobs."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

STORE = "d-0123456789"
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "{{Param.Scene}}",
    "parameterDefinitions": [{"name": "Scene", "type": "STRING", "default": "shot010"},
                             {"name": "Frames", "type": "STRING", "default": "1-3"},
                             {"name": "Quality", "type": "INT", "default": 5}],
    "steps": [
        {"name": "Render",
         "parameterSpace": {"taskParameterDefinitions": [
             {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}]},
         "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}},
        {"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
         "script": {"actions": {"onRun": {"command": "echo", "args": ["encode"]}}}},
    ],
}
JOB_SUMMARY_KEYS = {"jobId", "queueId", "name", "lifecycleStatus", "lifecycleStatusMessage", "taskRunStatus",
                    "targetTaskRunStatus", "taskRunStatusCounts", "taskFailureRetryCount", "priority",
                    "maxFailedTasksCount", "maxRetriesPerTask", "createdBy", "createdAt", "jobParameters"}
MISSING_QUEUE = "queue-" + "0" * 32


@pytest.fixture(scope="module")
def users(server):
    made = {}
    for name in ("viewer", "submitter", "outsider"):
        principal_id, key_id, secret = server.new_user(f"search-{name}")
        made[name] = SimpleNamespace(id=principal_id, client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def new_queue(deadline, farm_id, name="q") -> str:
    """A queue with a fleet that can run the template, so submitted jobs are READY."""
    queue_id = deadline.create_queue(farmId=farm_id, displayName=name)["queueId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=new_fleet(deadline, farm_id))
    return queue_id


def new_fleet(deadline, farm_id) -> str:
    return deadline.create_fleet(
        farmId=farm_id, displayName="linux", roleArn="arn:aws:iam::000000000000:role/fleet", maxWorkerCount=4,
        configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
            "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64"}}})["fleetId"]


@pytest.fixture
def queue_id(deadline, farm_id) -> str:
    return new_queue(deadline, farm_id)


def submit(client, farm_id, queue_id, scene="shot010", frames="1-3", priority=50, **kwargs) -> str:
    return client.create_job(farmId=farm_id, queueId=queue_id, priority=priority, templateType="JSON",
                             template=json.dumps(TEMPLATE),
                             parameters={"Scene": {"string": scene}, "Frames": {"string": frames}},
                             **kwargs)["jobId"]


def job_ids(answer) -> list[str]:
    return [j["jobId"] for j in answer["jobs"]]


def error_of(caught) -> dict:
    return caught.value.response


def string_filter(name, value, operator="EQUAL") -> dict:
    return {"stringFilter": {"name": name, "operator": operator, "value": value}}


# --- SearchJobs --------------------------------------------------------------------------------------

def test_search_jobs_summaries_have_exactly_the_models_members(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id)
    answer = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0)
    assert answer["totalResults"] == 1 and "nextItemOffset" not in answer
    [job] = answer["jobs"]
    assert set(job) == JOB_SUMMARY_KEYS
    assert (job["jobId"], job["queueId"], job["name"], job["taskRunStatus"]) == (job_id, queue_id, "shot010", "READY")
    assert job["jobParameters"] == {"Scene": {"string": "shot010"}, "Frames": {"string": "1-3"},
                                    "Quality": {"int": "5"}}
    assert job["taskRunStatusCounts"]["READY"] == 3


def test_newest_first_pages_like_the_deadline_cli_job_list(deadline, farm_id, queue_id):
    made = [submit(deadline, farm_id, queue_id, scene=f"s{i}") for i in range(7)]
    newest_first = [{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}]
    first = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, pageSize=5,
                                 sortExpressions=newest_first)
    assert (job_ids(first), first["totalResults"], first["nextItemOffset"]) == (made[::-1][:5], 7, 5)
    rest = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=5, pageSize=5,
                                sortExpressions=newest_first)
    assert job_ids(rest) == made[::-1][5:] and "nextItemOffset" not in rest


def test_offset_past_the_end_gives_no_jobs_but_the_total(deadline, farm_id, queue_id):
    submit(deadline, farm_id, queue_id)
    answer = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=10000)
    assert (answer["jobs"], answer["totalResults"]) == ([], 1) and "nextItemOffset" not in answer


def test_jobs_of_several_queues_but_only_those_named(deadline, farm_id, queue_id):
    other = new_queue(deadline, farm_id, "other")
    third = new_queue(deadline, farm_id, "third")
    mine, theirs = submit(deadline, farm_id, queue_id), submit(deadline, farm_id, other)
    submit(deadline, farm_id, third)
    answer = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id, other], itemOffset=0)
    assert job_ids(answer) == [mine, theirs]
    assert [j["queueId"] for j in answer["jobs"]] == [queue_id, other]


def test_task_run_status_filters_as_aws_incremental_download_sends_them(deadline, farm_id, queue_id):
    ready = submit(deadline, farm_id, queue_id)
    suspended = submit(deadline, farm_id, queue_id, targetTaskRunStatus="SUSPENDED")
    canceled = submit(deadline, farm_id, queue_id)
    deadline.update_job(farmId=farm_id, queueId=queue_id, jobId=canceled, targetTaskRunStatus="CANCELED")
    either = {"filters": [string_filter("TASK_RUN_STATUS", s) for s in ("READY", "SUSPENDED", "FAILED")],
              "operator": "OR"}
    assert job_ids(deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0,
                                        filterExpressions=either)) == [ready, suspended]
    not_ready = {"filters": [{"stringListFilter": {"name": "TASK_RUN_STATUS", "operator": "ALL_NOT_EQUALS",
                                                   "values": ["READY"]}}], "operator": "AND"}
    assert job_ids(deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0,
                                        filterExpressions=not_ready)) == [suspended, canceled]


def test_search_term_finds_jobs_by_name(deadline, farm_id, queue_id):
    hero = submit(deadline, farm_id, queue_id, scene="Hero_Shot_010")
    submit(deadline, farm_id, queue_id, scene="crowd")
    for term, match_type in (("hero 010", "FUZZY_MATCH"), ("shot_010", "CONTAINS")):
        found = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, filterExpressions={
            "filters": [{"searchTermFilter": {"searchTerm": term, "matchType": match_type}}], "operator": "AND"})
        assert job_ids(found) == [hero], term


def test_parameter_filter_and_priority_sort(deadline, farm_id, queue_id):
    low = submit(deadline, farm_id, queue_id, priority=10, scene="a")
    high = submit(deadline, farm_id, queue_id, priority=90, scene="b")
    submit(deadline, farm_id, queue_id, priority=99, scene="c")
    answer = deadline.search_jobs(
        farmId=farm_id, queueIds=[queue_id], itemOffset=0,
        filterExpressions={"filters": [{"parameterFilter": {"name": "Param.Scene", "operator": "LESS_THAN",
                                                            "value": "c"}}], "operator": "AND"},
        sortExpressions=[{"fieldSort": {"name": "PRIORITY", "sortOrder": "DESCENDING"}}])
    assert job_ids(answer) == [high, low]


def test_date_filter_on_created_at(deadline, farm_id, queue_id):
    first = submit(deadline, farm_id, queue_id)
    created = deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=first)["createdAt"]
    second = submit(deadline, farm_id, queue_id)
    later = {"filters": [{"dateTimeFilter": {"name": "CREATED_AT", "operator": "GREATER_THAN",
                                             "dateTime": created}}], "operator": "AND"}
    assert job_ids(deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0,
                                        filterExpressions=later)) == [second]
    same = {"filters": [{"dateTimeFilter": {"name": "CREATED_AT", "operator": "EQUAL",
                                            "dateTime": created}}], "operator": "AND"}
    assert job_ids(deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0,
                                        filterExpressions=same)) == [first]


def test_user_jobs_first_by_principal_id(deadline, farm_id, queue_id, users):
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=users.submitter.id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    admins = submit(deadline, farm_id, queue_id)
    theirs = submit(users.submitter.client, farm_id, queue_id)
    answer = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, sortExpressions=[
        {"userJobsFirst": {"userIdentityId": users.submitter.id}}])
    assert job_ids(answer) == [theirs, admins]


def test_unknown_field_is_validation_exception_naming_it(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, filterExpressions={
            "filters": [string_filter("COLOUR", "red")], "operator": "AND"})
    error = error_of(caught)
    assert (error["Error"]["Code"], error["reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    assert [f["name"] for f in error["fieldList"]] == ["filterExpressions.filters[0].stringFilter.name"]
    assert "COLOUR" in error["fieldList"][0]["message"]


def test_operator_a_filter_does_not_support_is_validation_exception(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, filterExpressions={
            "filters": [{"dateTimeFilter": {"name": "CREATED_AT", "operator": "NOT_EQUAL",
                                            "dateTime": "2026-01-01T00:00:00Z"}}], "operator": "AND"})
    assert [f["name"] for f in error_of(caught)["fieldList"]] == [
        "filterExpressions.filters[0].dateTimeFilter.operator"]


def test_unknown_sort_field_is_validation_exception(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0,
                             sortExpressions=[{"fieldSort": {"name": "TASK_ID", "sortOrder": "ASCENDING"}}])
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["sortExpressions[0].fieldSort.name"]


def test_item_offset_beyond_ten_thousand_is_validation_exception(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=10001)
    assert error_of(caught)["Error"]["Code"] == "ValidationException"


def test_unknown_queue_is_resource_not_found_naming_it(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[queue_id, MISSING_QUEUE], itemOffset=0)
    error = error_of(caught)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "queue", MISSING_QUEUE)


def test_queue_of_another_farm_is_resource_not_found(deadline, farm_id):
    other_farm = deadline.create_farm(displayName="elsewhere")["farmId"]
    foreign = deadline.create_queue(farmId=other_farm, displayName="theirs")["queueId"]
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=farm_id, queueIds=[foreign], itemOffset=0)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("queue", foreign)


def test_unknown_farm_is_resource_not_found_naming_the_farm(deadline):
    missing = "farm-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.search_jobs(farmId=missing, queueIds=[MISSING_QUEUE], itemOffset=0)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("farm", missing)


# --- access ------------------------------------------------------------------------------------------

def test_queue_viewer_searches_that_queue_but_no_other(deadline, farm_id, queue_id, users):
    other = new_queue(deadline, farm_id, "other")
    job_id = submit(deadline, farm_id, queue_id)
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=users.viewer.id,
                                       principalType="USER", identityStoreId=STORE, membershipLevel="VIEWER")
    assert job_ids(users.viewer.client.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0)) == [job_id]
    with pytest.raises(ClientError) as caught:
        users.viewer.client.search_jobs(farmId=farm_id, queueIds=[queue_id, other], itemOffset=0)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"


def test_farm_viewer_searches_every_queue(deadline, farm_id, queue_id, users):
    job_id = submit(deadline, farm_id, queue_id)
    deadline.associate_member_to_farm(farmId=farm_id, principalId=users.viewer.id, principalType="USER",
                                      identityStoreId=STORE, membershipLevel="VIEWER")
    assert job_ids(users.viewer.client.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0)) == [job_id]


def test_job_member_searches_that_jobs_steps_but_not_the_whole_queue(deadline, farm_id, queue_id, users):
    job_id = submit(deadline, farm_id, queue_id)
    deadline.associate_member_to_job(farmId=farm_id, queueId=queue_id, jobId=job_id, principalId=users.viewer.id,
                                     principalType="USER", identityStoreId=STORE, membershipLevel="VIEWER")
    answer = users.viewer.client.search_steps(farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=0)
    assert answer["totalResults"] == 2
    with pytest.raises(ClientError) as caught:
        users.viewer.client.search_steps(farmId=farm_id, queueIds=[queue_id], itemOffset=0)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"


def test_outsider_is_denied_before_learning_whether_the_queue_exists(users, farm_id):
    with pytest.raises(ClientError) as caught:
        users.outsider.client.search_jobs(farmId=farm_id, queueIds=[MISSING_QUEUE], itemOffset=0)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"


# --- SearchSteps -------------------------------------------------------------------------------------

def test_search_steps_of_one_job_in_template_order(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id)
    submit(deadline, farm_id, queue_id)
    answer = deadline.search_steps(farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=0)
    assert answer["totalResults"] == 2
    render, encode = answer["steps"]
    assert (render["name"], encode["name"]) == ("Render", "Encode")
    assert set(render) == {"stepId", "jobId", "queueId", "name", "lifecycleStatus", "taskRunStatus",
                           "taskRunStatusCounts", "taskFailureRetryCount", "createdAt",
                           "createdBy", "parameterSpace"}
    assert (render["jobId"], render["queueId"]) == (job_id, queue_id)
    assert render["parameterSpace"]["parameters"] == [{"name": "Frame", "type": "INT"}]
    assert (render["taskRunStatus"], encode["taskRunStatus"]) == ("READY", "PENDING")


def test_search_steps_across_jobs_by_name_and_status(deadline, farm_id, queue_id):
    for _ in range(2):
        submit(deadline, farm_id, queue_id)
    pending = {"filters": [string_filter("NAME", "Encode"), string_filter("TASK_RUN_STATUS", "PENDING")],
               "operator": "AND"}
    answer = deadline.search_steps(farmId=farm_id, queueIds=[queue_id], itemOffset=0, filterExpressions=pending)
    assert answer["totalResults"] == 2 and {s["name"] for s in answer["steps"]} == {"Encode"}


def test_job_outside_the_named_queues_is_resource_not_found(deadline, farm_id, queue_id):
    other = new_queue(deadline, farm_id, "other")
    job_id = submit(deadline, farm_id, other)
    with pytest.raises(ClientError) as caught:
        deadline.search_steps(farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=0)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("job", job_id)


def test_parameter_filter_on_steps_is_validation_exception(deadline, farm_id, queue_id):
    with pytest.raises(ClientError) as caught:
        deadline.search_steps(farmId=farm_id, queueIds=[queue_id], itemOffset=0, filterExpressions={
            "filters": [{"parameterFilter": {"name": "Frame", "operator": "EQUAL", "value": "1"}}],
            "operator": "AND"})
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["filterExpressions.filters[0].parameterFilter.name"]


# --- SearchTasks -------------------------------------------------------------------------------------

def test_search_tasks_by_frame_with_the_models_members(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id, frames="1-12")
    answer = deadline.search_tasks(
        farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=0, pageSize=2,
        filterExpressions={"filters": [{"parameterFilter": {"name": "Frame", "operator": "GREATER_THAN_EQUAL_TO",
                                                            "value": "9"}}], "operator": "AND"},
        sortExpressions=[{"parameterSort": {"name": "Frame", "sortOrder": "DESCENDING"}}])
    assert (answer["totalResults"], answer["nextItemOffset"]) == (4, 2)
    assert [t["parameters"]["Frame"]["int"] for t in answer["tasks"]] == ["12", "11"]
    task = answer["tasks"][0]
    assert set(task) == {"taskId", "stepId", "jobId", "queueId", "runStatus", "parameters", "failureRetryCount"}
    assert (task["jobId"], task["queueId"], task["runStatus"]) == (job_id, queue_id, "READY")


def test_search_tasks_by_task_run_status(deadline, farm_id, queue_id):
    job_id = submit(deadline, farm_id, queue_id, frames="1-2")
    pending = {"filters": [string_filter("TASK_RUN_STATUS", "PENDING")], "operator": "AND"}
    answer = deadline.search_tasks(farmId=farm_id, queueIds=[queue_id], jobId=job_id, itemOffset=0,
                                   filterExpressions=pending)
    assert answer["totalResults"] == 1 and answer["tasks"][0]["runStatus"] == "PENDING"


# --- SearchWorkers: its checks; searches over real workers are in test_search_workers.py ------------

def test_search_workers_answers_empty_for_a_fleet_without_workers(deadline, farm_id):
    fleet_id = new_fleet(deadline, farm_id)
    answer = deadline.search_workers(farmId=farm_id, fleetIds=[fleet_id], itemOffset=0, pageSize=5)
    assert (answer["workers"], answer["totalResults"]) == ([], 0) and "nextItemOffset" not in answer


def test_search_workers_of_an_unknown_fleet_is_resource_not_found(deadline, farm_id):
    missing = "fleet-" + "0" * 32
    with pytest.raises(ClientError) as caught:
        deadline.search_workers(farmId=farm_id, fleetIds=[missing], itemOffset=0)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("fleet", missing)


def test_search_workers_checks_field_names(deadline, farm_id):
    fleet_id = new_fleet(deadline, farm_id)
    with pytest.raises(ClientError) as caught:
        deadline.search_workers(farmId=farm_id, fleetIds=[fleet_id], itemOffset=0, filterExpressions={
            "filters": [string_filter("PRIORITY", "1")], "operator": "AND"})
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["filterExpressions.filters[0].stringFilter.name"]


def test_unknown_worker_status_is_validation_exception_naming_the_value(deadline, farm_id):
    fleet_id = new_fleet(deadline, farm_id)
    with pytest.raises(ClientError) as caught:
        deadline.search_workers(farmId=farm_id, fleetIds=[fleet_id], itemOffset=0, filterExpressions={
            "filters": [{"stringListFilter": {"name": "STATUS", "operator": "ANY_EQUALS", "values": ["IDLE", "BUSY"]}}],
            "operator": "AND"})
    error = error_of(caught)
    assert (error["Error"]["Code"], error["reason"]) == ("ValidationException", "FIELD_VALIDATION_FAILED")
    assert [f["name"] for f in error["fieldList"]] == ["filterExpressions.filters[0].stringListFilter.values[1]"]


# --- DeleteQueue takes the memberships held on its jobs ----------------------------------------------
# (store/queues.delete removes memberships whose queue_id is the queue; job memberships carry it.)

def test_deleting_a_queue_removes_memberships_on_it_and_its_jobs_but_not_the_farms(deadline, farm_id, users):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="doomed")["queueId"]
    job_id = submit(deadline, farm_id, queue_id)
    member = {"principalId": users.submitter.id, "principalType": "USER", "identityStoreId": STORE}
    deadline.associate_member_to_job(farmId=farm_id, queueId=queue_id, jobId=job_id, membershipLevel="MANAGER",
                                     **member)
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, membershipLevel="VIEWER", **member)
    deadline.associate_member_to_farm(farmId=farm_id, membershipLevel="VIEWER", **member)

    def held() -> list[dict]:
        return [m for m in users.submitter.client.list_memberships(principalId=users.submitter.id)["memberships"]
                if farm_id in json.dumps(m)]

    assert {next(iter(m)) for m in held()} == {"job", "queue", "farm"}
    deadline.delete_queue(farmId=farm_id, queueId=queue_id)
    assert [next(iter(m)) for m in held()] == ["farm"]
    jobs_held = deadline.list_memberships(principalId=users.submitter.id, resourceTypes=["JOB"])["memberships"]
    assert job_id not in [m["job"]["jobId"] for m in jobs_held]
