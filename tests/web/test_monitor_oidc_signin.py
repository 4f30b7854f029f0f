"""Signing in to the monitor through an OpenID provider (the real `oidc-provider` from npm under Node,
tests/support/oidc_provider.py): the authorization code flow with PKCE followed by an HTTP client that
posts the provider's own login form. Users are provisioned with the groups of the claim, admins from the
admin group; a wrong password or a disabled account never gets a session; a replayed or foreign state is
refused; a rotated signing key is fetched again; a provider that is down shows a clear page while the local
admin still signs in. The ID token checks (tampered, expired, wrong audience, wrong nonce) run against
tokens the provider really issued. One test takes the same way in Chromium (its cookie rules are a browser's)."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

import pytest
import requests
from web.conftest import read_store, set_password
from web.membership_levels import a_viewer_looks_and_a_manager_changes_the_priority
from web.test_monitor_http import Browser

from farmstead.config import Settings
from farmstead.store import identity
from farmstead.testing.live_server import LiveServer, free_port
from farmstead.web.oidc import OidcProvider, OidcRefused
from support.oidc_provider import ACCOUNTS, MONITOR_CLIENT, MONITOR_SECRET, provider_missing
from support.oidc_provider import OidcProvider as ProviderProcess

ADMIN_PASSWORD = "local-admin-password-2"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    if reason := provider_missing():
        pytest.skip(reason)
    started = ProviderProcess(tmp_path_factory.mktemp("oidc-provider"), f"http://127.0.0.1:{free_port()}").start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def server(provider, tmp_path_factory):
    port = int(provider.farmstead_endpoint.rsplit(":", 1)[1])
    live = LiveServer(tmp_path_factory.mktemp("oidc-signin"), port=port, extra_env=provider.server_env()).start()
    set_password(live, "admin", ADMIN_PASSWORD)
    yield live
    live.stop()


def _login_form(page: requests.Response) -> str:
    """The provider's login form's action, as an absolute URL."""
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match, page.text
    return urllib.parse.urljoin(page.url, match.group(1))


def sign_in(endpoint: str, name: str, password: str,
            next_path: str = "/") -> tuple[requests.Session, requests.Response]:
    """The whole flow as a browser makes it: the monitor sends us to the provider, we post its login form,
    the provider sends us back to the monitor's callback. Returns the client and the last answer (whose
    `flow_cookie` is the monitor's flow cookie, as the browser held it)."""
    client = requests.Session()
    at_provider = client.get(f"{endpoint}/signin/oidc", params={"next": next_path}, timeout=30)
    assert at_provider.status_code == 200, at_provider.text
    flow_cookie = at_provider.history[0].cookies.get("farmstead_oidc")
    answer = client.post(_login_form(at_provider), data={"login": name, "password": password}, timeout=30)
    answer.flow_cookie = flow_cookie  # type: ignore[attr-defined]
    return client, answer


def _monitor_user(client: requests.Session, endpoint: str) -> str | None:
    page = client.get(f"{endpoint}/", timeout=30, allow_redirects=False)
    if page.status_code != 200:
        return None
    return re.search(r"Signed in as <strong>([^<]+)</strong>", page.text).group(1)


def test_a_provider_user_signs_in_with_code_and_pkce_and_is_provisioned_with_their_groups(server, provider):
    client, answer = sign_in(server.endpoint, "alice", ACCOUNTS["alice"][0], next_path="/audit")
    assert answer.status_code == 200 and answer.url.startswith(f"{server.endpoint}/signin/oidc/callback?")
    assert 'http-equiv="refresh" content="0; url=/audit"' in answer.text
    assert _monitor_user(client, server.endpoint) == "alice"
    assert client.get(f"{server.endpoint}/audit", timeout=30).status_code == 200  # farm-admins: an administrator
    _, answer = sign_in(server.endpoint, "bob", ACCOUNTS["bob"][0])

    def provisioned(conn):
        return {name: (p.directory_dn, p.is_admin, identity.directory_groups_of(conn, p.principal_id))
                for name in ("alice", "bob") if (p := identity.find_principal(conn, name))}
    assert read_store(server, provisioned) == {
        "alice": (f"{provider.issuer}#alice", True, ["artists", "farm-admins"]),
        "bob": (f"{provider.issuer}#bob", False, ["artists"]),
    }


