"""Statements sent later (store/send_later.py): on PostgreSQL kept until the transaction's next
statement or its COMMIT, on SQLite run at once; on both, exactly as if each had been sent in turn."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from farmstead.store import identity
from farmstead.store.schema import access_keys

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _principal(store) -> None:
    with store.write() as conn:
        identity.create_principal(conn, "principal-1", "agent", False, NOW)


def _key_ids(store) -> list[str]:
    with store.read() as conn:
        return sorted(conn.execute(sa.select(access_keys.c.access_key_id)).scalars())


def test_a_statement_sent_later_is_seen_by_the_next_one_and_committed(store):
    _principal(store)
    with store.write() as conn:
        identity.add_key(conn, "AKIA1", "secret", "principal-1", NOW)  # sent later
        seen = conn.execute(sa.select(access_keys.c.access_key_id)).scalars().all()
    assert seen == ["AKIA1"]
    assert _key_ids(store) == ["AKIA1"]


def test_a_statement_sent_last_goes_with_the_commit(store):
    _principal(store)
    with store.write() as conn:
        identity.add_key(conn, "AKIA1", "secret", "principal-1", NOW)
        identity.add_key(conn, "AKIA2", "secret", "principal-1", NOW)
    assert _key_ids(store) == ["AKIA1", "AKIA2"]


def test_a_statement_sent_later_that_fails_fails_its_transaction_and_keeps_nothing_of_it(store):
    _principal(store)
    with store.write() as conn:
        identity.add_key(conn, "AKIA1", "secret", "principal-1", NOW)
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        identity.add_key(conn, "AKIA2", "secret", "principal-1", NOW)
        identity.add_key(conn, "AKIA1", "again", "principal-1", NOW)  # the key is taken: raised by the commit
    assert _key_ids(store) == ["AKIA1"]
    with store.write() as conn:  # the pooled connection goes on working
        identity.add_key(conn, "AKIA3", "secret", "principal-1", NOW)
    assert _key_ids(store) == ["AKIA1", "AKIA3"]


def test_a_statement_sent_later_in_a_rolled_back_transaction_is_never_sent(store):
    _principal(store)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), store.write() as conn:
        identity.add_key(conn, "AKIA1", "secret", "principal-1", NOW)
        raise Refused
    with store.write() as conn:  # the same pooled connection: nothing of the last transaction comes along
        identity.add_key(conn, "AKIA2", "secret", "principal-1", NOW)
    assert _key_ids(store) == ["AKIA2"]
