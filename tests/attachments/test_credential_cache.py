"""The reuse window of the store's queue keys: handed out again only while more than 20 min is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.attachments.credential_cache import REUSE_WHILE_REMAINING, CachedKeys, CredentialCache, cache_key
from farmstead.attachments.storage_credentials import StoreCredentials
from farmstead.config import Settings

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SCOPE = {"kind": "queue-user", "queueId": "queue-1", "jobAttachments": {"s3BucketName": "b", "rootPrefix": "R"}}


def keys(expires_at: datetime) -> CachedKeys:
    return CachedKeys(StoreCredentials("ASIA1", "secret", "token", expires_at, "123456789012"), SCOPE)


def test_keys_are_reused_until_only_the_refresh_margin_is_left():
    cache = CredentialCache()
    cache.put("k", keys(NOW + timedelta(hours=1)), NOW)
    assert cache.get("k", NOW + timedelta(minutes=39)).credentials.access_key_id == "ASIA1"
    assert cache.get("k", NOW + timedelta(hours=1) - REUSE_WHILE_REMAINING) is None


def test_the_reuse_margin_stays_above_the_agents_fifteen_minute_refresh():
    assert REUSE_WHILE_REMAINING > timedelta(minutes=15)


def test_the_cache_key_tells_callers_scopes_and_stores_apart(tmp_path):
    settings = Settings.from_env(tmp_path, s3_endpoint_url="http://store-a")
    other_store = Settings.from_env(tmp_path, s3_endpoint_url="http://store-b")
    assert cache_key(settings, "p1", SCOPE) == cache_key(settings, "p1", dict(reversed(list(SCOPE.items()))))
    assert cache_key(settings, "p1", SCOPE) != cache_key(settings, "p2", SCOPE)
    assert cache_key(settings, "p1", SCOPE) != cache_key(settings, "p1", {**SCOPE, "kind": "queue-read"})
    assert cache_key(settings, "p1", SCOPE) != cache_key(other_store, "p1", SCOPE)


def test_a_full_cache_drops_spent_entries_first(monkeypatch):
    monkeypatch.setattr("farmstead.attachments.credential_cache.MAX_ENTRIES", 2)
    cache = CredentialCache()
    cache.put("spent", keys(NOW + timedelta(minutes=5)), NOW)
    cache.put("a", keys(NOW + timedelta(hours=1)), NOW)
    cache.put("b", keys(NOW + timedelta(hours=1)), NOW)
    assert cache.get("a", NOW) is not None and cache.get("b", NOW) is not None
    assert "spent" not in cache._entries
