"""Who is signed in to the monitor: sign-in checks, the session cookie, and CSRF tokens.

The session is a signed cookie (HMAC-SHA256 under a secret kept in the store), HttpOnly and
SameSite=Strict, Secure when the monitor is reached over HTTPS. It names the principal and the
credential used to sign in (an access key id, or the password) with a fingerprint of that
credential: deleting the key or changing the password ends every session made with it, within the
same ~2 s cache the API uses for keys. Sign-out clears the cookie.

CSRF: every form and every mutating fetch carries a token derived from the session's nonce; the
sign-in form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

from farmstead.api.context import Caller
from farmstead.store import identity
from farmstead.store.engine import Store
from farmstead.web.passwords import verify_or_decoy

SESSION_COOKIE = "farmstead_session"
SIGNIN_COOKIE = "farmstead_signin"
SESSION_SECONDS = 12 * 3600
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Session:
    caller: Caller
    csrf: str
    via: str  # "password" or the access key id


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says which half was wrong)."""


class Sessions:
    def __init__(self, store: Store, account_id: str) -> None:
        self._store = store
        self._account_id = account_id
        with store.write() as conn:
            self._secret = bytes.fromhex(identity.get_or_create_secret(conn, "web_session_secret"))
        self._checked: dict[str, tuple[float, Session | None]] = {}

    # --- signing in -------------------------------------------------------------------------------

    def sign_in_with_password(self, name: str, password: str) -> str:
        with self._store.read() as conn:
            principal = identity.find_principal(conn, name)
            stored = identity.password_hash_of(conn, principal.principal_id) if principal else None
        # Always one scrypt, also for an unknown name, so the answer's timing doesn't reveal which names exist.
        matched = verify_or_decoy(password, stored)
        if principal is None or stored is None or principal.name != name or not matched:
            raise SignInError("Unknown user name or wrong password.")
        return self._cookie(principal.principal_id, "password", _fingerprint(stored))

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

    def _cookie(self, principal_id: str, via: str, fingerprint: str) -> str:
        payload = {"p": principal_id, "v": via, "f": fingerprint, "n": secrets.token_hex(16),
                   "e": int(time.time()) + SESSION_SECONDS}
        body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

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
        body, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if payload["e"] < time.time():
            return None
        with self._store.read() as conn:
            principal = identity.find_principal(conn, payload["p"])
            if principal is None or principal.principal_id != payload["p"]:
                return None
            if payload["v"] == "password":
                current = identity.password_hash_of(conn, principal.principal_id)
            else:
                key = identity.find_key(conn, payload["v"])
                current = key.secret_access_key if key and key.principal_id == principal.principal_id else None
        if current is None or not hmac.compare_digest(_fingerprint(current), payload["f"]):
            return None
        caller = Caller(principal.principal_id, principal.name, principal.is_admin,
                        f"arn:aws:iam::{self._account_id}:user/{principal.name}")
        return Session(caller, self._sign("csrf:" + payload["n"]), payload["v"])

    # --- CSRF for the sign-in form ----------------------------------------------------------------

    @staticmethod
    def new_signin_nonce() -> str:
        return secrets.token_urlsafe(24)

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()


def _fingerprint(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
