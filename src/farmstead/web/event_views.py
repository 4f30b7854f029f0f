"""The Events page (docs/events.md, docs/web.md): subscriptions to the farm's events, their latest
deliveries and failures, and a form to subscribe or remove, as `farmstead events` does.

Who may do what is web/calls.py's (`Api.subscriptions`, `.subscribe`, `.unsubscribe`): administrators
see and manage every subscription, webhooks included; anyone else sees the e-mail subscriptions they
made, and may mail themselves a job's end (a job they can see) or a queue's or farm's (one they
manage). Forms carry the session's CSRF token (web/app.py checks it on every POST).
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from farmstead.domain import events
from farmstead.web.page import Page, set_notice

#: Delivery attempts shown, newest first.
DELIVERIES_SHOWN = 50


def events_page(page: Page) -> Response:
    subscriptions, deliveries = page.api.subscriptions(page.caller, DELIVERIES_SHOWN)
    query = page.request.query_params
    prefill = {name: query.get(name, "") for name in ("farm_id", "queue_id", "job_id")}
    return page.html("events.html", title="Events", crumbs=[("Farms", "/")], subscriptions=subscriptions,
                     deliveries=deliveries, detail_types=events.DETAIL_TYPES, prefill=prefill,
                     may_webhook=page.caller.is_admin, email_default=events.EMAIL_DEFAULT_DETAIL_TYPES[0])


def subscribe(page: Page) -> Response:
    form = page.form
    back = RedirectResponse("/events", 303)
    farm_id = form.get("farm_id", "").strip()
    if not farm_id:
        return set_notice(back, "error", "A farm id is needed.")
    destination = form.get("destination", "").strip()
    by_email = not destination.startswith(("http://", "https://"))  # else an address (checked by domain.events)
    try:
        made = page.api.subscribe(
            page.caller, farm_id=farm_id, queue_id=form.get("queue_id", "").strip() or None,
            job_id=form.get("job_id", "").strip() or None,
            detail_types=[t for t in page.form_lists.get("detail_type", []) if t in events.DETAIL_TYPES],
            url=None if by_email else destination, email=destination if by_email else None)
    except ValueError as error:
        return set_notice(back, "error", str(error))
    text = f"Subscribed: {made.subscription_id}."
    if made.secret_shown:
        text += f" Its signing secret (shown once): {made.secret_shown}"
    return set_notice(back, "ok", text)


def unsubscribe(page: Page) -> Response:
    subscription_id = page.form.get("subscription_id", "")
    page.api.unsubscribe(page.caller, subscription_id)
    return set_notice(RedirectResponse("/events", 303), "ok", f"{subscription_id} removed.")
