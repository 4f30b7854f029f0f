"""Asking an LDAP directory (OpenLDAP, Active Directory) who a user is: their password, whether they may
sign in, and their groups; through ldap3, one short-lived connection per question.

Owns: binding by DN template or search-then-bind, StartTLS/LDAPS with the server certificate checked,
escaping the user name into DNs and filters, groups from memberOf or a group search, and telling a
refusal (wrong password, unknown or filtered-out user) from a directory that can't be asked.
Must not: touch the store; sessions and provisioning are signin.py's.
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from farmstead.config import Settings

log = logging.getLogger("farmstead.web.directory")
_INVALID_CREDENTIALS = 49
_MAX_NAME = 256


@dataclass(frozen=True)
class DirectoryUser:
    name: str
    dn: str
    groups: list[str]  # group DNs
    is_admin: bool


class DirectoryRefused(Exception):
    """Wrong password, or no such user the filter lets in (never said which)."""


class DirectoryUnavailable(Exception):
    """The directory could not be asked: down, unreachable, TLS failure, or the service account refused."""


class Directory:
    def __init__(self, settings: Settings) -> None:
        assert settings.ldap_url
        self._settings = settings
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ldap_ca_file)
        self._server = Server(settings.ldap_url, connect_timeout=settings.ldap_timeout_seconds, get_info=NONE, tls=tls)
        if not settings.ldap_bind_dn:
            log.warning("no LDAP service account (--ldap-bind-dn): users are searched and sessions re-checked "
                        "anonymously; where the directory hides entries from anonymous readers, directory "
                        "users can't sign in or are signed out at the first re-check (docs/access.md)")

    @classmethod
    def from_settings(cls, settings: Settings) -> Directory | None:
        return cls(settings) if settings.ldap_url else None

    @property
    def recheck_seconds(self) -> float:
        return self._settings.ldap_recheck_seconds

    def authenticate(self, name: str, password: str) -> DirectoryUser:
        """The user `name` if `password` is theirs and the filter lets them in; else DirectoryRefused."""
        # An empty password would make a "successful" unauthenticated bind (RFC 4513 5.1.2).
        if not password or not name or len(name) > _MAX_NAME or not name.isprintable():
            raise DirectoryRefused
        settings = self._settings
        if settings.ldap_user_dn_template:
            dn = settings.ldap_user_dn_template.format(username=escape_rdn(name))
            with _closing(self._bound(dn, password, refusable=True)) as conn:
                found = self._entry(conn, name, dn)
                if found is None:
                    raise DirectoryRefused
                return self._user(conn, name, *found)
        with _closing(self._service()) as conn:
            found = self._entry(conn, name, None)
            if found is None:
                raise DirectoryRefused
            _unbind(self._bound(found[0], password, refusable=True))
            return self._user(conn, name, *found)

    def lookup(self, name: str) -> DirectoryUser | None:
        """The user `name` as the directory has them now (None: removed or filtered out, e.g. disabled),
        asked as the service account (anonymously without one)."""
        dn = (self._settings.ldap_user_dn_template.format(username=escape_rdn(name))
              if self._settings.ldap_user_dn_template else None)
        with _closing(self._service()) as conn:
            found = self._entry(conn, name, dn)
            return self._user(conn, name, *found) if found else None

    # --- the questions --------------------------------------------------------------------------------

    def _entry(self, conn: Connection, name: str, dn: str | None) -> tuple[str, list[str]] | None:
        """(DN, memberOf) of the one entry the user filter matches: at `dn`, or under the user base."""
        settings = self._settings
        search_filter = settings.ldap_user_filter.format(username=escape_filter_chars(name))
        base, scope = (dn, BASE) if dn else (settings.ldap_user_base or "", SUBTREE)
        ok = conn.search(base, search_filter, scope, attributes=["memberOf"], size_limit=2)
        if not ok and conn.result["result"] not in (0, 32):  # 32: noSuchObject, the user is gone
            raise DirectoryUnavailable(f"user search failed: {conn.result['description']}")
        entries = conn.entries
        if len(entries) != 1:
            return None
        entry = entries[0]
        member_of = entry.memberOf.values if "memberOf" in entry else []
        return entry.entry_dn, [str(value) for value in member_of]

    def _user(self, conn: Connection, name: str, dn: str, member_of: list[str]) -> DirectoryUser:
        settings = self._settings
        groups = member_of
        if settings.ldap_group_base:
            group_filter = settings.ldap_group_filter.format(dn=escape_filter_chars(dn),
                                                             username=escape_filter_chars(name))
            if not conn.search(settings.ldap_group_base, group_filter, SUBTREE, attributes=[]) and \
                    conn.result["result"] != 0:
                raise DirectoryUnavailable(f"group search failed: {conn.result['description']}")
            groups = [entry.entry_dn for entry in conn.entries]
        admin = settings.ldap_admin_group
        is_admin = bool(admin) and any(group.lower() == admin.lower() for group in groups)  # type: ignore[union-attr]
        return DirectoryUser(name, dn, sorted(groups), is_admin)

    # --- connections ----------------------------------------------------------------------------------

    def _service(self) -> Connection:
        return self._bound(self._settings.ldap_bind_dn, self._settings.ldap_bind_password, refusable=False)

    def _bound(self, dn: str | None, password: str | None, *, refusable: bool) -> Connection:
        """A connection bound as `dn` (anonymous if None). A refused bind is DirectoryRefused when it was
        the user's password (`refusable`), else DirectoryUnavailable: the service account is misconfigured."""
        settings = self._settings
        # Whole seconds: ldap3 packs the receive timeout into a socket option as integers.
        conn = Connection(self._server, user=dn, password=password, read_only=True, raise_exceptions=False,
                          receive_timeout=math.ceil(settings.ldap_timeout_seconds))
        try:
            conn.open()
            if settings.ldap_start_tls and not conn.start_tls():
                raise DirectoryUnavailable(f"StartTLS failed: {conn.result}")
            if conn.bind():
                return conn
        except LDAPException as err:
            _unbind(conn)
            raise DirectoryUnavailable(f"{type(err).__name__}: {err}") from err
        except DirectoryUnavailable:
            _unbind(conn)
            raise
        result = conn.result
        _unbind(conn)
        if refusable and result["result"] == _INVALID_CREDENTIALS:
            raise DirectoryRefused
        raise DirectoryUnavailable(f"bind as {dn or 'anonymous'} refused: {result['description']}")


@contextmanager
def _closing(conn: Connection) -> Iterator[Connection]:
    # Not ldap3's own `with`: on leaving it keeps a connection open that was bound before entering.
    try:
        yield conn
    finally:
        _unbind(conn)


def _unbind(conn: Connection) -> None:
    try:
        conn.unbind()
    except LDAPException:
        pass  # the connection broke (TLS refused, server gone): nothing left to close politely
