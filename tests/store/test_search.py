"""Search queries over jobs, steps, tasks and workers give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from farmstead.domain.search import VOCABULARY, Resource, identify_creators, parse
from farmstead.store import search
from farmstead.store.schema import farms, fleets, jobs, queues, sessions, steps, tasks, workers

T0 = datetime(2026, 2, 1, 9, 0, 0, 123456, tzinfo=UTC)
FARM, OTHER_FARM = "farm-" + "a" * 32, "farm-" + "b" * 32
Q1, Q2, Q3 = ("queue-" + c * 32 for c in "123")
F1, F2, F3 = ("fleet-" + c * 32 for c in "123")


def job_id(n: int) -> str:
    return f"job-{n:032x}"


def step_id(job: int, index: int) -> str:
    return f"step-{job:016x}{index:016x}"


def insert_job(conn, n: int, queue_id: str = Q1, farm_id: str = FARM, **values) -> str:
    row = dict(job_id=job_id(n), farm_id=farm_id, queue_id=queue_id, name=f"job {n}", priority=50,
               lifecycle_status="CREATE_COMPLETE", lifecycle_status_message="ok", task_run_status="READY",
               max_failed_tasks_count=20, max_retries_per_task=5, template="{}", template_type="JSON",
               parameters={}, parameter_definitions=[], queue_environments=[], task_count=0,
               created_at=T0 + timedelta(minutes=n), created_by="arn:aws:iam::000000000000:user/alice")
    row.update(values)
    conn.execute(jobs.insert(), row)
    return row["job_id"]


def insert_step(conn, job: int, index: int = 0, **values) -> str:
    row = dict(step_id=step_id(job, index), job_id=job_id(job), step_index=index, name=f"step {index}",
               lifecycle_status="CREATE_COMPLETE", task_run_status="READY", template={}, task_count=0,
               created_at=T0, created_by="arn:aws:iam::000000000000:user/alice")
    row.update(values)
    conn.execute(steps.insert(), row)
    return row["step_id"]


def insert_tasks(conn, job: int, index: int, parameters: list[dict | None], **values) -> list[str]:
    hex_part = step_id(job, index).removeprefix("step-")
    rows = [dict(task_id=f"task-{hex_part}-{i}", step_id=step_id(job, index), job_id=job_id(job), task_index=i,
                 run_status="READY", parameters=p, **values) for i, p in enumerate(parameters)]
    conn.execute(tasks.insert(), rows)
    return [r["task_id"] for r in rows]


def worker_id(n: int) -> str:
    return f"worker-{n:032x}"


def insert_worker(conn, n: int, fleet_id: str = F1, farm_id: str = FARM, status: str = "STARTED",
                  host: str | None = None) -> str:
    conn.execute(workers.insert(), dict(
        worker_id=worker_id(n), farm_id=farm_id, fleet_id=fleet_id, status=status,
        host_properties={"hostName": host} if host is not None else None, last_seen_at=T0,
        created_at=T0 + timedelta(minutes=n), created_by="me"))
    return worker_id(n)


def insert_session(conn, worker: int, n: int, *, ended: bool = False) -> None:
    """A session of `worker` (on a job made for the purpose), open unless `ended`."""
    if conn.execute(sa.select(jobs.c.job_id).where(jobs.c.job_id == job_id(1000))).first() is None:
        insert_job(conn, 1000)
    conn.execute(sessions.insert(), dict(
        session_id=f"session-{n:032x}", farm_id=FARM, queue_id=Q1, job_id=job_id(1000), fleet_id=F1,
        worker_id=worker_id(worker), lifecycle_status="ENDED" if ended else "STARTED", next_action_index=0,
        started_at=T0, ended_at=T0 if ended else None))


@pytest.fixture
def db(store):
    with store.write() as conn:
        for farm_id in (FARM, OTHER_FARM):
            conn.execute(farms.insert(), dict(farm_id=farm_id, display_name="f", cost_scale_factor=1.0,
                                              created_at=T0, created_by="me"))
        for queue_id, farm_id in ((Q1, FARM), (Q2, FARM), (Q3, OTHER_FARM)):
            conn.execute(queues.insert(), dict(queue_id=queue_id, farm_id=farm_id, display_name="q",
                                               default_budget_action="NONE", attributes={}, created_at=T0,
                                               created_by="me"))
        for fleet_id, farm_id in ((F1, FARM), (F2, FARM), (F3, OTHER_FARM)):
            conn.execute(fleets.insert(), dict(fleet_id=fleet_id, farm_id=farm_id, display_name="f", status="ACTIVE",
                                               role_arn="arn:aws:iam::000000000000:role/f", min_worker_count=0,
                                               max_worker_count=1, configuration={}, created_at=T0, created_by="me"))
    return store


def run(store, resource, filters=None, sorts=None, *, queue_ids=(Q1,), job=None, fleet_ids=(F1,), offset=0,
        limit=100, creators=lambda user: (user,)):
    query = identify_creators(parse(resource, filters, sorts), creators)
    scope = search.Scope(FARM, fleet_ids=tuple(fleet_ids)) if resource is Resource.WORKERS else search.Scope(
        FARM, tuple(queue_ids), job)
    with store.read() as conn:
        rows, total = search.search(conn, resource, scope, query, offset, limit)
    key = {Resource.JOBS: "job_id", Resource.STEPS: "step_id", Resource.TASKS: "task_id",
           Resource.WORKERS: "worker_id"}[resource]
    return [getattr(r, key) for r in rows], total


def where(*filters, operator="AND"):
    return {"filters": list(filters), "operator": operator}


def string(name, value, operator="EQUAL"):
    return {"stringFilter": {"name": name, "operator": operator, "value": value}}


def sort(name, descending=False, kind="fieldSort"):
    return {kind: {"name": name, "sortOrder": "DESCENDING" if descending else "ASCENDING"}}


# --- scope -------------------------------------------------------------------------------------------

def test_jobs_are_searched_only_in_the_named_queues_of_the_farm(db):
    with db.write() as conn:
        insert_job(conn, 1, Q1)
        insert_job(conn, 2, Q2)
        insert_job(conn, 3, Q3, farm_id=OTHER_FARM)
    assert run(db, Resource.JOBS) == ([job_id(1)], 1)
    assert run(db, Resource.JOBS, queue_ids=(Q1, Q2)) == ([job_id(1), job_id(2)], 2)
    assert run(db, Resource.JOBS, queue_ids=(Q3,)) == ([], 0)


def test_steps_and_tasks_are_limited_to_the_job_when_one_is_named(db):
    with db.write() as conn:
        for n in (1, 2):
            insert_job(conn, n)
            insert_step(conn, n)
            insert_tasks(conn, n, 0, [None, None])
    assert run(db, Resource.STEPS)[1] == 2
    assert run(db, Resource.STEPS, job=job_id(2)) == ([step_id(2, 0)], 1)
    found, total = run(db, Resource.TASKS, job=job_id(1))
    assert total == 2 and all(t.startswith("task-" + step_id(1, 0)[5:]) for t in found)


def test_queue_id_comes_with_step_and_task_rows(db):
    with db.write() as conn:
        insert_job(conn, 1, Q2)
        insert_step(conn, 1)
        insert_tasks(conn, 1, 0, [None])
    query = parse(Resource.TASKS, None, None)
    with db.read() as conn:
        rows, _ = search.search(conn, Resource.TASKS, search.Scope(FARM, (Q2,)), query, 0, 10)
        steps_rows, _ = search.search(conn, Resource.STEPS, search.Scope(FARM, (Q2,)), query, 0, 10)
    assert rows[0].queue_id == Q2 and steps_rows[0].queue_id == Q2


# --- filters -----------------------------------------------------------------------------------------

def test_string_filters_compare_exactly(db):
    with db.write() as conn:
        insert_job(conn, 1, task_run_status="READY")
        insert_job(conn, 2, task_run_status="SUCCEEDED")
        insert_job(conn, 3, task_run_status="FAILED")
    assert run(db, Resource.JOBS, where(string("TASK_RUN_STATUS", "READY")))[0] == [job_id(1)]
    assert run(db, Resource.JOBS, where(string("TASK_RUN_STATUS", "READY", "NOT_EQUAL")))[0] == [job_id(2), job_id(3)]
    assert run(db, Resource.JOBS, where({"stringListFilter": {
        "name": "TASK_RUN_STATUS", "operator": "ANY_EQUALS", "values": ["READY", "FAILED"]}}))[0] == [
        job_id(1), job_id(3)]
    assert run(db, Resource.JOBS, where({"stringListFilter": {
        "name": "TASK_RUN_STATUS", "operator": "ALL_NOT_EQUALS", "values": ["READY", "FAILED"]}}))[0] == [job_id(2)]


def test_negative_filters_pass_items_without_the_value(db):
    with db.write() as conn:
        insert_job(conn, 1, updated_by="bob")
        insert_job(conn, 2)
    assert run(db, Resource.JOBS, where(string("UPDATED_BY", "bob", "NOT_EQUAL")))[0] == [job_id(2)]
    assert run(db, Resource.JOBS, where({"stringListFilter": {
        "name": "UPDATED_BY", "operator": "ALL_NOT_EQUALS", "values": ["bob"]}}))[0] == [job_id(2)]


def test_number_filter_on_priority(db):
    with db.write() as conn:
        insert_job(conn, 1, priority=10)
        insert_job(conn, 2, priority=90)
    assert run(db, Resource.JOBS, where(string("PRIORITY", "90")))[0] == [job_id(2)]


@pytest.mark.parametrize(("operator", "expected"), [
    ("EQUAL", [2]), ("GREATER_THAN", [3]), ("GREATER_THAN_EQUAL_TO", [2, 3]), ("LESS_THAN", [1]),
    ("LESS_THAN_EQUAL_TO", [1, 2])])
def test_date_time_filters_compare_to_the_microsecond_and_skip_absent_values(db, operator, expected):
    with db.write() as conn:
        for n in (1, 2, 3):
            insert_job(conn, n, ended_at=T0 + timedelta(microseconds=n))
        insert_job(conn, 4)  # never ended
    found, _ = run(db, Resource.JOBS, where({"dateTimeFilter": {
        "name": "ENDED_AT", "operator": operator, "dateTime": T0 + timedelta(microseconds=2)}}))
    assert found == [job_id(n) for n in expected]


def test_groups_combine_with_and_and_or(db):
    with db.write() as conn:
        insert_job(conn, 1, priority=10, task_run_status="READY")
        insert_job(conn, 2, priority=90, task_run_status="READY")
        insert_job(conn, 3, priority=90, task_run_status="FAILED")
    either = where(string("PRIORITY", "10"), string("TASK_RUN_STATUS", "FAILED"), operator="OR")
    assert run(db, Resource.JOBS, either)[0] == [job_id(1), job_id(3)]
    both = where(string("PRIORITY", "90"), {"groupFilter": where(string("TASK_RUN_STATUS", "READY"))})
    assert run(db, Resource.JOBS, both)[0] == [job_id(2)]


def test_fuzzy_term_needs_every_word_anywhere_in_the_name_or_id_ignoring_case(db):
    with db.write() as conn:
        insert_job(conn, 1, name="Hero Shot v2")
        insert_job(conn, 2, name="shot of the hero")
        insert_job(conn, 3, name="Hero only")
    fuzzy = where({"searchTermFilter": {"searchTerm": "hero SHOT"}})
    assert run(db, Resource.JOBS, fuzzy)[0] == [job_id(1), job_id(2)]
    contains = where({"searchTermFilter": {"searchTerm": "hero shot", "matchType": "CONTAINS"}})
    assert run(db, Resource.JOBS, contains)[0] == [job_id(1)]
    by_id = where({"searchTermFilter": {"searchTerm": job_id(3)[-6:], "matchType": "CONTAINS"}})
    assert run(db, Resource.JOBS, by_id)[0] == [job_id(3)]


def test_search_term_wildcards_are_matched_literally(db):
    with db.write() as conn:
        insert_job(conn, 1, name="100% done")
        insert_job(conn, 2, name="1000 done")
        insert_job(conn, 3, name="a_b")
        insert_job(conn, 4, name="axb")
    assert run(db, Resource.JOBS, where({"searchTermFilter": {"searchTerm": "100%"}}))[0] == [job_id(1)]
    assert run(db, Resource.JOBS, where({"searchTermFilter": {"searchTerm": "a_b"}}))[0] == [job_id(3)]


def test_task_search_term_matches_the_task_id_or_its_step_name(db):
    with db.write() as conn:
        insert_job(conn, 1)
        insert_step(conn, 1, 0, name="Render")
        insert_step(conn, 1, 1, name="Encode")
        render = insert_tasks(conn, 1, 0, [None])
        encode = insert_tasks(conn, 1, 1, [None, None])
    assert run(db, Resource.TASKS, where({"searchTermFilter": {"searchTerm": "render"}}))[0] == render
    assert run(db, Resource.TASKS, where({"searchTermFilter": {"searchTerm": encode[1]}}))[0] == [encode[1]]


def test_parameter_filter_compares_numbers_numerically_and_skips_tasks_without_it(db):
    with db.write() as conn:
        insert_job(conn, 1)
        insert_step(conn, 1)
        ids = insert_tasks(conn, 1, 0, [{"Frame": {"int": "2"}}, {"Frame": {"int": "10"}},
                                        {"Frame": {"float": "2.5"}}, {"Other": {"int": "99"}}, None])
    greater = where({"parameterFilter": {"name": "Frame", "operator": "GREATER_THAN", "value": "2"}})
    assert run(db, Resource.TASKS, greater)[0] == [ids[1], ids[2]]
    not_ten = where({"parameterFilter": {"name": "Task.Param.Frame", "operator": "NOT_EQUAL", "value": "10.0"}})
    assert run(db, Resource.TASKS, not_ten)[0] == [ids[0], ids[2]]


def test_parameter_filter_compares_text_parameters_as_text(db):
    with db.write() as conn:
        insert_job(conn, 1, parameters={"Scene": {"path": "/s/a.blend"}, "Count": {"int": "3"}})
        insert_job(conn, 2, parameters={"Scene": {"path": "/s/b.blend"}})
        insert_job(conn, 3, parameters={"Scene": {"string": "10"}, "Names": {"stringList": ["x"]}})
    equal = where({"parameterFilter": {"name": "Param.Scene", "operator": "EQUAL", "value": "/s/b.blend"}})
    assert run(db, Resource.JOBS, equal)[0] == [job_id(2)]
    # "10" is a string parameter here: "10" < "9" as text.
    less = where({"parameterFilter": {"name": "Scene", "operator": "LESS_THAN", "value": "9"}})
    assert run(db, Resource.JOBS, less)[0] == [job_id(1), job_id(2), job_id(3)]
    listed = where({"parameterFilter": {"name": "Names", "operator": "EQUAL", "value": "x"}})
    assert run(db, Resource.JOBS, listed)[0] == []


# --- order -------------------------------------------------------------------------------------------

def test_default_order_is_creation_order(db):
    with db.write() as conn:
        for n in (3, 1, 2):
            insert_job(conn, n)
    assert run(db, Resource.JOBS)[0] == [job_id(1), job_id(2), job_id(3)]


def test_steps_and_tasks_default_to_job_then_template_then_task_order(db):
    with db.write() as conn:
        for n in (2, 1):
            insert_job(conn, n)
            for index in (1, 0):
                insert_step(conn, n, index)
                insert_tasks(conn, n, index, [None, None])
    assert run(db, Resource.STEPS)[0] == [step_id(1, 0), step_id(1, 1), step_id(2, 0), step_id(2, 1)]
    found = run(db, Resource.TASKS)[0]
    assert found[:4] == [f"task-{step_id(1, 0)[5:]}-0", f"task-{step_id(1, 0)[5:]}-1",
                         f"task-{step_id(1, 1)[5:]}-0", f"task-{step_id(1, 1)[5:]}-1"]


def test_field_sort_puts_absent_values_last_in_both_directions(db):
    with db.write() as conn:
        insert_job(conn, 1, started_at=T0 + timedelta(hours=1))
        insert_job(conn, 2)
        insert_job(conn, 3, started_at=T0 + timedelta(hours=3))
    assert run(db, Resource.JOBS, sorts=[sort("STARTED_AT")])[0] == [job_id(1), job_id(3), job_id(2)]
    assert run(db, Resource.JOBS, sorts=[sort("STARTED_AT", True)])[0] == [job_id(3), job_id(1), job_id(2)]


def test_name_sort_ignores_case_on_both_dialects(db):
    with db.write() as conn:
        for n, name in ((1, "beta"), (2, "Alpha"), (3, "alpha"), (4, "Gamma")):
            insert_job(conn, n, name=name)
    assert run(db, Resource.JOBS, sorts=[sort("NAME")])[0] == [job_id(2), job_id(3), job_id(1), job_id(4)]


def test_later_sorts_break_ties_of_earlier_ones(db):
    with db.write() as conn:
        insert_job(conn, 1, priority=50)
        insert_job(conn, 2, priority=90)
        insert_job(conn, 3, priority=50)
    found = run(db, Resource.JOBS, sorts=[sort("PRIORITY", True), sort("CREATED_AT", True)])[0]
    assert found == [job_id(2), job_id(3), job_id(1)]


def test_parameter_sort_orders_numbers_numerically_and_missing_last(db):
    with db.write() as conn:
        insert_job(conn, 1)
        insert_step(conn, 1)
        ids = insert_tasks(conn, 1, 0, [{"Frame": {"int": "10"}}, None, {"Frame": {"int": "9"}},
                                        {"Frame": {"int": "-1"}}])
    assert run(db, Resource.TASKS, sorts=[sort("Frame", kind="parameterSort")])[0] == [ids[3], ids[2], ids[0], ids[1]]
    assert run(db, Resource.TASKS, sorts=[sort("Frame", True, "parameterSort")])[0] == [
        ids[0], ids[2], ids[3], ids[1]]


def test_user_jobs_first_puts_that_users_jobs_ahead(db):
    with db.write() as conn:
        insert_job(conn, 1)
        insert_job(conn, 2, created_by="arn:aws:iam::000000000000:user/bob")
        insert_job(conn, 3)
        insert_step(conn, 2)
        insert_step(conn, 3)
    first = [{"userJobsFirst": {"userIdentityId": "bob"}}]
    bob = lambda user: ("arn:aws:iam::000000000000:user/bob",)  # noqa: E731
    assert run(db, Resource.JOBS, sorts=first, creators=bob)[0] == [job_id(2), job_id(1), job_id(3)]
    assert run(db, Resource.STEPS, sorts=first, creators=bob)[0] == [step_id(2, 0), step_id(3, 0)]


# --- paging and the cap ------------------------------------------------------------------------------

def test_offset_pages_cover_every_item_once(db):
    with db.write() as conn:
        for n in range(7):
            insert_job(conn, n, priority=n % 2)
    pages = [run(db, Resource.JOBS, sorts=[sort("PRIORITY")], offset=o, limit=3) for o in (0, 3, 6)]
    assert [len(p[0]) for p in pages] == [3, 3, 1] and all(p[1] == 7 for p in pages)
    assert sorted(j for p in pages for j in p[0]) == [job_id(n) for n in range(7)]
    assert run(db, Resource.JOBS, offset=7) == ([], 7)


def test_total_stops_counting_at_the_cap_and_no_page_goes_past_it(db, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 4)
    with db.write() as conn:
        for n in range(6):
            insert_job(conn, n)
    assert run(db, Resource.JOBS, limit=3, offset=3) == ([job_id(3)], 4)
    assert run(db, Resource.JOBS, offset=4) == ([], 4)


@pytest.mark.parametrize("filters", [
    where(string("LIFECYCLE_STATUS", "ARCHIVED", "NOT_EQUAL")),  # the job list's default
    where(string("LIFECYCLE_STATUS", "ARCHIVED", "NOT_EQUAL"), string("TASK_RUN_STATUS", "FAILED")),
])
def test_a_queues_job_count_reads_only_an_index_on_sqlite(db, filters):
    """totalResults counts up to 10,000 jobs on every job list page; reading each job's row for it was
    the page's largest cost that grew with the queue (docs/web.md, "Speed")."""
    if db.dialect != "sqlite":
        pytest.skip("a query plan is the SQLite planner's; PostgreSQL plans by its statistics")
    statements: list[tuple[str, object]] = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, params, context, many: statements.append((statement, params)))
    with db.write() as conn:
        insert_job(conn, 1)
    run(db, Resource.JOBS, filters, [sort("CREATED_AT", descending=True)])
    count, params = next((s, p) for s, p in statements if s.lstrip().startswith("SELECT count(*)"))
    with db.read() as conn:
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {count}", params))
    assert "USING COVERING INDEX" in plan, plan


