"""`/healthz` for the reverse proxy (issue 17): 200 "ok" while this server's store answers,
503 otherwise. Plain text, not cached, no data; the check runs off the event loop, so a slow
database never stalls the tabs this server holds."""

from __future__ import annotations

import asyncio

from app.services.health import Health
from app.ui.web import ASGIApp, Receive, Scope, Send, respond

PATH = "/healthz"
_TEXT = b"text/plain; charset=utf-8"
_NO_STORE = (b"cache-control", b"no-store")


def with_health(inner: ASGIApp, health: Health) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await inner(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if scope["method"] not in ("GET", "HEAD"):
            await respond(send, 405, b"", _TEXT, [(b"allow", b"GET, HEAD"), _NO_STORE])
            return
        report = await asyncio.to_thread(health.check)
        if report.ok:
            await respond(send, 200, b"ok\n", _TEXT, [_NO_STORE], head)
        else:
            await respond(send, 503, f"unavailable: {report.why}\n".encode(), _TEXT,
                          [_NO_STORE], head)

    return app
