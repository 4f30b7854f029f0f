"""Who is signed in to the monitor: sign-in checks, the session cookie, and CSRF tokens.

The session is a signed cookie (HMAC-SHA256 under a secret kept in the store), HttpOnly and
SameSite=Strict, Secure when the monitor is reached over HTTPS. It names the principal and the
credential used to sign in (an access key id, or the password) with a fingerprint of that
credential: deleting the key or changing the password ends every session made with it, within the
same ~2 s cache the API uses for keys. Sign-out clears the cookie.

With a directory configured (web/directory.py, docs/access.md), a name that is not a local user with a
password is asked of the directory; its users are provisioned as principals on their first sign-in and
their sessions are re-checked against the directory at most `ldap_recheck_seconds` after the last check
(a user disabled or removed there loses the monitor by then). While the directory can't be reached,
sessions it already let in stay valid (asked again a window later); new directory sign-ins fail.

With an OpenID provider configured (web/oidc.py), "Sign in with <provider>" runs the authorization code
flow: the state, nonce and PKCE verifier travel in a signed, short-lived cookie and each state is taken
once; the provider's user is provisioned like a directory user (their `sub` as the DN, the groups claim
as their directory groups) and their session lasts `oidc_session_seconds`, then the provider is asked again.

CSRF: every form and every mutating fetch carries a token derived from the session's nonce; the
sign-in form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from farmstead.api.context import Caller
from farmstead.ids import new_principal_id
from farmstead.store import groups, identity
from farmstead.store.engine import Store
from farmstead.web.directory import Directory, DirectoryRefused, DirectoryUnavailable, DirectoryUser
from farmstead.web.oidc import OidcProvider, OidcRefused, OidcUnavailable, OidcUser
from farmstead.web.passwords import verify_or_decoy

log = logging.getLogger("farmstead.web.signin")

SESSION_COOKIE = "farmstead_session"
SIGNIN_COOKIE = "farmstead_signin"
OIDC_COOKIE = "farmstead_oidc"
#: How long a browser may take at the provider between leaving the monitor and coming back.
OIDC_FLOW_SECONDS = 600
SESSION_SECONDS = 12 * 3600
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Session:
    caller: Caller
    csrf: str
    via: str  # "password", "directory", "oidc" or the access key id


_REFUSED = "Unknown user name or wrong password."


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says which half was wrong)."""

    status = 401


class DirectoryDown(SignInError):
    status = 503


class ProviderDown(SignInError):
    status = 503


