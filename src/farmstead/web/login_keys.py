"""The temporary keys `farmstead login` hands out, and ending them when the directory disables their user.

Owns: minting a login key (a temporary key of the user with no scope: all they may do, for
`login_credential_seconds`) for a password (a local or directory user, checked by Sessions as at the
monitor's form) or an ID token the provider issued to the `farmstead login` client (its device flow) in
the last LOGIN_TOKEN_AGE seconds; and a daemon thread that, every `ldap_recheck_seconds`, asks the
directory about each directory user holding an unexpired login key and deletes the keys of those it no
longer lets in (removed, disabled, filtered out). The API trusts a looked-up login key for at most ~2 s
(api/key_cache.py), so their access ends within the re-check window plus that. Every replica runs the
thread: the questions are few (only users holding live login keys) and deleting twice is harmless.
Users of the OpenID provider can't be re-checked without them: their keys end at their expiry.
Must not: decide who a user is (signin.py and the directory/provider do) or write SQL (store/identity.py does).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from farmstead.store import identity
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable
from farmstead.web.directory import DirectoryUnavailable
from farmstead.web.oidc import OidcRefused, OidcUnavailable
from farmstead.web.signin import PROVIDER_DOWN, ProviderDown, Sessions, SignInError

log = logging.getLogger("farmstead.web.login_keys")
#: An ID token `farmstead login` presents must have been issued this recently (seconds).
LOGIN_TOKEN_AGE = 300


class LoginKeys:
    def __init__(self, store: Store, sessions: Sessions, lifetime_seconds: int = 3600) -> None:
        self._store = store
        self._sessions = sessions
        self._lifetime = timedelta(seconds=lifetime_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farmstead-login-rechecks", daemon=True)

    # --- minting ---------------------------------------------------------------------------------------

    def for_password(self, name: str, password: str) -> tuple[str, identity.TemporaryKey]:
        """(the user's name, a new login key of theirs) for a local or directory user's password."""
        return self._mint(self._sessions.check_password(name, password)[0])

    def for_id_token(self, id_token: str) -> tuple[str, identity.TemporaryKey]:
        """(the user's name, a new login key of theirs) for an ID token of the `farmstead login` client."""
        oidc = self._sessions.oidc
        if oidc is None or not oidc.cli_client_id:
            raise SignInError("Signing in through an identity provider is not configured for farmstead login.")
        try:
            user = oidc.verify_id_token(id_token, audience=oidc.cli_client_id, max_age=LOGIN_TOKEN_AGE)
        except OidcRefused as err:
            log.warning("farmstead login with an ID token refused: %s", err)
            raise SignInError("The identity provider's token could not be verified; please log in again.") from None
        except OidcUnavailable as err:
            log.warning("farmstead login with an ID token failed: %s", err)
            raise ProviderDown(PROVIDER_DOWN) from None
        return self._mint(self._sessions.provision_oidc_user(user).principal_id)

    def _mint(self, principal_id: str) -> tuple[str, identity.TemporaryKey]:
        with self._store.write() as conn:
            principal = identity.find_principal(conn, principal_id)
            assert principal is not None
            key = identity.mint_login_key(conn, principal_id, datetime.now(UTC), self._lifetime)
        return principal.name, key

    # --- ending them -----------------------------------------------------------------------------------

    def recheck(self) -> int:
        """Delete the login keys of the directory users the directory no longer lets in; returns how many
        users lost theirs. A directory that can't be reached keeps them (asked again next window)."""
        directory = self._sessions.directory
        if directory is None:
            return 0
        with self._store.read() as conn:
            holders = [p for p in identity.directory_users_with_login_keys(conn, datetime.now(UTC))
                       if p.directory_dn and not _is_oidc_subject(p.directory_dn)]
        revoked = 0
        for principal in holders:
            try:
                user = directory.lookup(principal.name)
            except DirectoryUnavailable as err:
                log.warning("could not re-check the directory users holding login keys (kept): %s", err)
                return revoked
            if user is not None and user.dn.lower() == (principal.directory_dn or "").lower():
                continue
            with self._store.write() as conn:
                deleted = identity.delete_login_keys(conn, principal.principal_id, datetime.now(UTC))
            log.info("the directory no longer lets %r in: deleted their %d login key(s)", principal.name, deleted)
            revoked += 1
        return revoked

    def start(self) -> None:
        if self._sessions.directory is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        directory = self._sessions.directory
        assert directory is not None
        while not self._stop.wait(directory.recheck_seconds):
            try:
                self.recheck()
            except (StoreBusy, StoreUnavailable) as err:  # asked again next window
                log.warning("could not re-check the login keys of directory users: %s", err)
            except Exception:  # the thread must outlive one bad pass; the log has it
                log.exception("re-checking the login keys of directory users failed")


def _is_oidc_subject(directory_dn: str) -> bool:
    """Whether a provisioned user came from the OpenID provider ("<issuer URL>#<sub>"), not the LDAP directory."""
    return "://" in directory_dn