# --- workers -----------------------------------------------------------------------------------------

def test_workers_are_searched_only_in_the_named_fleets_of_the_farm(db):
    with db.write() as conn:
        insert_worker(conn, 1, F1)
        insert_worker(conn, 2, F2)
        insert_worker(conn, 3, F3, farm_id=OTHER_FARM)
    assert run(db, Resource.WORKERS) == ([worker_id(1)], 1)
    assert run(db, Resource.WORKERS, fleet_ids=(F2, F1)) == ([worker_id(1), worker_id(2)], 2)
    assert run(db, Resource.WORKERS, fleet_ids=(F3,)) == ([], 0)


def test_worker_status_is_the_shown_one_running_only_with_an_open_session(db):
    with db.write() as conn:
        insert_worker(conn, 1)                      # STARTED, open session: RUNNING
        insert_worker(conn, 2)                      # STARTED, its only session ended: IDLE
        insert_worker(conn, 3)                      # STARTED, no session: IDLE
        insert_worker(conn, 4, status="STOPPING")   # an open session doesn't make it RUNNING
        insert_worker(conn, 5, status="STOPPED")
        insert_session(conn, 1, 1)
        insert_session(conn, 1, 2, ended=True)
        insert_session(conn, 2, 3, ended=True)
        insert_session(conn, 4, 4)
    status = lambda value, operator="EQUAL": where(string("STATUS", value, operator))  # noqa: E731
    assert run(db, Resource.WORKERS, status("RUNNING"))[0] == [worker_id(1)]
    assert run(db, Resource.WORKERS, status("IDLE"))[0] == [worker_id(2), worker_id(3)]
    assert run(db, Resource.WORKERS, status("STOPPING"))[0] == [worker_id(4)]
    assert run(db, Resource.WORKERS, status("STARTED")) == ([], 0)
    assert run(db, Resource.WORKERS, status("IDLE", "NOT_EQUAL"))[0] == [worker_id(n) for n in (1, 4, 5)]
    # Shown statuses sort alphabetically: IDLE, RUNNING, STOPPED, STOPPING.
    assert run(db, Resource.WORKERS, sorts=[sort("STATUS")])[0] == [worker_id(n) for n in (2, 3, 1, 5, 4)]


