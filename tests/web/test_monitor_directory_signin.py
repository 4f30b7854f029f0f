"""Signing in to the monitor through an LDAP directory (a real slapd, tests/support/ldap_directory.py):
directory users are provisioned on first sign-in with their groups, refused like local users for a wrong
password or when the directory's filter leaves them out, lose their session within the re-check window
once disabled, and a directory that is down shows a clear error while the local admin still signs in."""

from __future__ import annotations

import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from web.conftest import read_store, set_password
from web.membership_levels import a_viewer_looks_and_a_manager_changes_the_priority
from web.test_monitor_http import Browser

from farmstead.config import Settings
from farmstead.store import identity
from farmstead.testing.live_server import LiveServer, free_port
from farmstead.web.directory import Directory, DirectoryRefused, DirectoryUnavailable
from support.ldap_directory import (
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    USERS,
    LdapDirectory,
    make_ca,
    slapd_missing,
)

ADMIN_PASSWORD = "local-admin-password-1"
RECHECK_SECONDS = 1
REFUSED = "Unknown user name or wrong password."


@pytest.fixture(scope="module")
def server(directory, tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("directory-signin"),
                      extra_env=directory.server_env(FARMSTEAD_LDAP_RECHECK_SECONDS=str(RECHECK_SECONDS))).start()
    set_password(live, "admin", ADMIN_PASSWORD)
    live.client().create_farm(displayName="Directory farm")
    yield live
    live.stop()


def _provisioned(conn, names):
    principals = {name: identity.find_principal(conn, name) for name in names}
    return {name: (p.directory_dn, p.is_admin, identity.directory_groups_of(conn, p.principal_id),
                   identity.password_hash_of(conn, p.principal_id)) for name, p in principals.items()}


def _signed_in(live: LiveServer, name: str) -> Browser:
    browser = Browser(live.endpoint)
    status, headers, body = browser.sign_in(username=name, password=USERS[name][0])
    assert status == 303, body
    return browser


def test_a_directory_user_signs_in_is_provisioned_with_their_groups_and_admin_group_members_are_admins(server):
    alice, bob = _signed_in(server, "alice"), _signed_in(server, "bob")
    # DN, admin, groups, and no local password: the directory is asked at each sign-in.
    assert read_store(server, lambda conn: _provisioned(conn, ("alice", "bob"))) == {
        "alice": (f"uid=alice,{PEOPLE}", True, [f"cn=artists,{GROUPS}", f"cn=farm-admins,{GROUPS}"], None),
        "bob": (f"uid=bob,{PEOPLE}", False, [f"cn=artists,{GROUPS}"], None)}
    # What each may see comes from the API as them: the admin group's member sees the farm, bob (no membership) not.
    assert "Directory farm" in alice.request("/")[2]
    status, _, page = bob.request("/")
    assert status == 200 and "Directory farm" not in page
    # A second sign-in finds the same principal, also with the name typed in another case (as the directory
    # matches it).
    _signed_in(server, "alice")
    assert Browser(server.endpoint).sign_in(username="ALICE", password=USERS["alice"][0])[0] == 303
    names = [p.name for p in read_store(server, identity.list_principals)]
    assert names.count("alice") == 1 and "ALICE" not in names


@pytest.mark.parametrize("name, password", [("bob", "not-bobs-password"), ("nobody", "any-password"),
                                            ("carol", USERS["carol"][0]), ("bob", ""), ("b*", "bob-directory-pw")])
def test_a_wrong_password_an_unknown_name_or_a_disabled_user_gets_the_local_refusal(server, name, password):
    status, _, body = Browser(server.endpoint).sign_in(username=name, password=password)
    local_status, _, local_body = Browser(server.endpoint).sign_in(username="admin", password="not-the-admins")
    assert (status, local_status) == (401, 401)
    assert REFUSED in body and REFUSED in local_body


