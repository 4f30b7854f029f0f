"""Who may scrape: loopback by default; elsewhere only an allowed address or the bearer key."""

from __future__ import annotations

import pytest

from farmstead.metrics.access import MetricsAccess
from farmstead.testing.live_server import LiveServer
from support.scrapes import scrape, status_of

KEY = "scrape-key-0123456789"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("keyed"),
                      extra_env={"FARMSTEAD_METRICS_ALLOW": "", "FARMSTEAD_METRICS_TOKEN": KEY}).start()
    yield live
    live.stop()


def test_loopback_scrapes_without_a_key_by_default(server):
    assert "farmstead_tasks" in scrape(server.endpoint).families


def test_only_get_is_answered(server):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/metrics", data=b"", method="POST"),
                               timeout=10)
    assert refused.value.code == 405


def test_with_no_address_allowed_only_the_bearer_key_scrapes(keyed_server):
    assert status_of(keyed_server.endpoint) == 403
    assert status_of(keyed_server.endpoint, {"Authorization": "Bearer wrong-key"}) == 403
    assert status_of(keyed_server.endpoint, {"Authorization": KEY}) == 403  # no scheme
    assert "farmstead_workers" in scrape(keyed_server.endpoint, {"Authorization": f"Bearer {KEY}"}).families


@pytest.mark.parametrize(("allowed", "client", "admitted"), [
    (["127.0.0.1/32", "::1/128"], "127.0.0.1", True),
    (["127.0.0.1/32", "::1/128"], "::1", True),
    (["127.0.0.1/32", "::1/128"], "10.1.2.3", False),
    (["10.0.0.0/8"], "10.1.2.3", True),
    (["10.0.0.0/8"], "::ffff:10.1.2.3", True),  # an IPv4 client on a dual-stack socket
    (["10.0.0.0/8"], "11.1.2.3", False),
    (["10.0.0.0/8"], "unix-socket", False),
    ([], "127.0.0.1", False),
])
def test_address_list_admits_addresses_inside_its_blocks(allowed, client, admitted):
    assert MetricsAccess(allowed, None).admits(client, None) is admitted


def test_a_key_admits_from_any_address_and_no_key_configured_admits_no_bearer():
    assert MetricsAccess([], KEY).admits("203.0.113.9", f"Bearer {KEY}".encode())
    assert not MetricsAccess([], None).admits("203.0.113.9", b"Bearer ")
    assert not MetricsAccess([], KEY).admits("203.0.113.9", b"Bearer " + KEY.encode() + b"x")
