"""`farmstead login`: temporary keys of the signed-in user, for a directory user (a real slapd) with their
password and for a provider user (the real npm oidc-provider) through the device flow; the keys work with
boto3 and the official deadline CLI, carry the user's own access, expire when documented, are refused
for a wrong password, and stop working within the re-check window once the directory disables the user (but
not while the directory can't be reached)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime

import orjson
import pytest
import requests
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer, free_port
from support.ldap_directory import USERS, LdapDirectory, slapd_missing
from support.official_clients import deadline_cli
from support.oidc_provider import ACCOUNTS, OidcProvider, provider_missing

RECHECK_SECONDS = 1
LIFETIME_SECONDS = 900


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    if reason := provider_missing():
        pytest.skip(reason)
    started = OidcProvider(tmp_path_factory.mktemp("login-provider"), f"http://127.0.0.1:{free_port()}").start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def server(directory, provider, tmp_path_factory):
    port = int(provider.farmstead_endpoint.rsplit(":", 1)[1])
    env = {**directory.server_env(FARMSTEAD_LDAP_RECHECK_SECONDS=str(RECHECK_SECONDS)), **provider.server_env(),
           "FARMSTEAD_LOGIN_CREDENTIAL_SECONDS": str(LIFETIME_SECONDS)}
    live = LiveServer(tmp_path_factory.mktemp("login"), port=port, extra_env=env).start()
    farm = live.client().create_farm(displayName="Login farm")["farmId"]
    live.client().create_farm(displayName="Not theirs")
    yield live, farm
    live.stop()


def _login(endpoint: str, *args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "farmstead", "login", "--endpoint-url", endpoint, *args],
                          input=stdin, capture_output=True, text=True, timeout=120, env=env)


def _client(keys: dict, live: LiveServer):
    return live.client(key_id=keys["AccessKeyId"], secret=keys["SecretAccessKey"], session_token=keys["SessionToken"])


def _grant(live: LiveServer, farm: str, name: str) -> None:
    live.admin("users", "add", name, "--farm", farm, "--level", "VIEWER")


def test_a_directory_user_logs_in_with_their_password_and_the_keys_work_with_boto3(server):
    live, farm = server
    done = _login(live.endpoint, "--username", "bob", "--password-stdin", "--print", stdin=USERS["bob"][0] + "\n")
    assert done.returncode == 0, done.stderr
    keys = orjson.loads(done.stdout)
    assert keys["Version"] == 1 and keys["AccessKeyId"].startswith("ASIA") and keys["SessionToken"]
    expires = datetime.fromisoformat(keys["Expiration"].replace("Z", "+00:00"))
    assert abs((expires - datetime.now(UTC)).total_seconds() - LIFETIME_SECONDS) < 60
    client = _client(keys, live)
    assert client.list_farms()["farms"] == []  # their own access: none yet
    _grant(live, farm, "bob")
    assert [f["farmId"] for f in client.list_farms()["farms"]] == [farm]
    with pytest.raises(ClientError) as refused:  # no more than their own: the user's, not an admin's
        client.create_farm(displayName="bob's own")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_wrong_password_gets_no_keys(server):
    live, _ = server
    done = _login(live.endpoint, "--username", "bob", "--password-stdin", "--print", stdin="not-bobs\n")
    assert done.returncode != 0 and "Unknown user name or wrong password." in done.stderr and not done.stdout


def test_the_keys_expire_after_the_configured_lifetime(directory, tmp_path):
    env = {**directory.server_env(), "FARMSTEAD_LOGIN_CREDENTIAL_SECONDS": "10"}
    live = LiveServer(tmp_path, extra_env=env).start()
    try:
        done = _login(live.endpoint, "--username", "bob", "--password-stdin", "--print", stdin=USERS["bob"][0] + "\n")
        assert done.returncode == 0, done.stderr
        keys = orjson.loads(done.stdout)
        client = _client(keys, live)
        assert client.list_farms()["farms"] == []
        expires = datetime.fromisoformat(keys["Expiration"].replace("Z", "+00:00"))
        time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 1)
        with pytest.raises(ClientError) as expired:
            client.list_farms()
        assert expired.value.response["Error"]["Code"] == "ExpiredTokenException"
    finally:
        live.stop()


def test_the_profile_it_writes_works_with_the_official_deadline_cli(server, tmp_path):
    live, farm = server
    official = deadline_cli()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_"))}
    env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
                "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
                "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true", "COLUMNS": "250"})
    done = _login(live.endpoint, "--username", "alice", "--password-stdin", "--profile", "studio",
                  stdin=USERS["alice"][0] + "\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "Logged in as alice" in done.stderr
    assert "aws_session_token" in (home / ".aws" / "credentials").read_text()
    _grant(live, farm, "alice")
    subprocess.run([str(official), "config", "set", "defaults.aws_profile_name", "studio"], env=env, check=True,
                   timeout=120)
    listed = subprocess.run([str(official), "farm", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert farm in listed.stdout


def test_a_user_disabled_in_the_directory_loses_their_keys_within_the_recheck_window(server, directory):
    live, farm = server
    done = _login(live.endpoint, "--username", "dave", "--password-stdin", "--print", stdin=USERS["dave"][0] + "\n")
    assert done.returncode == 0, done.stderr
    client = _client(orjson.loads(done.stdout), live)
    _grant(live, farm, "dave")
    assert [f["farmId"] for f in client.list_farms()["farms"]] == [farm]
    directory.disable("dave")
    disabled_at = time.monotonic()
    while True:
        try:
            client.list_farms()
        except ClientError as err:
            assert err.response["Error"]["Code"] == "UnrecognizedClientException"
            break
        assert time.monotonic() - disabled_at < RECHECK_SECONDS + 10, "the key still works"
        time.sleep(0.2)
    assert "no longer lets 'dave' in" in live.log_text()


def test_while_the_directory_cant_be_reached_its_users_keep_their_keys(tmp_path):
    if reason := slapd_missing():
        pytest.skip(reason)
    ldap = LdapDirectory().start()
    try:
        env = ldap.server_env(FARMSTEAD_LDAP_RECHECK_SECONDS=str(RECHECK_SECONDS), FARMSTEAD_LDAP_TIMEOUT_SECONDS="1")
        with LiveServer(tmp_path, extra_env=env) as live:
            done = _login(live.endpoint, "--username", "bob", "--password-stdin", "--print",
                          stdin=USERS["bob"][0] + "\n")
            assert done.returncode == 0, done.stderr
            client = _client(orjson.loads(done.stdout), live)
            ldap.stop()
            deadline = time.monotonic() + 20
            while "holding login keys (kept)" not in live.log_text():
                assert time.monotonic() < deadline, live.log_text()
                time.sleep(0.2)
            assert client.list_farms()["farms"] == []  # still signed: a directory outage is not a disabling
    finally:
        ldap.stop()


def _confirm_at_provider(address: str, name: str, password: str) -> None:
    """What the user does in their browser: open the address, go on through the provider's pages (its
    user-code and confirmation forms, which a browser's script or the user submits), sign in on its login
    form, until a page with no form is left: the provider's "you may close this window"."""
    browser = requests.Session()
    page = browser.get(address, timeout=30)
    for _ in range(6):
        form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
        if form is None:
            assert "Sign-in Success" in page.text or "success" in page.text.lower(), page.text
            return
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
        if 'name="login"' in form.group(2):
            fields.update(login=name, password=password)
        elif 'name="confirm"' in form.group(2) or "deviceConfirmForm" in page.text:
            fields.setdefault("confirm", "yes")
        page = browser.post(urllib.parse.urljoin(page.url, form.group(1)), data=fields, timeout=30)
    raise AssertionError(f"the provider's pages did not end: {page.text}")


def test_a_provider_user_logs_in_through_the_device_flow(server):
    live, farm = server
    process = subprocess.Popen([sys.executable, "-m", "farmstead", "login", "--endpoint-url", live.endpoint, "--sso",
                                "--no-browser", "--print"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        prompt = process.stderr.readline()
        address = re.search(r"Open (\S+) and confirm the code", prompt)
        assert address, prompt
        threading.Thread(target=_confirm_at_provider, args=(address.group(1), "alice", ACCOUNTS["alice"][0]),
                         daemon=True).start()
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    client = _client(orjson.loads(out), live)
    _grant(live, farm, "alice")
    assert farm in [f["farmId"] for f in client.list_farms()["farms"]]