def test_wrong_directory_passwords_count_towards_the_failed_sign_in_limit(directory, tmp_path):
    with LiveServer(tmp_path, extra_env=directory.server_env()) as live:  # its own limits
        browser = Browser(live.endpoint)
        assert browser.sign_in(username="alice", password=USERS["alice"][0])[0] == 303
        for _ in range(10):
            assert browser.sign_in(username="alice", password="not-alices-password")[0] == 401
        status, _, body = browser.sign_in(username="alice", password=USERS["alice"][0])
        assert status == 429 and "Too many failed sign-ins" in body


def test_a_directory_sign_in_never_takes_over_a_local_user_of_the_same_name(server):
    server.cli("users", "create", "frank")  # a local user, with no password
    status, _, body = Browser(server.endpoint).sign_in(username="frank", password=USERS["frank"][0])
    assert status == 401 and REFUSED in body
    assert read_store(server, lambda conn: identity.find_principal(conn, "frank").directory_dn) is None


def test_users_passwd_refuses_a_directory_user_so_the_directory_stays_the_only_way_in(server):
    assert Browser(server.endpoint).sign_in(username="bob", password=USERS["bob"][0])[0] == 303
    result = server.admin("users", "passwd", "bob", "--stdin", stdin="a-local-password\n")
    assert result.exit_code != 0 and "signs in through the directory" in result.output, result.output
    status, _, _ = Browser(server.endpoint).sign_in(username="bob", password="a-local-password")
    assert status == 401


def test_a_user_disabled_in_the_directory_loses_the_monitor_within_the_recheck_window(server, directory):
    browser = _signed_in(server, "dave")
    assert browser.request("/")[0] == 200
    directory.disable("dave")
    # The re-check window, plus the ~2 s every session check is cached for.
    deadline = time.monotonic() + RECHECK_SECONDS + 2 + 5
    while browser.request("/")[0] == 200:
        assert time.monotonic() < deadline, "still signed in after the re-check window"
        time.sleep(0.25)
    status, headers, _ = browser.request("/")
    assert status == 303 and headers["location"].startswith("/signin")
    assert REFUSED in Browser(server.endpoint).sign_in(username="dave", password=USERS["dave"][0])[2]


def test_a_directory_that_is_down_shows_a_clear_error_and_the_local_admin_still_signs_in(tmp_path):
    unreachable = f"ldap://127.0.0.1:{free_port()}"  # nothing listens there
    with LiveServer(tmp_path, extra_env={"FARMSTEAD_LDAP_URL": unreachable, "FARMSTEAD_LDAP_USER_BASE": PEOPLE,
                                         "FARMSTEAD_LDAP_TIMEOUT_SECONDS": "2"}) as live:
        set_password(live, "admin", ADMIN_PASSWORD)
        assert "Directory users: your studio user name and password." in Browser(live.endpoint).request("/signin")[2]
        status, _, body = Browser(live.endpoint).sign_in(username="alice", password="alice-directory-pw")
        assert status == 503 and "The directory (LDAP) can&#39;t be reached" in body and "local users still can" in body
        assert Browser(live.endpoint).sign_in(username="admin", password=ADMIN_PASSWORD)[0] == 303


def test_a_dn_template_binds_directly_and_a_group_search_reads_groups(directory, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", ldap_url=directory.url,
                        ldap_user_dn_template="uid={username}," + PEOPLE, ldap_bind_dn=SERVICE_DN,
                        ldap_bind_password=SERVICE_PASSWORD,
                        ldap_user_filter="(&(uid={username})(!(employeeType=disabled)))",
                        ldap_group_base=GROUPS, ldap_group_filter="(&(objectClass=groupOfNames)(member={dn}))",
                        ldap_admin_group=f"CN=farm-admins,{GROUPS}")
    ldap = Directory(settings)
    alice = ldap.authenticate("alice", USERS["alice"][0])
    assert alice.groups == [f"cn=artists,{GROUPS}", f"cn=farm-admins,{GROUPS}"] and alice.is_admin
    for name, password in (("alice", "wrong"), ("carol", USERS["carol"][0]), ("nobody", "x"),
                           ("alice,ou=people", USERS["alice"][0])):
        with pytest.raises(DirectoryRefused):
            ldap.authenticate(name, password)
    assert ldap.lookup("carol") is None and ldap.lookup("nobody") is None
    assert ldap.lookup("alice") == alice


