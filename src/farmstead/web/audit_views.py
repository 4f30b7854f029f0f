"""The audit log page (docs/audit.md): administrators filter it by user, resource, operation and day, as
`farmstead audit` does; the newest entries last, at most LIMIT of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from farmstead.store.audit import AuditFilter
from farmstead.web.page import Page

LIMIT = 500


def audit_log(page: Page) -> Response:
    query = page.request.query_params
    fields = {name: query.get(name, "").strip() for name in ("user", "resource", "operation", "since", "until")}
    errors = []
    days: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = datetime.strptime(fields[name], "%Y-%m-%d").replace(tzinfo=UTC) if fields[name] else None
        except ValueError:
            errors.append(f"{name}: a day as YYYY-MM-DD")
            days[name] = None
    until = days["until"] + timedelta(days=1) if days["until"] else None  # the whole day given
    where = AuditFilter(fields["user"] or None, fields["resource"] or None, fields["operation"] or None,
                        days["since"], until)
    events = page.api.audit_events(page.caller, where, LIMIT)
    return page.html("audit.html", title="Audit log", crumbs=[("Farms", "/")], events=events, fields=fields,
                     errors=errors, limit=LIMIT)
