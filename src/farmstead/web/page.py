"""What a view or an action is handed: the request, the signed-in session, and the API to call."""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from farmstead.api.context import Caller
from farmstead.protocol.errors import ServiceError
from farmstead.web.calls import Api
from farmstead.web.rendering import Renderer
from farmstead.web.signin import Session

NOTICE_COOKIE = "farmstead_notice"
FULL_REFRESH_SECONDS = 10


@dataclass
class Page:
    """One signed-in request, as the views and actions see it."""

    request: Request
    session: Session
    api: Api
    render: Renderer
    form: dict[str, str] = field(default_factory=dict)
    form_lists: dict[str, list[str]] = field(default_factory=dict)

    @property
    def caller(self) -> Caller:
        return self.session.caller

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        return self.api.call(self.caller, operation, **params)

    def unchanged(self, *state: Any) -> tuple[str, Response | None]:
        """An ETag for what the live part is made of, and a 304 answer if the poller already has it: a
        page checks its one cheap read (GetJob, GetStep) first and skips the rest when nothing moved.
        What that read does not cover (a session ending after its last task) is refreshed every 10 s."""
        state = (*state, int(time.time() // FULL_REFRESH_SECONDS))
        digest = hashlib.sha256(orjson.dumps(state, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()
        etag = f'"{digest[:32]}"'
        if self.request.headers.get("if-none-match") == etag:
            return etag, Response(status_code=304, headers={"etag": etag, "cache-control": "no-store"})
        return etag, None

    def fragment(self, template: str, etag: str | None = None, **context: Any) -> HTMLResponse:
        """Only the live part of a page, for the page's own polling script (no notice is consumed)."""
        url = self.request.url
        query = "&".join(p for p in url.query.split("&") if p != "live=1")
        body = self.render(template, user=self.caller, csrf=self.session.csrf, theme=theme_of(self.request),
                           here=url.path + (f"?{query}" if query else ""), **context)
        headers = {"cache-control": "no-store", **({"etag": etag} if etag else {})}
        return HTMLResponse(body, headers=headers)

    def name_of(self, operation: str, fallback: str, **params: Any) -> str:
        """A farm's or queue's display name for headings and breadcrumbs. A member of only one queue may
        not read its farm (docs/access.md), so a refusal shows the id instead of failing the page."""
        try:
            return self.call(operation, **params)["displayName"]
        except ServiceError as err:
            if err.code != "AccessDeniedException":
                raise
            return fallback

    @property
    def wants_fragment(self) -> bool:
        return self.request.query_params.get("live") == "1"

    def can_manage(self, farm_id: str, queue_id: str | None = None, job_id: str | None = None) -> bool:
        """Whether to offer the change buttons: MANAGER or above on the farm, queue or job. The API still
        decides each call; this only keeps a VIEWER from being shown buttons that would be refused."""
        if self.caller.is_admin:
            return True
        for member in _memberships(self.api, self.caller):
            level = member.get("membershipLevel")
            if level not in ("MANAGER", "OWNER") or member.get("farmId") != farm_id:
                continue
            if "queueId" not in member and "jobId" not in member and "fleetId" not in member:
                return True
            if queue_id and member.get("queueId") == queue_id and ("jobId" not in member or member["jobId"] == job_id):
                return True
        return False

    def can_manage_fleet(self, farm_id: str, fleet_id: str) -> bool:
        """Whether to offer the drain/disable buttons: MANAGER or above on the farm or the fleet."""
        if self.caller.is_admin:
            return True
        return any(member.get("membershipLevel") in ("MANAGER", "OWNER") and member.get("farmId") == farm_id
                   and "queueId" not in member and "jobId" not in member
                   and member.get("fleetId", fleet_id) == fleet_id
                   for member in _memberships(self.api, self.caller))

    def html(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        notice = _read_notice(self.request)
        url = self.request.url
        live_url = f"{url.path}?{url.query + '&' if url.query else ''}live=1"
        body = self.render(template, user=self.caller, csrf=self.session.csrf, notice=notice,
                           path=url.path, live_url=live_url, theme=theme_of(self.request),
                           here=url.path + (f"?{url.query}" if url.query else ""), **context)
        # A signed-in page is this user's farm data: no copy in the browser's cache outlives the sign-out.
        response = HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
        if notice:
            response.delete_cookie(NOTICE_COOKIE, path="/")
        return response


_MEMBERSHIP_SECONDS = 5.0
_membership_cache: dict[str, tuple[float, list[dict]]] = {}


def _memberships(api: Api, caller: Caller) -> list[dict]:
    cached = _membership_cache.get(caller.principal_id)
    if cached is not None and time.monotonic() - cached[0] < _MEMBERSHIP_SECONDS:
        return cached[1]
    # The user's own memberships and those of their groups: a group's MANAGER manages as one.
    members = [next(iter(item.values())) for principal_id in caller.principal_ids
               for item in api.all_pages(caller, "ListMemberships", "memberships", principalId=principal_id)]
    _membership_cache[caller.principal_id] = (time.monotonic(), members)
    return members


THEME_COOKIE = "farmstead_theme"
THEMES = ("light", "dark")


def theme_of(request: Request) -> str:
    """The colour theme this browser picked ("light" or "dark"), or "" to follow the system's."""
    value = request.cookies.get(THEME_COOKIE, "")
    return value if value in THEMES else ""


def set_notice(response: Response, kind: str, text: str) -> Response:
    """A one-time message shown on the next page (after an action's redirect)."""
    response.set_cookie(NOTICE_COOKIE, urllib.parse.quote(f"{kind}:{text}"[:1500]), max_age=60, path="/",
                        httponly=True, samesite="strict")
    return response


def _read_notice(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    kind, _, text = urllib.parse.unquote(raw).partition(":")
    return {"kind": "error" if kind == "error" else "ok", "text": text}
