"""How long the server trusts an access key it looked up (api/key_cache.py), on fake clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.api import key_cache
from farmstead.api.context import Caller
from farmstead.api.key_cache import KeyCache, KnownKey
from farmstead.protocol.signing import Credential

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clocks:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return NOW + timedelta(seconds=self.seconds - 1000.0)


#: What an Assume* operation's temporary key carries (domain/credential_scopes.py); `farmstead login`'s has none.
WORKER_SCOPE = {"version": 1, "kind": "fleet-worker", "farmId": "farm-1", "fleetId": "fleet-1"}


def known(key_id: str, *, temporary_for: timedelta | None = None, scope: dict | None = WORKER_SCOPE) -> KnownKey:
    token, expires = (None, None) if temporary_for is None else ("token", NOW + temporary_for)
    return KnownKey(Credential(key_id, "secret", "p-1", token, expires),
                    Caller("p-1", "someone", False, "arn:aws:iam::000000000000:user/someone",
                           scope if temporary_for is not None else None))


def counting_cache(keys: dict[str, KnownKey]):
    clocks, lookups = Clocks(), []

    def lookup(key_id: str):
        lookups.append(key_id)
        return keys.get(key_id)

    return KeyCache(lookup, monotonic=clocks.monotonic, wall_clock=clocks.wall), clocks, lookups


def test_a_long_term_key_is_looked_up_again_after_two_seconds():
    cache, clocks, lookups = counting_cache({"AKIA1": known("AKIA1")})
    assert cache.get("AKIA1").credential.access_key_id == "AKIA1"
    clocks.seconds += 1.9
    cache.get("AKIA1")
    assert lookups == ["AKIA1"]
    clocks.seconds += 0.2
    cache.get("AKIA1")
    assert lookups == ["AKIA1", "AKIA1"]


def test_a_login_key_temporary_but_unscoped_is_looked_up_again_after_two_seconds_like_a_long_term_one():
    # `farmstead login`'s keys: deleted when the directory disables their user, which must count within seconds.
    cache, clocks, lookups = counting_cache({"ASIA9": known("ASIA9", temporary_for=timedelta(hours=1), scope=None)})
    cache.get("ASIA9")
    clocks.seconds += 1.9
    cache.get("ASIA9")
    assert lookups == ["ASIA9"]
    clocks.seconds += 0.2
    cache.get("ASIA9")
    assert lookups == ["ASIA9", "ASIA9"]


def test_a_temporary_key_is_looked_up_once_a_minute_so_three_of_four_15_second_heartbeats_skip_it():
    cache, clocks, lookups = counting_cache({"ASIA1": known("ASIA1", temporary_for=timedelta(hours=1))})
    for _ in range(40):  # ten minutes of heartbeats
        assert cache.get("ASIA1") is not None
        clocks.seconds += 15
    assert len(lookups) == 10


def test_a_temporary_key_is_not_trusted_past_its_expiry():
    cache, clocks, lookups = counting_cache({"ASIA1": known("ASIA1", temporary_for=timedelta(seconds=20))})
    cache.get("ASIA1")
    clocks.seconds += 21
    cache.get("ASIA1")
    assert lookups == ["ASIA1", "ASIA1"]


def test_an_unknown_key_is_looked_up_again_after_two_seconds_so_one_minted_elsewhere_is_found():
    keys: dict[str, KnownKey] = {}
    cache, clocks, lookups = counting_cache(keys)
    assert cache.get("ASIA2") is None
    keys["ASIA2"] = known("ASIA2", temporary_for=timedelta(hours=1))
    assert cache.get("ASIA2") is None
    clocks.seconds += 2.1
    assert cache.get("ASIA2") is not None
    assert lookups == ["ASIA2", "ASIA2"]


def test_past_its_bound_the_cache_drops_lapsed_entries_first(monkeypatch):
    monkeypatch.setattr(key_cache, "MAX_ENTRIES", 3)
    keys = {"AKIA1": known("AKIA1"), "ASIA1": known("ASIA1", temporary_for=timedelta(hours=1))}
    cache, clocks, lookups = counting_cache(keys)
    cache.get("AKIA1"), cache.get("ASIA1"), cache.get("nobody")
    clocks.seconds += 5  # the long-term and unknown entries lapse, the temporary one does not
    cache.get("AKIA2")
    cache.get("ASIA1")
    assert lookups == ["AKIA1", "ASIA1", "nobody", "AKIA2"]


def test_when_every_entry_is_still_trusted_the_bound_empties_the_cache(monkeypatch):
    monkeypatch.setattr(key_cache, "MAX_ENTRIES", 2)
    keys = {f"ASIA{i}": known(f"ASIA{i}", temporary_for=timedelta(hours=1)) for i in range(3)}
    cache, _, lookups = counting_cache(keys)
    for key_id in keys:
        cache.get(key_id)
    cache.get("ASIA0")
    assert lookups == ["ASIA0", "ASIA1", "ASIA2", "ASIA0"]
