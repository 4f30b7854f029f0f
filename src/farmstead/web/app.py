"""The web monitor as one Starlette app, mounted by server.py under `/` beside the API.

Owns: the routes, turning a request into a signed-in `Page` (or a redirect to sign-in), running the
page's blocking work off the event loop, CSRF checks on every POST, and turning API errors into a
readable message. What each page shows is in views.py and job_views.py; what each action does is in
actions.py.
"""

from __future__ import annotations

import functools
import logging
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from farmstead.protocol import origins
from farmstead.protocol.errors import ServiceError
from farmstead.web import (
    actions,
    audit_views,
    event_views,
    grid_views,
    job_views,
    links,
    log_views,
    login_views,
    preview_views,
    resubmit_views,
    search_views,
    timeline_views,
    usage_views,
    views,
)
from farmstead.web.calls import Api
from farmstead.web.login_keys import LoginKeys
from farmstead.web.page import THEME_COOKIE, THEMES, Page, theme_of
from farmstead.web.rendering import Renderer
from farmstead.web.signin import (
    OIDC_COOKIE,
    OIDC_FLOW_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    Session,
    Sessions,
    SignInError,
    tokens_match,
)
from farmstead.web.signin_limits import SignInLimits

log = logging.getLogger("farmstead.web")
_HERE = Path(__file__).parent
# Only this site's own script and stylesheet run (progress bars set widths in style attributes); no
# framing, so the action buttons can't be clickjacked from another site.
_SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"style-src-attr 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
                                 b"form-action 'self'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# The monitor's forms are small. Starlette's defaults (1,000 fields of up to 1 MiB) would let anyone, signed
# in or not, make the server hold about a gigabyte per POST; these bound it to a few hundred KiB before
# sign-in and a few MiB after (an action form carries at most 100 items and a dozen other fields).
_SIGNIN_FORM = {"max_files": 0, "max_fields": 20, "max_part_size": 8 * 1024}
_PAGE_FORM = {"max_files": 0, "max_fields": 2 * actions.MAX_TASKS + 40, "max_part_size": 16 * 1024}


