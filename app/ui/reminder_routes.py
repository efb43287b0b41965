"""The two addresses reminders send out, answered in front of the Flet app, without
sign-in: the secret token in the address is the proof (docs/reminders.md).

- ``GET /calendar/<token>.ics`` — the patient's calendar feed (app.services.calendar_feed)
  for a phone's calendar to subscribe to. An unknown, replaced or revoked token, and one
  that cannot be a token at all, get the same empty 404: nothing tells them apart.
- ``/reminders/unsubscribe/<token>`` — the link at the foot of every reminder email.
  ``GET`` only shows a page with a button: mail scanners and link previews open links,
  and must not switch a patient's emails off. The button ``POST``s to the same address
  (so does a mail client's one-click unsubscribe, RFC 8058), which turns email reminders
  off and answers "Email reminders are off" whatever the token was, so the page never
  says whether an address is a patient's.

Tokens are never logged (the server's access log is off, app.ui.server) and a failure is
logged by its type only. Input that cannot be a token (too long, not URL-safe ASCII) is
refused before any service is asked; a method these routes do not answer gets 405.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Final

from app.domain.errors import NotFound
from app.services.calendar_feed import CalendarFeedService
from app.services.reminders import ReminderService
from app.ui.web import ASGIApp, Receive, Scope, Send, respond

log = logging.getLogger("backtrack.web")

CALENDAR_PREFIX: Final = "/calendar/"
UNSUBSCRIBE_PREFIX: Final = "/reminders/unsubscribe/"
# What secrets.token_urlsafe makes (32 bytes → 43 characters for feeds, 24 → 32 for
# unsubscribe links), with room to spare; anything else was never handed out.
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_FORM_BYTES: Final = 16 * 1024  # a one-click unsubscribe sends ~26 bytes

_NO_STORE: Final = (b"cache-control", b"private, no-store")
_CALENDAR: Final = b"text/calendar; charset=utf-8"
_TEXT: Final = b"text/plain; charset=utf-8"
_HTML: Final = b"text/html; charset=utf-8"
# The pages hold no script, load nothing, and may not be framed (a framed button could
# be clicked by a trick); their one form posts back to this server.
_PAGE_CSP: Final = (b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                    b"base-uri 'none'; frame-ancestors 'none'")
_PAGE_HEADERS: Final = (_NO_STORE, (b"content-security-policy", _PAGE_CSP),
                        (b"x-frame-options", b"DENY"))


def with_reminder_routes(inner: ASGIApp, calendar: CalendarFeedService,
                         reminders: ReminderService) -> ASGIApp:
    """`inner` with the calendar feed and unsubscribe routes in front of it."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await inner(scope, receive, send)
        elif path.startswith(CALENDAR_PREFIX):
            await _calendar_feed(scope, send, calendar, path[len(CALENDAR_PREFIX):])
        elif path.startswith(UNSUBSCRIBE_PREFIX):
            await _unsubscribe(scope, receive, send, reminders,
                               path[len(UNSUBSCRIBE_PREFIX):])
        else:
            await inner(scope, receive, send)

    return app


def _token(text: str) -> str | None:
    return text if _TOKEN.fullmatch(text) else None


async def _calendar_feed(scope: Scope, send: Send, calendar: CalendarFeedService,
                         name: str) -> None:
    method = scope.get("method", "GET")
    head = method == "HEAD"
    if method not in ("GET", "HEAD"):
        await respond(send, 405, b"", _TEXT, [(b"allow", b"GET, HEAD"), _NO_STORE])
        return
    token = _token(name.removesuffix(".ics")) if name.endswith(".ics") else None
    try:
        feed = await asyncio.to_thread(calendar.feed, token) if token else None
    except NotFound:
        feed = None
    except Exception as exc:  # the store unavailable, a bug: say so, log no token
        log.error("calendar feed failed (%s)", type(exc).__name__)
        await respond(send, 503, b"", _TEXT, [_NO_STORE], head)
        return
    if feed is None:
        await respond(send, 404, b"", _TEXT, [_NO_STORE], head)
        return
    await respond(send, 200, feed, _CALENDAR, [_NO_STORE], head)


async def _unsubscribe(scope: Scope, receive: Receive, send: Send,
                       reminders: ReminderService, name: str) -> None:
    method = scope.get("method", "GET")
    head = method == "HEAD"
    if method not in ("GET", "HEAD", "POST"):
        await respond(send, 405, b"", _TEXT, [(b"allow", b"GET, HEAD, POST"), _NO_STORE])
        return
    token = _token(name)
    if token is None:
        await respond(send, 404, NOT_A_LINK_PAGE, _HTML, _PAGE_HEADERS, head)
        return
    if method != "POST":
        await respond(send, 200, ASK_PAGE, _HTML, _PAGE_HEADERS, head)
        return
    if not await _read_form(receive):
        await respond(send, 413, b"", _TEXT, [_NO_STORE])
        return
    try:
        await asyncio.to_thread(reminders.unsubscribe, token)
    except Exception as exc:
        log.error("unsubscribe failed (%s)", type(exc).__name__)
        await respond(send, 503, TRY_AGAIN_PAGE, _HTML, _PAGE_HEADERS)
        return
    await respond(send, 200, DONE_PAGE, _HTML, _PAGE_HEADERS)


async def _read_form(receive: Receive) -> bool:
    """Read (and drop) the posted form: nothing in it matters, the token is in the path.
    False when it is larger than any form these pages send, or the client went away."""
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        size += len(message.get("body", b""))
        if size > MAX_FORM_BYTES:
            return False
        if not message.get("more_body", False):
            return True


def _page(title: str, *paragraphs: str, form: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"robots\" content=\"noindex\">"
        f"<title>{title} · BackTrack</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{title}</h1>{body}{form}</main></body></html>").encode()


_STYLE: Final = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f6f7f9;color:#1b1c1e;line-height:1.5}"
    "main{max-width:32rem;margin:10vh auto;padding:1.5rem;background:#fff;"
    "border:1px solid #d8dadf;border-radius:16px}"
    "h1{font-size:1.4rem;margin:0 0 .75rem}"
    "button{font:inherit;font-weight:600;min-height:48px;padding:0 1.5rem;border:0;"
    "border-radius:24px;background:#2d5f8b;color:#fff;cursor:pointer}"
    "a{color:#2d5f8b}"
    "@media(prefers-color-scheme:dark){body{background:#121316;color:#e3e3e6}"
    "main{background:#1c1d21;border-color:#3a3c42}button{background:#9ccaff;"
    "color:#00325a}a{color:#9ccaff}}")

ASK_PAGE: Final = _page(
    "Stop reminder emails?",
    "BackTrack will stop emailing you when there is a reminder from your clinic. "
    "Reminders still appear in the app, and you can turn emails back on in its settings.",
    form="<form method=\"post\"><button type=\"submit\">Turn off email reminders</button>"
         "</form>")
DONE_PAGE: Final = _page(
    "Email reminders are off",
    "You will get no more reminder emails from BackTrack. Reminders still appear in the "
    "app, and you can turn emails back on in its settings.",
    "<a href=\"../../\">Open BackTrack</a>")
NOT_A_LINK_PAGE: Final = _page(
    "This link is not complete",
    "Open the unsubscribe link from the email again, or turn reminder emails off in "
    "BackTrack's settings.")
TRY_AGAIN_PAGE: Final = _page(
    "Email reminders could not be turned off just now",
    "Please try again in a few minutes, or turn reminder emails off in BackTrack's "
    "settings.")
