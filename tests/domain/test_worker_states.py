"""A worker's status rules (docs/compatibility.md, "Worker status"), against tables written out by hand."""

from __future__ import annotations

import pytest

from farmstead.domain import worker_states
from farmstead.domain.statuses import UpdatedWorkerStatus, WorkerStatus

STORED = ["CREATED", "STARTED", "STOPPING", "STOPPED", "NOT_RESPONDING", "NOT_COMPATIBLE"]

# UpdateWorker: wanted status -> the stored statuses it is accepted from (every other one is a conflict).
HANDSHAKE = {
    "STARTED": {"CREATED", "STARTED", "STOPPED", "NOT_RESPONDING"},
    "STOPPING": {"CREATED", "STARTED", "STOPPING"},
    "STOPPED": {"CREATED", "STARTED", "STOPPING", "STOPPED", "NOT_RESPONDING", "NOT_COMPATIBLE"},
}


@pytest.mark.parametrize("wanted", sorted(HANDSHAKE))
@pytest.mark.parametrize("current", STORED)
def test_update_worker_accepts_a_status_only_from_the_handshakes_sources(current, wanted):
    assert worker_states.may_become(current, wanted) is (current in HANDSHAKE[wanted])


def test_the_handshake_covers_every_status_update_worker_takes():
    assert set(worker_states.ALLOWED_FROM) == set(UpdatedWorkerStatus)


@pytest.mark.parametrize(("current", "wanted", "releases"), [
    ("CREATED", "STARTED", True),
    ("STOPPED", "STARTED", True),
    ("NOT_RESPONDING", "STARTED", True),
    ("STARTED", "STARTED", False),  # a repeated STARTED keeps what the worker holds
    ("STARTED", "STOPPED", True),
    ("STOPPING", "STOPPED", True),
    ("STOPPED", "STOPPED", False),
    ("STARTED", "STOPPING", False),  # draining: the worker finishes what it holds
    ("CREATED", "STOPPING", False),
])
def test_starting_or_stopping_anew_gives_back_what_the_worker_held(current, wanted, releases):
    assert worker_states.releases_sessions(current, wanted) is releases


@pytest.mark.parametrize(("status", "online", "working", "deletable"), [
    ("CREATED", True, False, True),
    ("STARTED", True, True, False),
    ("STOPPING", True, True, False),
    ("STOPPED", False, False, True),
    ("NOT_RESPONDING", False, False, True),
    ("NOT_COMPATIBLE", False, False, False),
])
def test_what_each_stored_status_lets_a_worker_do(status, online, working, deletable):
    assert (status in worker_states.ONLINE) is online
    assert worker_states.is_working(status) is working
    assert worker_states.is_deletable(status) is deletable
    assert (status == worker_states.TAKING_WORK) is (status == "STARTED")


@pytest.mark.parametrize(("stored", "holds_session", "shown"), [
    ("STARTED", True, "RUNNING"),
    ("STARTED", False, "IDLE"),
    ("STOPPING", True, "STOPPING"),
    ("STOPPING", False, "STOPPING"),
    ("CREATED", False, "CREATED"),
    ("NOT_RESPONDING", False, "NOT_RESPONDING"),
])
def test_a_started_worker_is_shown_running_or_idle(stored, holds_session, shown):
    assert worker_states.shown_status(stored, holds_session) == shown
    assert isinstance(worker_states.shown_status(stored, holds_session), WorkerStatus)


@pytest.mark.parametrize(("stored", "holds_session", "desired"), [
    ("STOPPING", False, "STOPPED"),
    ("STOPPING", True, None),
    ("STARTED", False, None),
    ("STARTED", True, None),
])
def test_a_drained_stopping_worker_is_told_to_stop(stored, holds_session, desired):
    assert worker_states.desired_status(stored, holds_session) == desired


def test_the_sets_the_store_queries_with_are_tuples_of_stored_statuses():
    for statuses in (worker_states.ONLINE, worker_states.WORKING, worker_states.DELETABLE):
        assert isinstance(statuses, tuple)
        assert set(statuses) <= set(STORED)
