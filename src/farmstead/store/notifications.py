"""Which waiting workers a write transaction wakes, and carrying that to every API replica.

Owns: noting, during a write transaction, the jobs that got READY tasks (and how many) and the
workers whose row changed; turning them into wake-up counts when the transaction is about to commit
(a job's keys are the fleets associated with its queue, each with the number of tasks that became
READY: as many held workers of the fleet are released; a worker's key releases its own call); on
PostgreSQL sending them with NOTIFY inside the committing transaction (delivered to the listeners
only if it commits) and the one listening connection per replica that receives them. Every
replica releases up to the count of its own held calls: with N replicas up to N times the count
are answered, the price of not coordinating replicas (docs/protocol.md). Must not: decide who gets work, or know
the server (the keys go to whatever `Store.on_wakeup` and `Listener(deliver)` are given).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import jobs, queue_fleet_associations
from farmstead.store.send_later import SEND_LATER

log = logging.getLogger("farmstead.store.notifications")

CHANNEL = "farmstead_wakeups"
#: The key every held call also waits on (orchestration/wakeups.py).
EVERY_WAITER = "*"
#: NOTIFY payloads are at most 8000 bytes: keys are sent in chunks well below that.
_PAYLOAD_BYTES = 7000
_JOBS = "farmstead_wakeup_jobs"
_KEYS = "farmstead_wakeup_keys"
#: How long the listener waits before reconnecting after losing its connection.
_RECONNECT_SECONDS = 1.0

#: A wake-up's count: how many held calls of the key to release; None: every one.
Counts = dict[str, int | None]
#: In a NOTIFY payload a key with a count is `key:count` (ids never hold a colon); a bare key: every call.
_COUNT_SEPARATOR = ":"

_OF_JOBS = jobs.c.job_id.in_(sa.bindparam("b_job_ids", expanding=True))
_ASSOCIATED = jobs.c.queue_id == queue_fleet_associations.c.queue_id
_FLEETS_OF_JOBS = (sa.select(queue_fleet_associations.c.fleet_id, jobs.c.job_id).distinct()
                   .join(jobs, _ASSOCIATED).where(_OF_JOBS))
#: PostgreSQL: the jobs' fleets found and notified in one statement (a heartbeat that put a failed task
#: back to READY pays one statement for it, not two), each with the transaction's READY tasks (`b_suffix`,
#: `:count` or empty for every call): exact for the usual one job per transaction, an upper bound for a
#: fleet that serves only some of several. A queue is served by a few fleets: far below NOTIFY's 8000 bytes.
_NOTIFY_FLEETS_OF_JOBS = (
    sa.select(sa.func.pg_notify(CHANNEL, sa.func.string_agg(
        (queue_fleet_associations.c.fleet_id + sa.bindparam("b_suffix", type_=sa.String)).distinct(), " ")))
    .select_from(queue_fleet_associations).join(jobs, _ASSOCIATED).where(_OF_JOBS)
    .having(sa.func.count() > 0))


def note_ready(conn: Connection, job_id: str, ready: int | None = None) -> None:
    """The job got `ready` more READY tasks in this transaction (None: an unknown number became
    claimable, e.g. a dispatch hold lifted: every held worker of its fleets is released)."""
    noted: dict[str, int | None] = conn.info.setdefault(_JOBS, {})
    before = noted.get(job_id, 0)
    noted[job_id] = None if before is None or ready is None else before + ready


def note_worker(conn: Connection, worker_id: str) -> None:
    """The worker's row changed in this transaction (status, hold): its held call answers afresh."""
    conn.info.setdefault(_KEYS, set()).add(worker_id)


def collect(conn: Connection) -> Counts:
    """The wake-ups this transaction noted, just before it commits, for this process to wake
    (SQLite); on PostgreSQL sent with NOTIFY in it instead, for every replica's listener (and none
    returned). No statement when nothing was noted."""
    noted_jobs: dict[str, int | None] = conn.info.pop(_JOBS, {})
    keys: set[str] = conn.info.pop(_KEYS, set())
    if conn.dialect.name == "postgresql":
        if noted_jobs:
            total = _sum(noted_jobs.values())
            conn.execute(_NOTIFY_FLEETS_OF_JOBS, {"b_job_ids": sorted(noted_jobs),
                                                  "b_suffix": "" if total is None else f"{_COUNT_SEPARATOR}{total}"},
                         execution_options=SEND_LATER)  # with the COMMIT: one round trip for both
        for payload in _payloads(sorted(keys)):
            conn.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)), execution_options=SEND_LATER)
        return {}  # every replica, this one too, hears them through its listener
    counts: Counts = dict.fromkeys(keys)
    if noted_jobs:
        for fleet_id, job_id in conn.execute(_FLEETS_OF_JOBS, {"b_job_ids": sorted(noted_jobs)}):
            counts[fleet_id] = _sum((counts.get(fleet_id, 0), noted_jobs[job_id]))
    return counts


def parse(payload: str) -> Counts:
    """A NOTIFY payload's wake-ups (a key named twice: the counts add up)."""
    counts: Counts = {}
    for token in payload.split():
        key, _, count = token.partition(_COUNT_SEPARATOR)
        counts[key] = _sum((counts.get(key, 0), int(count) if count else None))
    return counts


def _sum(counts: Iterable[int | None]) -> int | None:
    """None (every held call) if any is None, else their sum."""
    total = 0
    for count in counts:
        if count is None:
            return None
        total += count
    return total


def forget(conn: Connection) -> None:
    """Drop what a transaction that did not commit noted (the connection goes back to the pool)."""
    conn.info.pop(_JOBS, None)
    conn.info.pop(_KEYS, None)


def _payloads(keys: list[str]) -> list[str]:
    payloads, current = [], ""
    for key in keys:
        if current and len(current) + 1 + len(key) > _PAYLOAD_BYTES:
            payloads.append(current)
            current = ""
        current = f"{current} {key}" if current else key
    if current:
        payloads.append(current)
    return payloads


class Listener:
    """One replica's LISTEN connection (PostgreSQL): hands the wake-ups other replicas' commits (and
    this one's) notify to `deliver`, on its own thread; reconnects when the connection drops."""

    def __init__(self, database_url: str, deliver: Callable[[Counts], None]) -> None:
        url = sa.engine.make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._deliver = deliver
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wakeup-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def wait_listening(self, timeout: float) -> bool:
        """Whether the LISTEN is in place (a replica started before it would miss earlier wake-ups)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    # Something may have been notified while no connection listened: wake everyone's
                    # held call once, to answer afresh (cheap, and only after a reconnect).
                    self._deliver({EVERY_WAITER: None})
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._deliver(parse(notify.payload))
            except psycopg.Error as error:
                self._listening.clear()
                log.warning("wake-up listener lost its connection (%s); reconnecting", error)
                self._stop.wait(_RECONNECT_SECONDS)
