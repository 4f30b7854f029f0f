"""The thread shape the background job work shares (materializer.py, fan_outs.py): woken when a
request leaves it work, else looking again every POLL_SECONDS; each pass reads the jobs it has to
handle and handles them one by one, until stopped.

Owns: starting, waking and stopping the thread, and keeping it alive through a failed pass (the next
pass retries). Must not: know what the work is (subclasses: `pending`, `handle`, `store_trouble`).
"""

from __future__ import annotations

import logging
import threading

from farmstead.clock import Clock
from farmstead.store.engine import Connection, Store, StoreBusy, StoreUnavailable


class JobThread:
    NAME = "farmstead-jobs"
    POLL_SECONDS = 5.0
    log = logging.getLogger("farmstead.background")
    #: Logged, with the traceback, when a pass fails unexpectedly.
    FAILED = "background pass failed"

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def pending(self, conn: Connection) -> list[str]:
        """The ids of the jobs this pass handles, in order."""
        raise NotImplementedError

    def handle(self, job_id: str) -> None:
        raise NotImplementedError

    def store_trouble(self, error: StoreBusy | StoreUnavailable) -> None:
        """A pass cut short by a busy or unavailable store: said once; the next pass retries."""
        self.log.warning("pass skipped; the next wake retries: %s", error)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.POLL_SECONDS)
            self._wake.clear()
            try:
                with self._store.read() as conn:
                    pending = self.pending(conn)
                for job_id in pending:
                    if self._stop.is_set():
                        return
                    self.handle(job_id)
            except (StoreBusy, StoreUnavailable) as error:
                self.store_trouble(error)
            except Exception:  # noqa: BLE001 - keep the thread alive; the next pass retries
                self.log.exception(self.FAILED)
