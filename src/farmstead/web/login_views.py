"""What `farmstead login` (cli/login.py) asks the server: temporary keys of a user, as JSON.

Owns: POST /signin/credentials, which takes {"username", "password"} (a local or directory user) or
{"idToken"} (from the OpenID provider's device flow, issued to the `farmstead login` client) and answers
the keys in the shape of `aws configure export-credentials` (Version 1: AccessKeyId, SecretAccessKey,
SessionToken, Expiration) plus the user's name; and GET /signin/oidc/cli, which tells the CLI which
provider and client to run the device flow with. Failed attempts count against the same limits as the
monitor's sign-in form. JSON bodies only: a form another site posts can't ask for keys.
Must not: decide who a user is (signin.py does), mint keys (login_keys.py does) or write SQL.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from farmstead.web.login_keys import LoginKeys
from farmstead.web.signin import Sessions, SignInError
from farmstead.web.signin_limits import SignInLimits

_MAX_BODY = 64 * 1024


def routes(sessions: Sessions, login_keys: LoginKeys, limits: SignInLimits) -> list[Route]:
    async def credentials(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _refused("Send the request as application/json.", 415)
        body = await request.body()
        try:
            fields = orjson.loads(body) if len(body) <= _MAX_BODY else None
        except orjson.JSONDecodeError:
            fields = None
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            return _refused("Expected a JSON object of strings.", 400)
        by_token = "idToken" in fields
        client = request.client.host if request.client else ""
        # Token attempts count per address: one shared name would let anyone lock everyone's --sso out.
        account = f"sso@{client}" if by_token else fields.get("username", "").strip()
        wait, stamp = limits.start(client, account)
        if wait:
            return _refused(f"Too many failed sign-ins; try again in {wait:.0f} seconds.", 429,
                            {"retry-after": f"{wait:.0f}"})
        try:
            if by_token:
                name, key = await run_in_threadpool(login_keys.for_id_token, fields["idToken"])
            else:
                name, key = await run_in_threadpool(login_keys.for_password, account,
                                                    fields.get("password", ""))
        except SignInError as err:
            return _refused(str(err), err.status)
        limits.succeeded(client, account, stamp)
        return JSONResponse({"Version": 1, "AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key,
                             "SessionToken": key.session_token,
                             "Expiration": key.expires_at.isoformat().replace("+00:00", "Z"), "UserName": name},
                            headers={"cache-control": "no-store"})

    async def oidc_for_cli(request: Request) -> Response:
        oidc = sessions.oidc
        if oidc is None or not oidc.cli_client_id:
            return _refused("This server has no identity provider for farmstead login; use a user name and "
                            "password.", 404)
        return JSONResponse({"issuer": oidc.issuer, "clientId": oidc.cli_client_id, "scope": oidc.scopes})

    return [Route("/signin/credentials", credentials, methods=["POST"]), Route("/signin/oidc/cli", oidc_for_cli)]


def _refused(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"message": message}, status_code=status, headers=headers)