def test_host_name_filters_sorts_and_is_searched_with_the_worker_id(db):
    with db.write() as conn:
        insert_worker(conn, 1, host="render-b")
        insert_worker(conn, 2)                      # no host properties at all
        insert_worker(conn, 3, host="Render-A")
        insert_worker(conn, 4, host="render-a")
    assert run(db, Resource.WORKERS, where(string("HOST_NAME", "render-a")))[0] == [worker_id(4)]
    assert run(db, Resource.WORKERS, where(string("HOST_NAME", "render-a", "NOT_EQUAL")))[0] == [
        worker_id(n) for n in (1, 2, 3)]
    assert run(db, Resource.WORKERS, sorts=[sort("HOST_NAME")])[0] == [worker_id(n) for n in (3, 4, 1, 2)]
    assert run(db, Resource.WORKERS, sorts=[sort("HOST_NAME", True)])[0] == [worker_id(n) for n in (1, 4, 3, 2)]
    assert run(db, Resource.WORKERS, where({"searchTermFilter": {"searchTerm": "RENDER a"}}))[0] == [
        worker_id(3), worker_id(4)]
    by_id = where({"searchTermFilter": {"searchTerm": worker_id(2)[-5:], "matchType": "CONTAINS"}})
    assert run(db, Resource.WORKERS, by_id)[0] == [worker_id(2)]


def test_workers_default_to_creation_order_and_page(db):
    with db.write() as conn:
        for n in (3, 1, 2):
            insert_worker(conn, n)
    assert run(db, Resource.WORKERS, limit=2) == ([worker_id(1), worker_id(2)], 3)
    assert run(db, Resource.WORKERS, offset=2, limit=2) == ([worker_id(3)], 3)
    assert run(db, Resource.WORKERS, sorts=[sort("CREATED_AT", True)])[0] == [worker_id(n) for n in (3, 2, 1)]


def test_every_field_of_the_vocabulary_has_a_column():
    for resource in Resource:
        assert set(search.columns_of(resource)) == set(VOCABULARY[resource]), resource
