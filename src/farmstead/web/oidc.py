"""Asking an OpenID Connect provider (Keycloak, Okta, Entra ID...) who a user is: the authorization code
flow with PKCE for the monitor, and checking the ID tokens it (or `farmstead login`'s device flow) returns.

Owns: the provider's discovery document and signing keys (JWKS, fetched again when a token names a key
not seen yet: the provider rotated its keys), building the authorization URL (state, nonce, S256 code
challenge), exchanging the code at the token endpoint, and validating an ID token (signature, issuer,
audience, expiry, nonce) into an `OidcUser` with the groups of the configured claim. The OAuth client is
authlib's, the JOSE work joserfc's.
Must not: touch the store or cookies; sessions, the state cookie and provisioning are signin.py's.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from farmstead.config import Settings

log = logging.getLogger("farmstead.web.oidc")
#: The discovery document is asked again after this long (providers change it rarely).
_DISCOVERY_SECONDS = 3600.0
#: A token naming an unknown key fetches the JWKS again, but not more often than this (a flood of forged
#: tokens must not become a flood of requests to the provider). Only such fetches count: one made for
#: another reason just before the provider rotated its keys must not refuse the first new token.
_JWKS_REFETCH_SECONDS = 1.0
#: How far the provider's clock may be off ours for `exp`/`iat`.
_LEEWAY_SECONDS = 30
#: Asymmetric algorithms only: "none" and HS256 (keyed with the client secret) are never accepted.
_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_MAX_NAME = 256


@dataclass(frozen=True)
class OidcUser:
    name: str
    #: Who the provider says it is, for good: "<issuer>#<sub>" (the name may be changed at the provider).
    subject: str
    groups: list[str]
    is_admin: bool


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and what the callback must be checked against (kept in a signed cookie)."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OidcRefused(Exception):
    """The provider, or the ID token it returned, does not let this user in (the message says why)."""


class OidcUnavailable(Exception):
    """The provider could not be asked: down, unreachable, or answering nonsense."""


class OidcProvider:
    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self._settings = settings
        self.issuer: str = settings.oidc_issuer
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = 0.0
        self._keys: KeySet | None = None
        #: When a token naming an unknown key last made us fetch the keys (monotonic; 0: never).
        self._keys_refetched_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcProvider | None:
        return cls(settings) if settings.oidc_issuer and settings.oidc_client_id else None

    @property
    def session_seconds(self) -> float:
        return self._settings.oidc_session_seconds

    @property
    def scopes(self) -> str:
        return self._settings.oidc_scopes

    @property
    def cli_client_id(self) -> str | None:
        return self._settings.oidc_cli_client_id

    def redirect_uri(self, base_url: str) -> str:
        return self._settings.oidc_redirect_uri or base_url.rstrip("/") + "/signin/oidc/callback"

    # --- the monitor's authorization code flow --------------------------------------------------------

    def begin(self, redirect_uri: str) -> Authorization:
        """The provider's authorization URL for a new sign-in, with a fresh state, nonce and PKCE verifier."""
        # Asked afresh at every start (starts are few): a provider that is down is found here, so the browser
        # gets the monitor's page saying so rather than its own connection error at the provider.
        endpoint = self._endpoint("authorization_endpoint", fresh=True)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        # No request is made: the URL (with the S256 challenge of `verifier`) is only built.
        url, _ = self._client(redirect_uri).create_authorization_url(endpoint, state=state, nonce=nonce,
                                                                     code_verifier=verifier)
        return Authorization(url, state, nonce, verifier)

    def finish(self, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> OidcUser:
        """The user the provider signed in: the code exchanged (with the PKCE verifier), its ID token checked."""
        endpoint = self._endpoint("token_endpoint")
        client = self._client(redirect_uri)
        try:
            token = client.fetch_token(endpoint, code=code, code_verifier=code_verifier,
                                       timeout=self._settings.oidc_timeout_seconds)
        except OAuthError as err:  # invalid_grant: a used, expired or foreign code; a wrong verifier
            raise OidcRefused(f"the provider refused the code: {err.error}") from None
        except (requests.RequestException, ValueError) as err:
            raise OidcUnavailable(f"token endpoint: {type(err).__name__}: {err}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcUnavailable("the token endpoint returned no ID token")
        return self.verify_id_token(id_token, audience=self._settings.oidc_client_id or "", nonce=nonce)

    def _client(self, redirect_uri: str) -> OAuth2Session:
        settings = self._settings
        return OAuth2Session(settings.oidc_client_id, settings.oidc_client_secret, scope=settings.oidc_scopes,
                             redirect_uri=redirect_uri, code_challenge_method="S256",
                             token_endpoint_auth_method="client_secret_basic" if settings.oidc_client_secret
                             else "none")

    # --- ID tokens ------------------------------------------------------------------------------------

    def verify_id_token(self, id_token: str, *, audience: str, nonce: str | None = None,
                        now: float | None = None, max_age: float | None = None) -> OidcUser:
        """The user an ID token of this provider names, for `audience` (a client id); OidcRefused when its
        signature, issuer, audience, expiry or nonce is wrong, or (with `max_age`) it was issued longer ago."""
        keys = self._key_set(refresh=False)
        try:
            token = jwt.decode(id_token, keys, algorithms=_ALGORITHMS)
        except (JoseError, ValueError) as err:
            if not _names_unknown_key(err):
                raise OidcRefused(f"the ID token is not valid: {_describe(err)}") from None
            try:  # a key we haven't seen: the provider may have rotated its keys since we fetched them
                token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=_ALGORITHMS)
            except (JoseError, ValueError) as again:
                raise OidcRefused(f"the ID token is not valid: {_describe(again)}") from None
        claims = token.claims
        checked_at = int(now if now is not None else time.time())
        registry = jwt.JWTClaimsRegistry(
            now=checked_at, leeway=_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer}, aud={"essential": True, "value": audience},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as err:
            raise OidcRefused(f"the ID token is not valid: {_describe(err)}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != audience:  # OIDC Core 3.1.3.7, items 4 and 5
            raise OidcRefused("the ID token is not valid: it was issued to another client (azp)")
        if nonce is not None and claims.get("nonce") != nonce:
            raise OidcRefused("the ID token is not valid: its nonce is not this sign-in's (a replayed token)")
        if max_age is not None and checked_at - int(claims["iat"]) > max_age + _LEEWAY_SECONDS:
            raise OidcRefused("the ID token is not valid: it was issued too long ago; sign in again")
        return self._user(claims)

    def _user(self, claims: dict[str, Any]) -> OidcUser:
        settings = self._settings
        name = claims.get(settings.oidc_username_claim)
        if not isinstance(name, str) or not name or len(name) > _MAX_NAME or not name.isprintable():
            raise OidcRefused(f"the ID token has no usable user name claim ({settings.oidc_username_claim!r})")
        raw = claims.get(settings.oidc_groups_claim, [])
        if isinstance(raw, str):  # Okta sends one group as a string when only one matches its filter
            raw = [raw]
        groups = [group for group in raw if isinstance(group, str)] if isinstance(raw, list) else []
        admin = settings.oidc_admin_group
        is_admin = admin is not None and admin in groups
        return OidcUser(name, f"{self.issuer}#{claims['sub']}", sorted(set(groups)), is_admin)

    # --- the provider's documents ---------------------------------------------------------------------

    def _endpoint(self, name: str, *, fresh: bool = False) -> str:
        value = self._discovered(fresh=fresh).get(name)
        if not isinstance(value, str):
            raise OidcUnavailable(f"the provider's discovery document has no {name}")
        return value

    def _discovered(self, *, fresh: bool = False) -> dict[str, Any]:
        with self._lock:
            cached = self._discovery
            if not fresh and cached is not None and time.monotonic() - self._discovered_at < _DISCOVERY_SECONDS:
                return cached
        # OIDC Discovery 4: a trailing slash of the issuer is dropped before the well-known path (Auth0's and
        # Entra ID's issuers end in one); the document must then name the issuer exactly as configured.
        document = self._get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        if document.get("issuer") != self.issuer:  # OIDC Discovery 4.3: it must name the issuer we asked
            raise OidcUnavailable(f"the discovery document names issuer {document.get('issuer')!r}, "
                                  f"not {self.issuer!r}")
        with self._lock:
            self._discovery, self._discovered_at = document, time.monotonic()
        return document

    def _key_set(self, *, refresh: bool) -> KeySet:
        with self._lock:
            keys, refetched_at = self._keys, self._keys_refetched_at
        if keys is not None and (not refresh or time.monotonic() - refetched_at < _JWKS_REFETCH_SECONDS):
            return keys
        try:
            keys = KeySet.import_key_set(self._get(self._endpoint("jwks_uri")))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as err:
            raise OidcUnavailable(f"the provider's JWKS is not a key set: {err}") from None
        with self._lock:
            self._keys = keys
            if refresh:
                self._keys_refetched_at = time.monotonic()
        if refresh:
            log.info("fetched %s's signing keys again (a token named a key not seen before)", self.issuer)
        return keys

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self._settings.oidc_timeout_seconds)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as err:
            raise OidcUnavailable(f"{url}: {type(err).__name__}: {err}") from None
        if not isinstance(document, dict):
            raise OidcUnavailable(f"{url}: not a JSON object")
        return document


def _names_unknown_key(err: Exception) -> bool:
    return "kid" in str(err).lower() or type(err).__name__ in ("InvalidKeyIdError", "MissingKeyError")


def _describe(err: Exception) -> str:
    return getattr(err, "description", None) or str(err) or type(err).__name__
