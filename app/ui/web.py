"""The web server around the Flet app: one ASGI app serving the Flet client, plotly.js
(once, from the plotly package) and the chart pages the Progress screen shows in iframes.

Routes added in front of Flet's own (everything else goes to Flet unchanged):

- ``/_charts/plotly-<version>.min.js`` — the library, gzip when the browser accepts it,
  cached by the browser for a year (the version in the path changes with the package).
- ``/_charts/<token>`` — a chart page registered by a signed-in screen in `ChartPages`;
  ``/_charts/<token>/data`` — the figures of a page opened before they were built (the
  frame loads plotly.js while the server builds them; the request waits for them).
- ``/_charts/<token>/static/<n>.svg?w=..&h=..`` — chart n of a filled page as a static
  SVG picture (app.charts.static), for a frame where plotly.js did not run; same checks.
- ``/_charts/warm`` — no patient data, no token: plotly.js and two tiny plots, for an
  invisible frame that Flet's client page opens once Flutter has drawn (`WARM_UP_SCRIPT`
  is added to every HTML answer of the Flet app), so the first Progress screen of a fresh
  browser finds the library downloaded (same URL, cached for a year) and its code compiled.

Every answer of the Flet app gets the front door's headers (`_with_front_door`): a
Content-Security-Policy on its HTML (only this origin may frame it, scripts and
connections only from this origin, plus what Flutter's client needs: WebAssembly, blob
workers, inline bootstrap scripts, the chart frames), ``X-Content-Type-Options: nosniff``,
a ``Referrer-Policy``, and no ``Access-Control-Allow-Origin: *`` (Flet adds it to every
answer; nothing of ours is meant for other origins). The policy also keeps the client
from asking a CDN for Rive's runtime, which the app does not use (its URL is built into
Flutter's client): the browser refuses it before any request leaves.

``/assets/fonts/notocoloremoji/…`` — the colour emoji font. Flutter's client draws text
itself and fetches a font for emoji from there (`fontFallbackBaseUrl` is ``assets/fonts/``
in a no-CDN build), one file per part of Google's split of Noto Color Emoji; the app
ships the whole font once (assets/fonts/NotoColorEmoji.ttf, from Debian, SIL OFL) and
answers every part with it, so emoji show as typed, offline, instead of empty boxes.

The chart routes never read patient data: they hand back what a screen registered in
app.ui.chart_pages, under its token and checks. Pages are sent with ``no-store`` and may
only be framed by the app itself. Nothing here touches the store or the services.

Over HTTPS (the app's own TLS, or a proxy on loopback saying ``X-Forwarded-Proto: https``,
which uvicorn trusts from loopback only) every answer also gets
``Strict-Transport-Security`` and any cookie is marked ``Secure`` (`with_https_headers`):
a phone that once reached the clinic over HTTPS never falls back to plain HTTP.

The reminders' token routes (``/calendar/<token>.ics``, ``/reminders/unsubscribe/<token>``)
do call services: they live in app.ui.reminder_routes, in front of everything here.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any, Final

from app import paths
from app.charts.html import plotly_js_path
from app.charts.static import KaleidoEngine, StaticCharts
from app.jobs import Jobs
from app.ui.chart_pages import (
    PAGES,
    PLOTLY_JS_ROUTE,
    PREFIX,
    WARM_ROUTE,
    WARM_UP_SCRIPT,
    ChartPages,
    DataState,
    warm_page,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DATA_WAIT_SECONDS: Final = 30.0  # how long a frame's data request waits for the figures
_YEAR: Final = 365 * 24 * 3600
PLOTLY_JS_JOB: Final = "plotly-js"  # the background job that reads and compresses it once


# -- the ASGI wrapper --------------------------------------------------------------------


class _PlotlyJs:
    """plotly.min.js read once, with a gzip copy (1.5 MB instead of 4.8 MB over the
    network), both made by `prepare` — at start-up as a background job (app.jobs), or on
    first request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._plain: bytes | None = None
        self._gzip: bytes | None = None
        self._lock = threading.Lock()

    def prepare(self) -> tuple[bytes, bytes]:
        with self._lock:
            if self._plain is None or self._gzip is None:
                self._plain = self.path.read_bytes()
                self._gzip = gzip.compress(self._plain, 6)
            return self._plain, self._gzip

    async def body(self, gzipped: bool) -> bytes:
        plain, packed = await asyncio.to_thread(self.prepare)
        return packed if gzipped else plain


SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Flet's client page is cross-origin isolated (COEP require-corp): a framed page and
    # the script it loads must say they may be embedded by the same origin.
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