def test_a_group_bound_to_a_name_of_the_groups_claim_gives_its_members_access(server):
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="Claimed farm")["farmId"]
    group_id = server.cli("groups", "create", "provider-artists", "--directory-dn", "Artists").split()[1]
    deadline.associate_member_to_farm(farmId=farm_id, principalId=group_id, principalType="GROUP",
                                      identityStoreId="d-0123456789", membershipLevel="VIEWER")
    bob, _ = sign_in(server.endpoint, "bob", ACCOUNTS["bob"][0])  # groups claim: ["artists"]
    dave, _ = sign_in(server.endpoint, "dave", ACCOUNTS["dave"][0])  # groups claim: []
    assert "Claimed farm" in bob.get(f"{server.endpoint}/", timeout=30).text
    assert _monitor_user(dave, server.endpoint) == "dave"
    assert "Claimed farm" not in dave.get(f"{server.endpoint}/", timeout=30).text


def test_the_authorization_request_carries_an_s256_challenge_a_state_and_a_nonce(server):
    answer = requests.get(f"{server.endpoint}/signin/oidc", timeout=30, allow_redirects=False)
    assert answer.status_code == 303
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["location"]).query))
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["client_id"] == MONITOR_CLIENT and query["response_type"] == "code"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "samesite=lax" in answer.headers["set-cookie"].lower()


def test_a_wrong_password_at_the_provider_or_a_disabled_account_gets_no_session(server):
    for name, password in (("alice", "not-her-password"), ("carol", ACCOUNTS["carol"][0])):
        client, answer = sign_in(server.endpoint, name, password)
        assert "Invalid login or password." in answer.text  # the provider's page: it never sent us back
        assert _monitor_user(client, server.endpoint) is None
    assert read_store(server, lambda conn: identity.find_principal(conn, "carol")) is None


def test_a_replayed_callback_or_a_state_of_another_sign_in_is_refused(server):
    client, answer = sign_in(server.endpoint, "bob", ACCOUNTS["bob"][0])
    assert _monitor_user(client, server.endpoint) == "bob"
    callback = answer.url
    flow_cookie = answer.flow_cookie
    # The same answer again, with the flow cookie an attacker copied: the state was taken.
    replay = requests.get(callback, cookies={"farmstead_oidc": flow_cookie}, timeout=30)
    assert replay.status_code == 401 and "already used" in replay.text
    assert "farmstead_session" not in replay.cookies
    # A callback this browser never started (login CSRF): no flow cookie, or another sign-in's.
    assert "another browser" in requests.get(callback, timeout=30).text
    other = requests.Session()
    other.get(f"{server.endpoint}/signin/oidc", timeout=30)
    foreign = other.get(callback, timeout=30)
    assert foreign.status_code == 401 and "does not belong" in foreign.text


def test_a_rotated_signing_key_is_fetched_again(server, provider):
    client, _ = sign_in(server.endpoint, "alice", ACCOUNTS["alice"][0])
    assert _monitor_user(client, server.endpoint) == "alice"
    provider.rotate_keys()
    client, answer = sign_in(server.endpoint, "bob", ACCOUNTS["bob"][0])
    assert _monitor_user(client, server.endpoint) == "bob", answer.text
    assert "fetched" in server.log_text() and "signing keys again" in server.log_text()


def test_a_provider_that_is_down_shows_a_clear_page_and_the_local_admin_still_signs_in(server, provider):
    provider.stop()
    try:
        answer = requests.get(f"{server.endpoint}/signin/oidc", timeout=30)
        assert answer.status_code == 503
        assert "identity provider (OpenID Connect) can&#39;t be reached" in answer.text
        browser = Browser(server.endpoint)
        status, _, body = browser.sign_in(username="admin", password=ADMIN_PASSWORD)
        assert status == 303, body
    finally:
        provider.start()


# --- the ID token checks, on tokens the provider issued -------------------------------------------------

def _issued_id_token(provider: ProviderProcess, oidc: OidcProvider, name: str) -> tuple[str, str]:
    """(an ID token the provider issued to the monitor's client for `name`, its nonce): the code flow
    stopped at the redirect back, and the code exchanged here."""
    redirect_uri = f"{provider.farmstead_endpoint}/signin/oidc/callback"
    flow = oidc.begin(redirect_uri)
    client = requests.Session()
    login = client.get(flow.url, timeout=30)
    answer = client.post(_login_form(login), data={"login": name, "password": ACCOUNTS[name][0]},
                         allow_redirects=False, timeout=30)
    while not answer.headers["location"].startswith(redirect_uri):
        answer = client.get(urllib.parse.urljoin(answer.url, answer.headers["location"]), allow_redirects=False,
                            timeout=30)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["location"]).query))["code"]
    token = requests.post(f"{provider.issuer}/token", auth=(MONITOR_CLIENT, MONITOR_SECRET), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "code_verifier": flow.code_verifier}).json()
    return token["id_token"], flow.nonce