@pytest.fixture(scope="module")
def tls_directory():
    if reason := slapd_missing(tls=True):
        pytest.skip(reason)
    started = LdapDirectory(tls=True).start()
    yield started
    started.stop()


def _tls_settings(tmp_path, url: str, ca_file, start_tls: bool = False) -> Settings:
    return Settings(data_dir=tmp_path, database_url="sqlite://", ldap_url=url, ldap_start_tls=start_tls,
                    ldap_ca_file=str(ca_file), ldap_bind_dn=SERVICE_DN, ldap_bind_password=SERVICE_PASSWORD,
                    ldap_user_base=PEOPLE, ldap_timeout_seconds=3)


def test_starttls_and_ldaps_sign_in_with_the_directorys_certificate_checked(tls_directory, tmp_path):
    for url, start_tls in ((tls_directory.url, True), (tls_directory.ldaps_url, False)):
        ldap = Directory(_tls_settings(tmp_path, url, tls_directory.ca_file, start_tls))
        assert ldap.authenticate("bob", USERS["bob"][0]).dn == f"uid=bob,{PEOPLE}", url
        # Signed by a CA we were not told to trust: the directory can't be asked, the password never sent.
        stranger, _ = make_ca(tmp_path / "stranger", "stranger-ca")
        with pytest.raises(DirectoryUnavailable):
            Directory(_tls_settings(tmp_path, url, stranger, start_tls)).authenticate("bob", USERS["bob"][0])


def test_a_hanging_directory_holds_up_no_other_request_and_keeps_signed_in_users_in(tmp_path):
    if reason := slapd_missing():
        pytest.skip(reason)
    ldap = LdapDirectory().start()
    try:
        recheck_seconds = 4
        env = ldap.server_env(FARMSTEAD_LDAP_RECHECK_SECONDS=str(recheck_seconds), FARMSTEAD_LDAP_TIMEOUT_SECONDS="5")
        with LiveServer(tmp_path, extra_env=env) as live:
            browser = _signed_in(live, "bob")
            ldap.stop()
            # Connections to the directory's port now complete (the kernel's backlog) and are never answered.
            with socket.socket() as silent, ThreadPoolExecutor(1) as pool:
                silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                silent.bind(("127.0.0.1", ldap.port))
                silent.listen(16)
                time.sleep(recheck_seconds + 2.2)  # past the re-check window and the session cache
                page = pool.submit(browser.request, "/")  # its re-check waits out the 5 s LDAP timeout
                time.sleep(0.5)
                started = time.monotonic()
                with urllib.request.urlopen(f"{live.endpoint}/health", timeout=10) as health:
                    assert health.status == 200
                health_seconds = time.monotonic() - started
                page_status = page.result()[0]
                time.sleep(2.2)  # past the session cache, within the re-check window
                started = time.monotonic()
                next_page_status = browser.request("/")[0]
                next_page_seconds = time.monotonic() - started
        assert health_seconds < 2.5, f"/health waited {health_seconds:.1f} s behind the directory re-check"
        assert page_status == 200  # kept signed in while the directory can't be asked
        # Not asked again until a window later: the next page doesn't wait out the timeout again.
        assert next_page_status == 200 and next_page_seconds < 2.5, next_page_seconds
    finally:
        ldap.stop()


def test_in_chromium_a_directory_groups_viewer_only_looks_and_as_manager_changes_the_job(server, browser):
    found = [line.split("\t")[1] for line in server.cli("groups", "list").splitlines()
             if line.split("\t")[2].lower() == f"cn=artists,{GROUPS}".lower()]
    group_id = found[0] if found else server.cli(
        "groups", "create", "directory-artists", "--directory-dn", f"cn=artists,{GROUPS}").split()[1]

    def sign_in(page) -> None:
        page.fill("input[name=username]", "bob")  # in the directory's artists group
        page.fill("input[name=password]", USERS["bob"][0])
        page.click("form:has(input[name=username]) button[type=submit]")
    a_viewer_looks_and_a_manager_changes_the_priority(server, browser, group_id, sign_in)
