"""Applying queued bulk task changes (orchestration/deferral.py) in bounded batches, after their requests answered.

One thread per server: it takes the jobs with queued changes, longest waiting first, and applies a
job's queue one batch per write transaction, so API requests and heartbeats interleave with it (on
SQLite each batch holds the write lock for tens of milliseconds, not seconds). It is woken when a
request queues a change and looks again every second (a heartbeat may queue one too). A killed
server loses nothing: the queue and each item's progress are rows, committed with each batch.
Several replicas on one PostgreSQL database each run this thread; a job's queue is applied by
whichever takes its item lock (store/leases.py), so its changes stay in order.
"""

from __future__ import annotations

import logging

from farmstead.background.job_threads import JobThread
from farmstead.orchestration import deferral
from farmstead.orchestration import fan_outs as job_fan_outs
from farmstead.store import fan_outs, leases
from farmstead.store.engine import Connection, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.fan_outs")

#: How often the queue is looked at without a wake-up (changes a heartbeat queued).
POLL_SECONDS = 1.0


class FanOutRunner(JobThread):
    NAME = "farmstead-fan-outs"
    POLL_SECONDS = POLL_SECONDS
    log = log
    FAILED = "applying queued task changes failed"

    def pending(self, conn: Connection) -> list[str]:
        return list(fan_outs.jobs_pending(conn))

    def handle(self, job_id: str) -> None:
        self.drain(job_id)

    def store_trouble(self, error: StoreBusy | StoreUnavailable) -> None:
        if isinstance(error, StoreBusy):
            log.info("store busy; queued task changes wait for the next pass: %s", error)
        else:
            log.warning("queued task changes wait for the store: %s", error.cause)

    def drain(self, job_id: str) -> None:
        """Apply the job's queue to its end (unless stopping), a batch per transaction."""
        with leases.item_lock(self._store.engine, f"fan-out:{job_id}") as mine:
            if not mine:
                return  # another replica (or thread) is applying it
            more = True
            while more and not self._stop.is_set():
                with self._store.write() as conn:
                    more = job_fan_outs.apply_batch(conn, job_id, self._clock.now())
                if more and deferral.LIMITS.pause_seconds:
                    self._stop.wait(deferral.LIMITS.pause_seconds)