async def respond(send: Send, status: int, body: bytes, content_type: bytes,
                  extra: Sequence[tuple[bytes, bytes]] = (), head: bool = False) -> None:
    """One whole answer with the security headers (also used by app.ui.reminder_routes)."""
    headers = [(b"content-type", content_type),
               (b"content-length", str(len(body)).encode()),
               *SECURITY_HEADERS, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


HSTS: Final = (b"strict-transport-security", b"max-age=31536000")  # a year; no subdomains


def with_https_headers(inner: ASGIApp) -> ASGIApp:
    """`inner` with HSTS and ``Secure`` cookies on answers sent over HTTPS; answers over
    plain HTTP unchanged (browsers ignore HSTS there, and a Secure cookie would be lost)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await inner(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, _secure_cookie(v) if k.lower() == b"set-cookie" else v)
                           for k, v in message.get("headers", [])
                           if k.lower() != HSTS[0]]
                message = {**message, "headers": [*headers, HSTS]}
            await send(message)

        await inner(scope, receive, secured)

    return app


def _secure_cookie(value: bytes) -> bytes:
    attributes = [part.strip().lower() for part in value.split(b";")[1:]]
    return value if b"secure" in attributes else value + b"; Secure"


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


_FRAME_CSP: Final = (b"default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                     b"connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; "
                     b"frame-ancestors 'self'")
_FRAMING: Final = ((b"x-frame-options", b"SAMEORIGIN"), (b"content-security-policy", _FRAME_CSP))
_HTML: Final = b"text/html; charset=utf-8"


async def _await_data(pages: ChartPages, token: str,
                      timeout: float) -> tuple[DataState, bytes]:
    """The page's data once it is no longer pending (or `timeout` passed). Polls: the
    screen fills it from a worker thread, and no thread waits here."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pause = 0.005
    while True:
        state, data = pages.data(token)
        if state is not DataState.PENDING or loop.time() >= deadline:
            return state, data
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


# What Flet's client page may load and do. 'unsafe-inline': Flet's index.html configures
# the client in inline scripts (and the warm-up is one); 'unsafe-eval' and
# 'wasm-unsafe-eval': CanvasKit/skwasm compile WebAssembly; blob: Flutter's workers.
APP_CSP: Final = (
    b"default-src 'self'; "
    b"script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:; "
    b"worker-src 'self' blob:; child-src 'self' blob:; frame-src 'self'; "
    b"connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; font-src 'self' data: blob:; media-src 'self' data: blob:; "
    b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
_DROPPED: Final = frozenset({b"access-control-allow-origin", b"x-content-type-options",
                             b"referrer-policy"})


def _with_front_door(inner: ASGIApp) -> ASGIApp:
    """`inner` with the front door's headers on every HTTP answer (see the docstring)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in _DROPPED]
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin")]
                if any(k.lower() == b"content-type" and v.startswith(b"text/html")
                       for k, v in headers):
                    headers += [(b"content-security-policy", APP_CSP),
                                (b"x-frame-options", b"SAMEORIGIN")]
                message = {**message, "headers": headers}
            await send(message)

        await inner(scope, receive, guarded)

    return app


def _with_warm_up(inner: ASGIApp) -> ASGIApp:
    """`inner` with `WARM_UP_SCRIPT` added before ``</body>`` of its HTML answers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                html_answer = any(k.lower() == b"content-type" and v.startswith(b"text/html")
                                  for k, v in headers)
                if not html_answer or message.get("status") != 200:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if b"</body>" in body:
                body = body.replace(b"</body>", WARM_UP_SCRIPT + b"</body>", 1)
            # The page changed: drop validators that describe the original file.
            headers = [(k, v) for k, v in start.get("headers", [])
                       if k.lower() not in (b"content-length", b"etag", b"last-modified")]
            headers += [(b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-cache")]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await inner(scope, receive, rewrite)

    return app


EMOJI_ROUTE: Final = "/assets/fonts/notocoloremoji/"
EMOJI_FONT: Final = paths.ASSETS_DIR / "fonts" / "NotoColorEmoji.ttf"


def _with_emoji_font(inner: ASGIApp, font: Path = EMOJI_FONT) -> ASGIApp:
    """`inner` with the emoji font answered at every URL Flutter asks it from."""
    cached: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(EMOJI_ROUTE) or \
                not path.endswith(".woff2") or not font.is_file():
            await inner(scope, receive, send)
            return
        if not cached:
            cached.append(await asyncio.to_thread(font.read_bytes))
        await respond(send, 200, cached[0], b"font/ttf",
                       [(b"cache-control", f"public, max-age={_YEAR}, immutable".encode())],
                       scope.get("method") == "HEAD")

    return app


def with_charts(inner: ASGIApp, pages: ChartPages = PAGES,
                plotly_js: Path | None = None,
                data_wait_seconds: float = DATA_WAIT_SECONDS,
                pictures: StaticCharts | None = None, jobs: Jobs | None = None) -> ASGIApp:
    """`inner` (the Flet app) with the chart routes in front of it. With `jobs`, plotly.js
    is read and compressed once they start (else on its first request)."""
    library = _PlotlyJs(plotly_js or plotly_js_path())
    static = pictures or StaticCharts(KaleidoEngine(library.path))
    if jobs is not None:
        jobs.once(PLOTLY_JS_JOB, library.prepare)
    not_found = b"This chart is no longer available. Open the Progress screen again."
    warm_html = warm_page().encode()
    revalidate = [(b"cache-control", b"no-cache")]
    no_store = [(b"cache-control", b"no-store")]
    text = b"text/plain; charset=utf-8"
    client = _with_front_door(_with_emoji_font(_with_warm_up(inner)))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await client(scope, receive, send)
            return
        method = scope.get("method", "GET")
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await respond(send, 405, b"Method not allowed", text,
                           [(b"allow", b"GET, HEAD")])
            return
        if path == PLOTLY_JS_ROUTE:
            gzipped = b"gzip" in _header(scope, b"accept-encoding")
            body = await library.body(gzipped)
            extra = [(b"cache-control", f"public, max-age={_YEAR}, immutable".encode()),
                     (b"vary", b"accept-encoding")]
            if gzipped:
                extra.append((b"content-encoding", b"gzip"))
            await respond(send, 200, body, b"text/javascript; charset=utf-8", extra, head)
            return
        if path == WARM_ROUTE:
            await respond(send, 200, warm_html, _HTML, [*revalidate, *_FRAMING], head)
            return
        token = path[len(PREFIX):]
        if "/static/" in token:
            await _picture(scope, send, pages, static, token, head)
            return
        if token.endswith("/data"):
            state, data = await _await_data(pages, token[:-len("/data")], data_wait_seconds)
            if state is DataState.READY:
                await respond(send, 200, data, b"application/json", no_store, head)
            elif state is DataState.MISSING:
                await respond(send, 404, not_found, text, no_store, head)
            else:  # failed, or still not built: the frame says so
                await respond(send, 503, b"The charts could not be built.", text, no_store,
                               head)
            return
        page = pages.get(token)
        if page is None:
            await respond(send, 404, not_found, text, no_store, head)
            return
        await respond(send, 200, page, _HTML, [*no_store, *_FRAMING], head)

    return app


MAX_PICTURE_SIDE: Final = 4000  # px; a frame asks for its own size, clamped when drawn


def _side(query: dict[str, list[str]], key: str, default: int) -> int | None:
    """A picture's side from the query: `default` when not given, None when unusable."""
    values = query.get(key)
    if not values:
        return default
    value = values[-1]
    if not (value.isascii() and value.isdigit()) or len(value) > 5:
        return None
    return int(value) if 1 <= int(value) <= MAX_PICTURE_SIDE else None


_SVG_CSP: Final = b"default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _chart_figure(data: bytes, index: int) -> dict[str, Any] | None:
    """Chart `index` of a page's data with its x-axis window applied, as the page draws
    it; None when there is no such chart."""
    charts = json.loads(data).get("charts", [])
    if not 0 <= index < len(charts):
        return None
    chart = charts[index]
    figure: dict[str, Any] = dict(chart["figure"])
    window = chart.get("x_range")
    if window:
        layout = dict(figure.get("layout") or {})
        layout["xaxis"] = {**(layout.get("xaxis") or {}), "range": window,
                           "autorange": False}
        figure["layout"] = layout
    return figure


async def _picture(scope: Scope, send: Send, pages: ChartPages, static: StaticCharts,
                   path: str, head: bool) -> None:
    """``<token>/static/<n>.svg?w=&h=``: chart n of the page as SVG, under the page's
    token and session checks; 404 when there is no such chart, 400 for a size that is
    not 1..MAX_PICTURE_SIDE px, 503 when this picture could not be drawn just now."""
    token, _, name = path.partition("/static/")
    text = b"text/plain; charset=utf-8"
    no_store = [(b"cache-control", b"no-store")]
    state, data = pages.data(token)
    stem = name.removesuffix(".svg")
    figure = (_chart_figure(data, int(stem))
              if state is DataState.READY and name.endswith(".svg") and stem.isdigit()
              else None)
    if figure is None:
        await respond(send, 404, b"No such chart.", text, no_store, head)
        return
    query = urllib.parse.parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    width, height = _side(query, "w", 400), _side(query, "h", 340)
    if width is None or height is None:
        await respond(send, 400, b"w and h must be whole numbers of pixels from 1 to "
                       + str(MAX_PICTURE_SIDE).encode() + b".", text, no_store, head)
        return
    svg = await asyncio.to_thread(static.render, figure, width, height)
    if svg is None:
        await respond(send, 503, b"Chart pictures are unavailable just now.", text,
                       no_store, head)
        return
    await respond(send, 200, svg, b"image/svg+xml",
                   [*no_store, (b"content-security-policy", _SVG_CSP)], head)
