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
import threading

from farmstead.clock import Clock
from farmstead.orchestration import deferral
from farmstead.orchestration import fan_outs as job_fan_outs
from farmstead.store import fan_outs, leases
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.fan_outs")

#: How often the queue is looked at without a wake-up (changes a heartbeat queued).
POLL_SECONDS = 1.0


class FanOutRunner:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farmstead-fan-outs", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=POLL_SECONDS)
            self._wake.clear()
            try:
                with self._store.read() as conn:
                    pending = fan_outs.jobs_pending(conn)
                for job_id in pending:
                    if self._stop.is_set():
                        return
                    self.drain(job_id)
            except StoreBusy as error:
                log.info("store busy; queued task changes wait for the next pass: %s", error)
            except StoreUnavailable as error:
                log.warning("queued task changes wait for the store: %s", error.cause)
            except Exception:  # noqa: BLE001 - keep the thread alive; the next pass retries
                log.exception("applying queued task changes failed")

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
