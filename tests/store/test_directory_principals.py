"""Principals provisioned by a directory sign-in (store/identity.py): one per name even when a user's
first sign-ins race on several server threads or replicas, and never over a local principal."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from farmstead.ids import new_principal_id
from farmstead.store import identity

DN = "uid=erin,ou=people,dc=farmstead,dc=test"
GROUPS = ["cn=artists,ou=groups,dc=farmstead,dc=test"]


def test_racing_first_sign_ins_of_one_directory_user_provision_one_principal(store, monkeypatch):
    start = threading.Barrier(8)
    look_up = identity.find_principal

    def slow_look_up(conn, name):
        found = look_up(conn, name)
        time.sleep(0.2)  # every racer has looked and found no one before the first inserts
        return found
    monkeypatch.setattr(identity, "find_principal", slow_look_up)

    def provision(_):
        start.wait()
        with store.write() as conn:
            return identity.provision_directory_user(conn, new_principal_id(), "erin", DN, GROUPS, False,
                                                     datetime.now(UTC))
    with ThreadPoolExecutor(8) as pool:
        provisioned = list(pool.map(provision, range(8)))
    monkeypatch.undo()
    with store.read() as conn:
        erins = [p for p in identity.list_principals(conn) if p.name == "erin"]
        groups = identity.directory_groups_of(conn, erins[0].principal_id)
    assert len(erins) == 1 and groups == GROUPS
    assert {p.principal_id for p in provisioned} == {erins[0].principal_id}


def test_a_local_principal_is_not_provisioned_over(store):
    now = datetime.now(UTC)
    with store.write() as conn:
        local = identity.create_principal(conn, new_principal_id(), "erin", True, now)
        assert identity.provision_directory_user(conn, new_principal_id(), "erin", DN, GROUPS, False, now) is None
    with store.read() as conn:
        assert identity.find_principal(conn, "erin") == local
        assert identity.directory_groups_of(conn, local.principal_id) == []
