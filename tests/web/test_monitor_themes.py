"""Light and dark themes kept per browser (a cookie, set by a plain link so it works without the script),
and every signed-in page telling its own server time (Server-Timing, read by bench/web_pages.py)."""

from __future__ import annotations

import re

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser


@pytest.fixture(scope="module")
def signed_in(server) -> Browser:
    set_password(server, "admin", "themes-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="themes-admin-pw")[0] == 303
    return browser


def test_a_page_follows_the_system_theme_until_one_is_picked_and_then_keeps_it(signed_in):
    body = signed_in.request("/")[2]
    assert "data-theme" not in body.split(">", 2)[1]  # the <html> tag: the system's preference decides
    status, headers, _ = signed_in.request("/theme?set=dark&next=/farms")
    assert status == 303 and headers["location"] == "/farms"
    html_tag = re.search(r"<html[^>]*>", signed_in.request("/")[2]).group(0)
    assert 'data-theme="dark"' in html_tag
    assert signed_in.request("/theme?set=auto")[0] == 303
    assert "data-theme" not in re.search(r"<html[^>]*>", signed_in.request("/")[2]).group(0)


def test_the_theme_link_never_redirects_off_the_site(signed_in):
    status, headers, _ = signed_in.request("/theme?set=light&next=//evil.example/x")
    assert status == 303 and headers["location"] == "/"


def test_the_sign_in_page_takes_the_theme_too(server):
    browser = Browser(server.endpoint)
    browser.request("/theme?set=light")
    assert 'data-theme="light"' in re.search(r"<html[^>]*>", browser.request("/signin")[2]).group(0)


def test_every_signed_in_page_tells_its_server_time(signed_in):
    headers = signed_in.request("/")[1]
    timing = headers["server-timing"]
    assert re.fullmatch(r"app;dur=\d+\.\d", timing), timing
