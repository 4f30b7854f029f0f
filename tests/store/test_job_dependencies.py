"""The job_dependencies rows as the queue page's graph reads them, on every store."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from store.test_search import FARM, Q1, Q2, T0, insert_job, job_id
from store.test_status_checks import _as_at_revision

from farmstead.store import job_dependencies, schema
from farmstead.store.migrations.runner import upgrade
from farmstead.store.schema import farms, queues


@pytest.fixture
def db(store):
    with store.write() as conn:
        conn.execute(farms.insert(), dict(farm_id=FARM, display_name="f", cost_scale_factor=1.0, created_at=T0,
                                          created_by="me"))
        for queue_id in (Q1, Q2):
            conn.execute(queues.insert(), dict(queue_id=queue_id, farm_id=FARM, display_name="q",
                                               default_budget_action="NONE", attributes={}, created_at=T0,
                                               created_by="me"))
        for n in range(1, 5):
            insert_job(conn, n, Q2 if n == 4 else Q1)
        job_dependencies.insert(conn, job_id(2), [job_id(1)], "afterok")
        job_dependencies.insert(conn, job_id(3), [job_id(1), job_id(4)], "afterany")
        job_dependencies.insert(conn, job_id(4), [job_id(1)], "afterok")
    return store


def test_the_queue_graph_holds_the_waits_of_that_queues_jobs_newest_first(db):
    with db.read() as conn:
        edges = [(row.job_id, row.upstream_job_id, row.upstream_queue_id)
                 for row in job_dependencies.edges_in_queue(conn, Q1)]
    assert edges == [(job_id(3), job_id(1), Q1), (job_id(3), job_id(4), Q2), (job_id(2), job_id(1), Q1)]
    with db.read() as conn:
        assert [row.job_id for row in job_dependencies.edges_in_queue(conn, Q2)] == [job_id(4)]


def test_the_queue_graph_reads_the_queues_rows_by_index_not_under_each_of_its_jobs(db):
    """A 10,000-job queue made 10,000 probes on every view of its page (docs/web.md, "Speed")."""
    if db.dialect != "sqlite":
        pytest.skip("a query plan is the SQLite planner's; PostgreSQL plans by its statistics")
    statements: list[tuple[str, object]] = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, params, context, many: statements.append((statement, params)))
    with db.read() as conn:
        job_dependencies.edges_in_queue(conn, Q1)
        statement, params = next((s, p) for s, p in statements if "job_dependencies" in s)
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params))
    assert "USING INDEX ix_job_dependencies_queue" in plan and "ix_jobs_queue_created" not in plan, plan


def test_migration_0012_gives_the_existing_waits_their_jobs_queue(empty_database):
    store = empty_database
    upgrade(store.engine, "0011")
    with store.write() as conn:
        conn.execute(farms.insert(), dict(farm_id=FARM, display_name="f", cost_scale_factor=1.0, created_at=T0,
                                          created_by="me"))
        conn.execute(queues.insert(), dict(queue_id=Q1, farm_id=FARM, display_name="q", default_budget_action="NONE",
                                           attributes={}, created_at=T0, created_by="me"))
        for n in (1, 2):
            insert_job(conn, n, Q1)
        conn.execute(_as_at_revision(conn, schema.job_dependencies).insert(),
                     dict(job_id=job_id(2), upstream_job_id=job_id(1), condition="afterok"))
    upgrade(store.engine)
    with store.read() as conn:
        assert [(row.job_id, row.upstream_job_id) for row in job_dependencies.edges_in_queue(conn, Q1)] == [
            (job_id(2), job_id(1))]