def _with_claims(id_token: str, **changes) -> str:
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.fixture(scope="module")
def oidc(provider, tmp_path_factory):
    settings = Settings.from_env(tmp_path_factory.mktemp("oidc-settings"), "sqlite://", oidc_issuer=provider.issuer,
                                 oidc_client_id=MONITOR_CLIENT, oidc_client_secret=MONITOR_SECRET,
                                 oidc_admin_group="farm-admins")
    return OidcProvider(settings)


def test_a_genuine_id_token_names_the_user_and_their_groups(provider, oidc):
    id_token, nonce = _issued_id_token(provider, oidc, "alice")
    user = oidc.verify_id_token(id_token, audience=MONITOR_CLIENT, nonce=nonce)
    assert (user.name, user.subject, user.groups, user.is_admin) == (
        "alice", f"{provider.issuer}#alice", ["artists", "farm-admins"], True)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda token, nonce: dict(token=_with_claims(token, preferred_username="admin")), "signature"),
    (lambda token, nonce: dict(token=token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")), "signature"),
    (lambda token, nonce: dict(audience="another-client"), "aud"),
    (lambda token, nonce: dict(nonce="a-nonce-of-another-sign-in"), "nonce"),
    (lambda token, nonce: dict(now=json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))["exp"] + 120),
     "expired"),
], ids=["tampered-claims", "tampered-signature", "wrong-audience", "wrong-nonce", "expired"])
def test_a_tampered_expired_foreign_or_replayed_id_token_is_refused(provider, oidc, change, reason):
    id_token, nonce = _issued_id_token(provider, oidc, "bob")
    arguments = {"token": id_token, "audience": MONITOR_CLIENT, "nonce": nonce, **change(id_token, nonce)}
    with pytest.raises(OidcRefused, match=reason):
        oidc.verify_id_token(arguments.pop("token"), **arguments)


def test_keys_rotated_just_after_a_fetch_verify_the_first_token_they_signed(provider, oidc):
    """The refetch limit (one a second) counts only refetches for an unknown key: a fetch made for a token
    of the old keys just before the rotation must not refuse the first token of the new ones."""
    first, nonce = _issued_id_token(provider, oidc, "alice")
    oidc.verify_id_token(first, audience=MONITOR_CLIENT, nonce=nonce)  # the keys fetched (and used)
    provider.rotate_keys()
    second, nonce = _issued_id_token(provider, oidc, "bob")  # well within a second of that fetch
    assert oidc.verify_id_token(second, audience=MONITOR_CLIENT, nonce=nonce).name == "bob"


def test_in_chromium_the_sign_in_link_leads_through_the_provider_back_to_the_page_asked_for(server, browser):
    """A real browser keeps the cookies' SameSite rules, the provider being another site (localhost): the flow
    cookie (Lax) comes back with the provider's redirect, and the session cookie (Strict) with the navigation
    the callback page makes itself (after a plain redirect from the callback it would not: tried, it is not)."""
    page = browser.new_page()
    try:
        page.goto(f"{server.endpoint}/audit")  # signed out: to the sign-in page, keeping where we were going
        page.click("text=Sign in with your identity provider")
        page.fill("input[name=login]", "alice")
        page.fill("input[name=password]", ACCOUNTS["alice"][0])
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{server.endpoint}/audit")
        assert "Signed in as alice" in page.inner_text("header")
    finally:
        page.close()


def _provider_group(server: LiveServer, claim: str) -> str:
    """The group bound to a name of the groups claim (made once per server: a claim binds one group)."""
    for line in server.cli("groups", "list").splitlines():
        name, group_id, bound, _members = line.split("\t")
        if bound.lower() == claim.lower():
            return group_id
    return server.cli("groups", "create", f"provider-{claim}", "--directory-dn", claim).split()[1]


def test_in_chromium_a_provider_groups_viewer_only_looks_and_as_manager_changes_the_job(server, browser):
    def sign_in(page) -> None:
        page.click("text=Sign in with your identity provider")
        page.fill("input[name=login]", "bob")
        page.fill("input[name=password]", ACCOUNTS["bob"][0])
        page.click("button:has-text('Sign in')")
    # bob's groups claim: ["artists"]
    a_viewer_looks_and_a_manager_changes_the_priority(server, browser, _provider_group(server, "Artists"), sign_in)
