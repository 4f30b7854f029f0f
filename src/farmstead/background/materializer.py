"""Materializing large jobs' tasks after CreateJob has answered.

A job with more tasks than orchestration.job_creation.INLINE_TASK_LIMIT is stored CREATE_IN_PROGRESS; this
thread inserts its tasks in short transactions (so API writes interleave) and then completes it.
On start it resumes every job still CREATE_IN_PROGRESS (a killed server loses no job): partial task
rows from the interrupted attempt are deleted first, so the result is the same as an uninterrupted run.
Several replicas on one PostgreSQL database each run this thread: a job is materialized by whichever
takes its item lock (store/leases.py), the others skip it; the lock dies with a dead replica's
connection, so another resumes the job on its next pass.
"""

from __future__ import annotations

import logging

from farmstead.background.job_threads import JobThread
from farmstead.domain import job_lifecycles, job_templates
from farmstead.orchestration import job_creation
from farmstead.store import jobs, leases, steps, tasks
from farmstead.store.engine import Connection, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.materializer")


class Materializer(JobThread):
    NAME = "farmstead-materializer"
    POLL_SECONDS = 5.0
    log = log
    FAILED = "materializer pass failed"

    def pending(self, conn: Connection) -> list[str]:
        return list(jobs.ids_in_lifecycle(conn, job_lifecycles.CREATING))

    def handle(self, job_id: str) -> None:
        self.materialize(job_id)

    def store_trouble(self, error: StoreBusy | StoreUnavailable) -> None:
        log.warning("materializer pass skipped; the next wake retries: %s", error)

    def materialize(self, job_id: str) -> None:
        with leases.item_lock(self._store.engine, f"materialize:{job_id}") as mine:
            if mine:  # else another replica (or thread) is at it now
                self._materialize(job_id)

    def _materialize(self, job_id: str) -> None:
        # Checked under the lock: a replica that just finished the job has moved it on.
        with self._store.write() as conn:
            row = jobs.get_by_id(conn, job_id)
            if row is None or row.lifecycle_status != job_lifecycles.CREATING:
                return
            tasks.delete_for_job(conn, job_id)
        try:
            plan = job_creation.replan(row)
            with self._store.read() as conn:
                step_rows = steps.of_job(conn, job_id)
            for step_row in step_rows:
                for batch in job_creation.task_batches_for_step(step_row, plan):
                    with self._store.write() as conn:
                        tasks.insert_many(conn, batch)
            with self._store.write() as conn:
                job_creation.complete_job(conn, job_id, self._clock.now())
        except (job_templates.TemplateError, job_templates.ParameterError, job_templates.TaskQuotaExceeded) as exc:
            with self._store.write() as conn:
                job_creation.fail_job(conn, job_id, str(exc), self._clock.now())
