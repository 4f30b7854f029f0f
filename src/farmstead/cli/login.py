"""`farmstead login`: temporary keys of a signed-in user, written into an AWS profile (as `aws sso login`
does) or printed in the shape of `aws configure export-credentials`.

Owns: asking the user who they are, and the server for their keys (POST /signin/credentials,
web/login_views.py): with a user name and password (local or directory users; prompted for, or
--username with --password-stdin), or with --sso through the server's OpenID provider's device flow
(the server names the provider and client at GET /signin/oidc/cli; the user opens the provider's page in
any browser, on any machine, and the ID token it issues is exchanged for the keys). The keys last the
server's `login_credential_seconds` (an hour by default, docs/access.md); log in again after.
Must not: keep the password or the ID token anywhere.
"""

from __future__ import annotations

import sys
import time
import webbrowser
from typing import Any

import click
import orjson
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from farmstead.cli import aws_profile

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_TIMEOUT = 30


@click.command()
@click.option("--endpoint-url", envvar="FARMSTEAD_ENDPOINT_URL", default="http://127.0.0.1:8245", show_default=True,
              help="The Farmstead server.")
@click.option("--profile", default=aws_profile.PROFILE, show_default=True, help="The AWS profile to write.")
@click.option("--region", default="us-west-2", show_default=True, help="The region the profile names.")
@click.option("--username", default=None, help="Your user name (asked for when missing and not --sso).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt.")
@click.option("--sso", is_flag=True,
              help="Sign in through the server's identity provider (OpenID Connect device flow).")
@click.option("--no-browser", is_flag=True, help="With --sso: print the address to open instead of opening it.")
@click.option("--print", "print_only", is_flag=True,
              help="Print the keys as JSON (export-credentials format, usable as credential_process) and write "
                   "no profile.")
def login(endpoint_url: str, profile: str, region: str, username: str | None, password_stdin: bool, sso: bool,
          no_browser: bool, print_only: bool) -> None:
    """Log in and get temporary AWS-style keys for the Deadline API (and the deadline CLI) as yourself."""
    endpoint = endpoint_url.rstrip("/")
    if sso:
        body = {"idToken": _device_flow_id_token(endpoint, open_browser=not no_browser)}
    else:
        name = username or click.prompt("User name", err=True)
        password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
            "Password", hide_input=True, err=True)
        body = {"username": name, "password": password}
    keys = _post(f"{endpoint}/signin/credentials", body)
    if print_only:
        click.echo(orjson.dumps({k: keys[k] for k in ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken",
                                                      "Expiration")}).decode())
        return
    written = aws_profile.write_profile(endpoint, region, keys["AccessKeyId"], keys["SecretAccessKey"],
                                        profile=profile, session_token=keys["SessionToken"])
    click.echo(f"Logged in as {keys['UserName']}: keys in profile {profile!r} ({written.credentials}) until "
               f"{keys['Expiration']}. Use them with AWS_PROFILE={profile} (boto3, the deadline CLI).", err=True)


def _post(url: str, body: dict[str, str]) -> dict[str, Any]:
    try:
        answer = requests.post(url, json=body, timeout=_TIMEOUT)
    except requests.RequestException as err:
        raise click.ClickException(f"could not reach the Farmstead server: {err}") from None
    return _json(answer)


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        document = answer.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise click.ClickException(f"{answer.url} answered {answer.status_code}, not JSON")
    if answer.status_code != 200:
        raise click.ClickException(str(document.get("message") or document.get("error_description")
                                       or document.get("error") or answer.status_code))
    return document


def _device_flow_id_token(endpoint: str, *, open_browser: bool) -> str:
    """An ID token for the CLI's client, through the provider's device flow (RFC 8628)."""
    try:
        provider = _json(requests.get(f"{endpoint}/signin/oidc/cli", timeout=_TIMEOUT))
        discovery = _json(requests.get(f"{provider['issuer'].rstrip('/')}/.well-known/openid-configuration",
                                          timeout=_TIMEOUT))
        device = _json(requests.post(discovery["device_authorization_endpoint"], timeout=_TIMEOUT,
                                     data={"client_id": provider["clientId"], "scope": provider["scope"]}))
    except (requests.RequestException, KeyError) as err:
        raise click.ClickException(f"could not start signing in at the identity provider: {err}") from None
    address = device.get("verification_uri_complete") or device["verification_uri"]
    click.echo(f"Open {address} and confirm the code {device['user_code']}.", err=True)
    if open_browser:
        webbrowser.open(address)
    client = OAuth2Session(provider["clientId"], token_endpoint_auth_method="none")
    interval = float(device.get("interval", 5))
    deadline = time.monotonic() + float(device.get("expires_in", 600))
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            token = client.fetch_token(discovery["token_endpoint"], grant_type=DEVICE_GRANT, timeout=_TIMEOUT,
                                       device_code=device["device_code"])
        except OAuthError as err:
            if err.error == "authorization_pending":
                continue
            if err.error == "slow_down":
                interval += 5
                continue
            raise click.ClickException(f"the identity provider did not sign you in: {err.error}") from None
        except requests.RequestException as err:
            raise click.ClickException(f"could not reach the identity provider: {err}") from None
        if not isinstance(token.get("id_token"), str):
            raise click.ClickException("the identity provider returned no ID token")
        return token["id_token"]
    raise click.ClickException("the sign-in at the identity provider was not confirmed in time")