class WebMonitor:
    def __init__(self, api: Api, sessions: Sessions, login_keys: LoginKeys) -> None:
        self.api = api
        self.sessions = sessions
        self.limits = SignInLimits()
        self.render = Renderer(_HERE / "templates")
        signed_in = self._signed_in
        self.app = Starlette(routes=[
            Route("/", signed_in(views.farms)),
            Route("/signin", self._signin_page, methods=["GET"]),
            Route("/signin", self._signin, methods=["POST"]),
            Route("/signout", self._signout, methods=["POST"]),
            Route("/signin/oidc", self._signin_oidc),
            Route("/signin/oidc/callback", self._signin_oidc_callback),
            *login_views.routes(sessions, login_keys, self.limits),  # what `farmstead login` asks
            Route("/theme", _theme),
            Route("/search", signed_in(search_views.search)),
            Route("/audit", signed_in(audit_views.audit_log)),
            Route("/events", signed_in(event_views.events_page)),
            Route("/events/subscribe", signed_in(event_views.subscribe), methods=["POST"]),
            Route("/events/remove", signed_in(event_views.unsubscribe), methods=["POST"]),
            Route("/farms/{farm_id}", signed_in(views.farm)),
            Route("/farms/{farm_id}/usage", signed_in(usage_views.usage)),
            Route("/farms/{farm_id}/fleets/{fleet_id}", signed_in(views.fleet)),
            Route("/farms/{farm_id}/queues/{queue_id}", signed_in(views.queue)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}", signed_in(job_views.job)),
            Route("/farms/{farm_id}/fleets/{fleet_id}/timeline", signed_in(timeline_views.fleet_timeline)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/timeline", signed_in(timeline_views.job_timeline)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/preview", signed_in(preview_views.job_preview)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/steps/{step_id}/tasks/{task_id}/preview",
                  signed_in(preview_views.task_preview)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/steps/{step_id}/tasks/{task_id}/thumbnail.jpg",
                  signed_in(preview_views.task_thumbnail)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/grid", signed_in(grid_views.grid)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/grid/{step_id}/{task_id}",
                  signed_in(grid_views.grid_task)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/steps/{step_id}", signed_in(job_views.step)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/steps/{step_id}/tasks/{task_id}",
                  signed_in(job_views.task)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/sessions/{session_id}",
                  signed_in(job_views.session)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/sessions/{session_id}/log",
                  signed_in(job_views.session_log)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/sessions/{session_id}/log.txt",
                  signed_in(log_views.download)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/logs", signed_in(log_views.job_search)),
            Route("/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/resubmit", signed_in(resubmit_views.resubmit),
                  methods=["GET", "POST"]),
            Route("/actions", signed_in(actions.perform), methods=["POST"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
            *links.routes(),  # GetMonitor's url and the official CLI's links: redirects to the pages above
        ])

    async def __call__(self, scope, receive, send) -> None:
        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)
        await self.app(scope, receive, send_with_headers)

    # --- signed-in pages ----------------------------------------------------------------------------

    async def _session(self, request: Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if self.sessions.directory is None:
            return self.sessions.session_of(cookie)
        # A directory user's re-check asks the directory: network I/O (up to the LDAP timeout when it
        # hangs), which must not hold up the event loop and with it every other request.
        return await run_in_threadpool(self.sessions.session_of, cookie)

    def _signed_in(self, view: Callable[..., Response]) -> Callable:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            session = await self._session(request)
            if session is None:
                return _to_signin(request)
            page = Page(request, session, self.api, self.render)
            if request.method == "POST":
                form = await request.form(**_PAGE_FORM)
                page.form = {k: v for k, v in form.items() if isinstance(v, str)}
                page.form_lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form.keys()}
                given = page.form.get("csrf") or request.headers.get("x-csrf-token")
                if not tokens_match(session.csrf, given):
                    return page.html("error.html", status=403, title="Refused",
                                     message="This form has expired or did not come from this site. Reload the "
                                             "page and try again.")
            started = time.perf_counter()
            origins.current.set(origins.from_client("web", request.client))  # the audit log's (docs/audit.md)
            try:
                response = await run_in_threadpool(view, page, **request.path_params)
            except ServiceError as err:
                response = _error_page(page, err)
            except Exception:  # never a stack trace in the browser; the log has it
                log.exception("web monitor error on %s", request.url.path)
                response = page.html("error.html", status=500, title="Something went wrong",
                                     message="The monitor hit an unexpected error; the server log has the details.")
            # The page's own server time (its API calls and rendering), which bench/web_pages.py reads and
            # the browser's developer tools show; the connection and the queue before it are not in it.
            response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            return response
        return endpoint

    # --- sign-in and sign-out -----------------------------------------------------------------------

    async def _signin_page(self, request: Request) -> Response:
        return self._signin_form(request)

    def _signin_form(self, request: Request, error: str | None = None, status: int = 200,
                     headers: dict[str, str] | None = None, next_path: str | None = None) -> Response:
        """The sign-in page; after a refused attempt it keeps the posted `next`, so a retry still goes back."""
        nonce = Sessions.new_signin_nonce()
        body = self.render("signin.html", title="Sign in", user=None, csrf=nonce, error=error, notice=None,
                           path="/signin", theme=theme_of(request), directory=self.sessions.directory is not None,
                           oidc=self.sessions.oidc is not None,
                           next=_safe_next(next_path or request.query_params.get("next")))
        response = HTMLResponse(body, status_code=status, headers=headers)
        response.set_cookie(SIGNIN_COOKIE, nonce, max_age=3600, path="/signin", httponly=True, samesite="strict",
                            secure=_is_https(request))
        return response

    async def _signin(self, request: Request) -> Response:
        form = await request.form(**_SIGNIN_FORM)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not tokens_match(request.cookies.get(SIGNIN_COOKIE), fields.get("csrf")):
            return self._signin_form(request, "The sign-in form expired; please try again.", 403,
                                     next_path=fields.get("next"))
        by_key = fields.get("method") == "key"
        account = fields.get("access_key_id" if by_key else "username", "").strip()
        client = request.client.host if request.client else ""
        wait, stamp = self.limits.start(client, account)
        if wait:
            return self._signin_form(request, f"Too many failed sign-ins; try again in {wait:.0f} seconds.", 429,
                                     headers={"retry-after": f"{wait:.0f}"}, next_path=fields.get("next"))
        try:
            if by_key:
                cookie = await run_in_threadpool(self.sessions.sign_in_with_key, account,
                                                 fields.get("secret_access_key", "").strip())
            else:
                cookie = await run_in_threadpool(self.sessions.sign_in_with_password, account,
                                                 fields.get("password", ""))
        except SignInError as err:
            return self._signin_form(request, str(err), err.status, next_path=fields.get("next"))
        self.limits.succeeded(client, account, stamp)
        response = RedirectResponse(_safe_next(fields.get("next")) or "/", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="strict", secure=_is_https(request))
        response.delete_cookie(SIGNIN_COOKIE, path="/signin")
        return response

    async def _signin_oidc(self, request: Request) -> Response:
        """Off to the OpenID provider; the flow cookie is SameSite=Lax: the provider's redirect back is a
        top-level navigation from another site, which a Strict cookie would not come back with."""
        next_path = _safe_next(request.query_params.get("next"))
        if self.sessions.oidc is None:
            return self._signin_form(request, "Sign-in through an identity provider is not configured.", 404)
        try:
            url, flow = await run_in_threadpool(self.sessions.begin_oidc, str(request.base_url), next_path)
        except SignInError as err:
            return self._signin_form(request, str(err), err.status, next_path=next_path)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(OIDC_COOKIE, flow, max_age=OIDC_FLOW_SECONDS, path="/signin/oidc", httponly=True,
                            samesite="lax", secure=_is_https(request))
        return response

    async def _signin_oidc_callback(self, request: Request) -> Response:
        if self.sessions.oidc is None:
            return self._signin_form(request, "Sign-in through an identity provider is not configured.", 404)
        params = {k: v for k, v in request.query_params.items() if k in ("code", "state", "error")}
        try:
            cookie, next_path = await run_in_threadpool(self.sessions.finish_oidc, request.cookies.get(OIDC_COOKIE),
                                                        params)
        except SignInError as err:
            response = self._signin_form(request, str(err), err.status)
        else:
            # A page that moves on by itself rather than a redirect: a browser sends the SameSite=Strict session
            # cookie only on navigations this site starts, and a redirect would still be the provider's.
            target = _safe_next(next_path) or "/"
            response = HTMLResponse(self.render("signed_in.html", title="Signed in", user=None, csrf="", error=None,
                                                notice=None, path="/signin", theme=theme_of(request), target=target))
            response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                                samesite="strict", secure=_is_https(request))
        response.delete_cookie(OIDC_COOKIE, path="/signin/oidc")
        return response

    async def _signout(self, request: Request) -> Response:
        session = await self._session(request)
        form = await request.form(**_SIGNIN_FORM)
        given = form.get("csrf")  # max_files=0: never a file
        if session is not None and not tokens_match(session.csrf, given if isinstance(given, str) else None):
            return HTMLResponse("Refused: the sign-out form did not come from this site.", status_code=403)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response


async def _theme(request: Request) -> Response:
    """A link, not a form: a theme is a display preference of this browser, not farm data, so it needs no
    sign-in and no CSRF token, and works without the script."""
    choice = request.query_params.get("set", "")
    response = RedirectResponse(_safe_next(request.query_params.get("next")) or "/", status_code=303)
    if choice in THEMES:
        response.set_cookie(THEME_COOKIE, choice, max_age=365 * 86400, path="/", samesite="lax",
                            secure=_is_https(request))
    else:
        response.delete_cookie(THEME_COOKIE, path="/")
    return response


def _to_signin(request: Request) -> Response:
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"signedOut": True}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/signin?" + urllib.parse.urlencode({"next": target}), status_code=303)


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site: never another origin (an open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _error_page(page: Page, err: ServiceError) -> Response:
    status = err.status if 400 <= err.status < 600 else 500
    title = {"AccessDeniedException": "Not allowed", "ResourceNotFoundException": "Not found"}.get(
        err.code, "The API refused this")
    if page.request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"error": err.message, "code": err.code}, status_code=status)
    return page.html("error.html", status=status, title=title, message=err.message, code=err.code)