class Sessions:
    def __init__(self, store: Store, account_id: str, directory: Directory | None = None,
                 oidc: OidcProvider | None = None) -> None:
        self._store = store
        self._account_id = account_id
        self.directory = directory
        self.oidc = oidc
        #: OIDC states already taken (state -> when it lapses, time.time()): a replayed callback is refused.
        self._used_states: dict[str, float] = {}
        self._states_lock = threading.Lock()
        with store.write() as conn:
            self._secret = bytes.fromhex(identity.get_or_create_secret(conn, "web_session_secret"))
        self._checked: dict[str, tuple[float, Session | None]] = {}
        #: principal id -> when the directory last said the user may still sign in (monotonic seconds).
        self._directory_checked: dict[str, float] = {}
        self._directory_lock = threading.Lock()

    # --- signing in -------------------------------------------------------------------------------

    def sign_in_with_password(self, name: str, password: str) -> str:
        return self._cookie(*self.check_password(name, password))

    def check_password(self, name: str, password: str) -> tuple[str, str, str]:
        """(principal id, how, fingerprint) of the local or directory user `name` if `password` is theirs."""
        with self._store.read() as conn:
            principal = identity.find_principal(conn, name)
            stored = identity.password_hash_of(conn, principal.principal_id) if principal else None
        # Always one scrypt, also for an unknown name, so the answer's timing doesn't reveal which names exist.
        matched = verify_or_decoy(password, stored)
        if principal is not None and stored is not None and principal.name == name and matched:
            return principal.principal_id, "password", _fingerprint(stored)
        local = principal is not None and principal.name == name and principal.directory_dn is None
        if self.directory is None or local:
            raise SignInError(_REFUSED)
        # Lower case: uid (OpenLDAP) and sAMAccountName (AD) match names case-insensitively, so "Alice"
        # and "alice" are one directory user and must be one principal.
        return self._sign_in_with_directory(self.directory, name.lower(), password)

    def _sign_in_with_directory(self, directory: Directory, name: str, password: str) -> tuple[str, str, str]:
        try:
            user = directory.authenticate(name, password)
        except DirectoryRefused:
            raise SignInError(_REFUSED) from None
        except DirectoryUnavailable as err:
            log.warning("directory sign-in of %r failed: %s", name, err)
            raise DirectoryDown("The directory (LDAP) can't be reached just now, so directory users can't sign "
                                "in; local users still can. Please try again later.") from None
        principal = self._provision(user)
        if principal is None:
            raise SignInError(_REFUSED)
        with self._directory_lock:
            self._directory_checked[principal.principal_id] = time.monotonic()
        return principal.principal_id, "directory", _fingerprint(user.dn)

    def _provision(self, user: DirectoryUser) -> identity.PrincipalRecord | None:
        with self._store.write() as conn:
            return identity.provision_directory_user(conn, new_principal_id(), user.name, user.dn, user.groups,
                                                     user.is_admin, datetime.now(UTC))

    # --- OpenID Connect ------------------------------------------------------------------------------

    def begin_oidc(self, base_url: str, next_path: str | None) -> tuple[str, str]:
        """(the provider's authorization URL, the signed flow cookie the callback is checked against)."""
        assert self.oidc is not None
        redirect_uri = self.oidc.redirect_uri(base_url)
        try:
            flow = self.oidc.begin(redirect_uri)
        except OidcUnavailable as err:
            log.warning("OpenID sign-in could not start: %s", err)
            raise ProviderDown(PROVIDER_DOWN) from None
        payload = {"s": flow.state, "n": flow.nonce, "v": flow.code_verifier, "r": redirect_uri, "x": next_path,
                   "e": int(time.time()) + OIDC_FLOW_SECONDS}
        return flow.url, self._signed(payload)

    def finish_oidc(self, flow_cookie: str | None, params: dict[str, str]) -> tuple[str, str | None]:
        """(a session cookie, the page to go back to) for the provider's redirect back with `params`."""
        assert self.oidc is not None
        flow = self._unsigned(flow_cookie)
        if flow is None or "s" not in flow or flow["e"] < time.time():
            raise SignInError("This sign-in expired or was started in another browser; please sign in again.")
        if not tokens_match(flow["s"], params.get("state")):
            raise SignInError("This sign-in answer does not belong to this browser's sign-in; please sign in again.")
        if not self._take_state(flow["s"], flow["e"]):
            raise SignInError("This sign-in answer was already used; please sign in again.")
        if "error" in params:  # the user cancelled, or the provider refused them (access_denied)
            raise SignInError(f"The identity provider did not sign you in ({params['error'][:100]}).")
        try:
            user = self.oidc.finish(params.get("code", ""), flow["r"], flow["v"], flow["n"])
        except OidcRefused as err:
            log.warning("OpenID sign-in refused: %s", err)
            raise SignInError("The identity provider's answer could not be verified; please sign in again.") from None
        except OidcUnavailable as err:
            log.warning("OpenID sign-in failed: %s", err)
            raise ProviderDown(PROVIDER_DOWN) from None
        return self.session_for_oidc_user(user), flow["x"]

    def session_for_oidc_user(self, user: OidcUser) -> str:
        principal = self.provision_oidc_user(user)
        return self._cookie(principal.principal_id, "oidc", _fingerprint(user.subject),
                            lifetime=min(SESSION_SECONDS, self.oidc.session_seconds if self.oidc else 0))

    def provision_oidc_user(self, user: OidcUser) -> identity.PrincipalRecord:
        with self._store.write() as conn:
            principal = identity.provision_directory_user(conn, new_principal_id(), user.name, user.subject,
                                                          user.groups, user.is_admin, datetime.now(UTC))
        if principal is None:
            raise SignInError(f"{user.name!r} is a local user's name here; an administrator must rename one of them.")
        return principal

    def _take_state(self, state: str, lapses_at: float) -> bool:
        with self._states_lock:
            now = time.time()
            if len(self._used_states) > 10_000:
                self._used_states = {s: t for s, t in self._used_states.items() if t > now}
            if state in self._used_states:
                return False
            self._used_states[state] = lapses_at
            return True

    def sign_in_with_key(self, access_key_id: str, secret: str) -> str:
        with self._store.read() as conn:
            key = identity.find_key(conn, access_key_id)
        # Only long-term keys: temporary ones are scoped to a worker or a queue role, not to a person. (A
        # scope or an expiry marks one too; the session's Caller carries neither, so such a key must not pass.)
        temporary = key is not None and (key.session_token is not None or key.scope is not None
                                         or key.expires_at is not None)
        if key is None or temporary or not hmac.compare_digest(
                key.secret_access_key.encode(), secret.encode()):
            raise SignInError("Unknown access key or wrong secret.")
        return self._cookie(key.principal_id, access_key_id, _fingerprint(key.secret_access_key))

    def _cookie(self, principal_id: str, via: str, fingerprint: str, lifetime: float = SESSION_SECONDS) -> str:
        return self._signed({"p": principal_id, "v": via, "f": fingerprint, "n": secrets.token_hex(16),
                             "e": int(time.time() + lifetime)})

    def _signed(self, payload: dict) -> str:
        body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def _unsigned(self, value: str | None) -> dict | None:
        """The payload of a value `_signed` made, or None if it is missing or forged."""
        if not value:
            return None
        body, _, signature = value.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    # --- reading the cookie -----------------------------------------------------------------------

    def session_of(self, cookie: str | None) -> Session | None:
        """The session a cookie value stands for, or None if it is missing, forged, expired or revoked."""
        if not cookie:
            return None
        cached = self._checked.get(cookie)
        if cached is not None and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1]
        session = self._check(cookie)
        if len(self._checked) > 10_000:
            self._checked.clear()
        self._checked[cookie] = (time.monotonic(), session)
        return session

    def _check(self, cookie: str) -> Session | None:
        payload = self._unsigned(cookie)
        if payload is None or "p" not in payload or payload["e"] < time.time():
            return None
        with self._store.read() as conn:
            principal = identity.find_principal(conn, payload["p"])
            if principal is None or principal.principal_id != payload["p"]:
                return None
            group_ids = groups.group_ids_of(conn, principal.principal_id)
            if payload["v"] == "password":
                current = identity.password_hash_of(conn, principal.principal_id)
            elif payload["v"] in ("directory", "oidc"):
                current = principal.directory_dn
            else:
                key = identity.find_key(conn, payload["v"])
                current = key.secret_access_key if key and key.principal_id == principal.principal_id else None
        if current is None or not hmac.compare_digest(_fingerprint(current), payload["f"]):
            return None
        if payload["v"] == "directory":
            rechecked = self._recheck_directory_user(principal)
            if rechecked is None:
                return None
            principal = rechecked
        caller = Caller(principal.principal_id, principal.name, principal.is_admin,
                        f"arn:aws:iam::{self._account_id}:user/{principal.name}", group_ids=group_ids)
        return Session(caller, self._sign("csrf:" + payload["n"]), payload["v"])

    def _recheck_directory_user(self, principal: identity.PrincipalRecord) -> identity.PrincipalRecord | None:
        """The principal as the directory has them now (None: signed-in no longer), asked at most once per
        `ldap_recheck_seconds` per user; kept as it was while the directory can't be reached."""
        if self.directory is None:
            return None
        with self._directory_lock:
            last = self._directory_checked.get(principal.principal_id)
        if last is not None and time.monotonic() - last < self.directory.recheck_seconds:
            return principal
        try:
            user = self.directory.lookup(principal.name)
        except DirectoryUnavailable as err:
            # Asked again a window later, not at every page of theirs: each try may wait out the timeout.
            log.warning("could not re-check directory user %r (kept signed in): %s", principal.name, err)
            with self._directory_lock:
                self._directory_checked[principal.principal_id] = time.monotonic()
            return principal
        if user is None or user.dn.lower() != (principal.directory_dn or "").lower():
            with self._directory_lock:
                self._directory_checked.pop(principal.principal_id, None)
            with self._store.write() as conn:  # their `farmstead login` keys end with their session
                identity.delete_login_keys(conn, principal.principal_id, datetime.now(UTC))
            return None
        refreshed = self._provision(user)
        with self._directory_lock:
            self._directory_checked[principal.principal_id] = time.monotonic()
        return refreshed

    # --- CSRF for the sign-in form ----------------------------------------------------------------

    @staticmethod
    def new_signin_nonce() -> str:
        return secrets.token_urlsafe(24)

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()


PROVIDER_DOWN = ("The identity provider (OpenID Connect) can't be reached just now, so its users can't sign in; "
                  "local users still can. Please try again later.")


def _fingerprint(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
