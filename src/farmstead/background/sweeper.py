"""Liveness and housekeeping: silent workers become NOT_RESPONDING and their work goes back to READY.

Every few seconds: each STARTED/STOPPING/CREATED worker whose last call is older than the
configured timeout (or, while it runs its fleet's host configuration script, than the script's
timeout) is marked NOT_RESPONDING, its unfinished actions end INTERRUPTED and their
tasks return to READY without spending a retry (a later call from it gets STATUS_CONFLICT).
Runs stuck past their queue's limits are canceled (orchestration/stuck_tasks.py, docs/self-managing.md).
Budgets are charged for their queues' session time and act at their thresholds
(orchestration/budgets.py). Expired temporary credentials and day-old idempotency records are removed.
Auto-scaling fleets' recommended sizes are looked at, and a Fleet Size Recommendation Change said when
one moved (orchestration/events.py): their demand moves with tasks and time, not with any one request.
After the store was unavailable (a database outage, a full disk), no worker is declared lost until
the store has been back for a whole timeout: their heartbeats failed with the store, not with them,
and a worker retrying with back-off needs that long to get through again.
Several replicas on one PostgreSQL database sweep once, not once each: the replica holding the
`sweeper` lease (store/leases.py) does the passes and renews it on each; if it stops, another takes
the lease over once it lapses. An advisory lock around the pass also keeps two passes from overlapping.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from farmstead.clock import Clock
from farmstead.domain.fleet_scaling import DEFAULT_RULE, ScalingRule
from farmstead.orchestration import budgets, events, stuck_tasks
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.orchestration.worker_sessions import release_worker_sessions
from farmstead.store import housekeeping, leases, workers
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.sweeper")
LEASE = "sweeper"


class Sweeper:
    def __init__(self, store: Store, clock: Clock, worker_timeout_seconds: int,
                 workers_lost: Callable[[int], None] | None = None, audit_retention_days: int = 365,
                 worker_hour_cost: float = 0.0, scaling: ScalingRule = DEFAULT_RULE) -> None:
        self._store = store
        self._scaling = scaling
        #: Told how many workers a pass declared NOT_RESPONDING, once that pass has committed (metrics).
        self._workers_lost = workers_lost
        self._clock = clock
        self._timeout = timedelta(seconds=worker_timeout_seconds)
        self._audit_keep = timedelta(days=audit_retention_days)
        #: The farm-wide cost of a worker-hour, for fleets an admin gave no rate of their own (budgets).
        self._worker_hour_cost = worker_hour_cost
        self._interval = max(0.5, min(5.0, worker_timeout_seconds / 4))
        #: Long enough that a live holder always renews in time; short next to the worker timeout.
        self._lease = timedelta(seconds=max(2.0, self._interval * 4))
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farmstead-sweeper", daemon=True)
        #: When a pass last failed because the store was unavailable, and when one next succeeded.
        self._unavailable_at: datetime | None = None
        self._back_at: datetime | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            with self._store.write() as conn:
                leases.release(conn, LEASE, self.holder)
        except Exception:  # noqa: BLE001 - the lease lapses by itself
            log.warning("could not give up the sweeper lease", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sweep()
            except StoreUnavailable as error:
                self.store_unavailable()
                log.warning("sweep skipped, the store is unavailable: %s", error.cause)
            except StoreBusy as error:
                log.info("store busy; the next pass sweeps: %s", error)
            except Exception:  # noqa: BLE001 - keep sweeping; the next pass retries
                log.exception("sweep failed")

    def store_unavailable(self) -> None:
        """A pass found the store unavailable: liveness is judged afresh once it is back."""
        self._unavailable_at = self._clock.now()
        self._back_at = None

    def sweep(self) -> int:
        """One pass if this replica holds (or takes) the lease; returns the workers it declared lost."""
        now = self._clock.now()
        with self._store.write() as conn:
            if not leases.take(conn, LEASE, self.holder, now, self._lease):
                return 0
        with self._store.write() as conn:
            events.fleet_demands_looked_at(conn, now, self._scaling)
        lost = 0
        with self._store.write() as conn:
            if not housekeeping.try_lock(conn, "sweeper"):
                return 0
            cutoff = now - self._timeout
            if self._unavailable_at is not None:
                self._back_at = self._back_at or now
                if now - self._back_at < self._timeout:
                    housekeeping.forget_expired(conn, now, self._audit_keep)
                    return 0  # workers whose calls failed with the store get a whole timeout to come back
                self._unavailable_at = self._back_at = None
            changes = TaskChanges(conn, now)  # the pass's one unit of task changes
            for worker in workers.silent_since(conn, cutoff, now):
                if workers.mark_not_responding(conn, worker.worker_id, cutoff, now, "farmstead:liveness"):
                    release_worker_sessions(changes, worker.worker_id)
                    lost += 1
            changes.flush()
            stuck = stuck_tasks.cancel_stuck_runs(conn, now)  # docs/self-managing.md, "Stuck tasks"
            budgets.tick(conn, now, self._worker_hour_cost)  # docs/fleets.md, "Budgets"
            housekeeping.forget_expired(conn, now, self._audit_keep)
        if lost:
            log.warning("%d worker(s) became NOT_RESPONDING", lost)
            if self._workers_lost is not None:
                self._workers_lost(lost)
        if stuck:
            log.warning("%d stuck task run(s) canceled", stuck)
        return lost
