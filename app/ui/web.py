"""The web server around the Flet app: one ASGI app serving the Flet client, plotly.js
(once, from the plotly package) and the chart pages the Progress screen shows in iframes.

Routes added in front of Flet's own (everything else goes to Flet unchanged):

- ``/_charts/plotly-<version>.min.js`` — the library, gzip when the browser accepts it,
  cached by the browser for a year (the version in the path changes with the package).
- ``/_charts/<token>`` — a chart page registered by a signed-in screen in `ChartPages`.

The chart route never reads patient data. A screen builds the figures for its signed-in,
access-checked account, renders the page and registers it under an unguessable token
(`secrets.token_urlsafe`); the route only hands back what was registered, while the token
is young (10 minutes by default) and the registering session still holds (the
`still_valid` check, e.g. "the same account is still signed in in that tab"). Pages are
sent with ``no-store`` and may only be framed by the app itself.

Nothing here touches the store or the services; `chart_page` composes HTML from figures
the caller already built.
"""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from app.charts.html import FIGURE_CONFIG, plotly_js_path
from app.charts.theme import palette

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX: Final = "/_charts/"
DEFAULT_TTL_SECONDS: Final = 600.0
DEFAULT_MAX_PAGES: Final = 1024  # a bound on memory; the oldest pages go first
_YEAR: Final = 365 * 24 * 3600


def _plotly_version() -> str:
    from importlib.metadata import version

    return version("plotly")


PLOTLY_JS_ROUTE: Final = f"{PREFIX}plotly-{_plotly_version()}.min.js"


# -- the registry of chart pages --------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    body: bytes
    expires: float
    still_valid: Callable[[], bool]


def _always() -> bool:
    return True


class ChartPages:
    """Rendered chart pages by random token, for a limited time. Thread-safe: screens
    register from worker threads, the server reads on the event loop."""

    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_pages: int = DEFAULT_MAX_PAGES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.max_pages = max_pages
        self.clock = clock
        self._pages: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, page_html: str, still_valid: Callable[[], bool] = _always) -> str:
        """Keep a page; the returned token is the only way to fetch it."""
        token = secrets.token_urlsafe(32)
        held = _Held(page_html.encode("utf-8"), self.clock() + self.ttl, still_valid)
        with self._lock:
            self._sweep()
            self._pages[token] = held
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return token

    def get(self, token: str) -> bytes | None:
        """The page, or None when unknown, expired or no longer valid (then forgotten)."""
        with self._lock:
            held = self._pages.get(token)
            if held is None:
                return None
            if held.expires <= self.clock():
                del self._pages[token]
                return None
        if not held.still_valid():
            self.revoke(token)
            return None
        return held.body

    def revoke(self, token: str) -> None:
        with self._lock:
            self._pages.pop(token, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def _sweep(self) -> None:
        now = self.clock()
        for token in [t for t, held in self._pages.items() if held.expires <= now]:
            del self._pages[token]


# The process's registry: the server and the screens share it.
PAGES: Final = ChartPages()


# -- chart page HTML ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """One chart of a page: the figure as Plotly JSON and an optional x-axis window
    (ISO dates) applied on top of the figure's own layout, so the shared, cached figure
    is never changed."""

    figure_json: str
    x_range: tuple[str, str] | None = None


def chart_page(charts: Sequence[ChartSpec], *, dark: bool, title: str = "Charts",
               height_px: int = 340, columns: int = 1, gap_px: int = 16) -> str:
    """One page with every chart (one copy of plotly.js to parse, not one per chart), in
    `columns` columns of `height_px` high boxes: `page_height` says how tall it is.

    While the charts draw, each box says so; if plotly.js cannot run, the box says that
    instead of staying blank.
    """
    p = palette(dark)
    parts: list[str] = []
    script: list[str] = []
    for index, chart in enumerate(charts):
        div = f"chart-{index}"
        parts.append(f'<div class="chart" id="{div}" role="img">'
                     f'<p class="wait">Drawing the chart…</p></div>')
        x_range = json.dumps(list(chart.x_range)) if chart.x_range else "null"
        script.append(f"draw({json.dumps(div)}, {chart.figure_json}, {x_range});")
    config = json.dumps(FIGURE_CONFIG)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
html, body {{ margin: 0; padding: 0; background: {p.paper}; color: {p.text};
  font: 14px Roboto, 'Segoe UI', Helvetica, Arial, sans-serif; overflow: hidden;
  touch-action: none; }}
.charts {{ display: grid; grid-template-columns: repeat({columns}, minmax(0, 1fr));
  gap: {gap_px}px; }}
.chart {{ height: {height_px}px; min-width: 0; }}
.wait {{ margin: 0; padding: 24px 8px; color: {p.muted}; }}
</style></head><body>
<div class="charts">{"".join(parts)}</div>
<script src="{PLOTLY_JS_ROUTE}"></script>
<script>
(function () {{
  var config = {config};
  function draw(id, fig, xRange) {{
    var el = document.getElementById(id);
    if (!window.Plotly) {{
      el.innerHTML = '<p class="wait">The interactive chart could not load here. ' +
        'The progress report has the same charts.</p>';
      return;
    }}
    el.innerHTML = '';
    el.setAttribute('aria-label', (fig.layout.title && fig.layout.title.text) || 'Chart');
    var layout = Object.assign({{}}, fig.layout);
    if (xRange) {{
      layout.xaxis = Object.assign({{}}, layout.xaxis || {{}}, {{range: xRange,
        autorange: false}});
    }}
    window.Plotly.newPlot(el, fig.data || [], layout, config);
  }}
  {" ".join(script)}
  {_FORWARD_SCROLLING}
}})();
</script>
</body></html>
"""


def page_height(count: int, *, height_px: int, columns: int = 1, gap_px: int = 16) -> int:
    """The height of a `chart_page` with `count` charts (the frame must be this tall)."""
    rows = -(-count // columns)
    return rows * height_px + max(0, rows - 1) * gap_px


# The page is framed by the Flutter app, which scrolls by listening to pointer and wheel
# events on its own element: events over the frame never reach it, so a phone user's
# drag (or a mouse wheel) resting on a chart would not scroll the screen. Hand them to
# the host at the same place on screen. Taps still reach Plotly (hover labels).
_FORWARD_SCROLLING: Final = """
  var frame = null, host = null;
  try {
    frame = window.frameElement;
    host = frame && window.parent.document.querySelector('flutter-view, flt-glass-pane');
  } catch (e) { host = null; }  // framed by another origin: leave events alone
  if (host) {
    var ParentPointer = window.parent.PointerEvent, ParentWheel = window.parent.WheelEvent;
    var forward = function (event, make) {
      var box = frame.getBoundingClientRect();
      host.dispatchEvent(make(box));
    };
    window.addEventListener('wheel', function (event) {
      forward(event, function (box) { return new ParentWheel('wheel', {
        bubbles: true, cancelable: true, composed: true, deltaX: event.deltaX,
        deltaY: event.deltaY, deltaMode: event.deltaMode,
        clientX: event.clientX + box.left, clientY: event.clientY + box.top,
        screenX: event.screenX, screenY: event.screenY}); });
      event.preventDefault();
    }, {passive: false});
    ['pointerdown', 'pointermove', 'pointerup', 'pointercancel'].forEach(function (type) {
      window.addEventListener(type, function (event) {
        if (event.pointerType !== 'touch') return;
        forward(event, function (box) { return new ParentPointer(type, {
          bubbles: true, cancelable: true, composed: true, pointerId: event.pointerId,
          pointerType: 'touch', isPrimary: event.isPrimary, button: event.button,
          buttons: event.buttons, pressure: event.pressure, width: event.width,
          height: event.height, clientX: event.clientX + box.left,
          clientY: event.clientY + box.top, screenX: event.screenX,
          screenY: event.screenY}); });
      }, true);
    });
  }
"""


def date_window(start: date, end: date) -> tuple[str, str]:
    """An x-axis window covering whole days from `start` to `end`."""
    return (f"{start.isoformat()} 00:00", f"{end.isoformat()} 23:59")


# -- the ASGI wrapper --------------------------------------------------------------------


class _PlotlyJs:
    """plotly.min.js read once, with a gzip copy (1.5 MB instead of 4.8 MB over the
    network), both made by `prepare` — at start-up in a thread, or on first request."""

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


_SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Flet's client page is cross-origin isolated (COEP require-corp): a framed page and
    # the script it loads must say they may be embedded by the same origin.
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes,
                   extra: Sequence[tuple[bytes, bytes]] = (), head: bool = False) -> None:
    headers = [(b"content-type", content_type),
               (b"content-length", str(len(body)).encode()),
               *_SECURITY_HEADERS, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def with_charts(inner: ASGIApp, pages: ChartPages = PAGES,
                plotly_js: Path | None = None) -> ASGIApp:
    """`inner` (the Flet app) with the chart routes in front of it."""
    library = _PlotlyJs(plotly_js or plotly_js_path())
    threading.Thread(target=library.prepare, name="plotly-js", daemon=True).start()
    not_found = b"This chart is no longer available. Open the Progress screen again."

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await inner(scope, receive, send)
            return
        method = scope.get("method", "GET")
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"Method not allowed", b"text/plain; charset=utf-8",
                           [(b"allow", b"GET, HEAD")])
            return
        if path == PLOTLY_JS_ROUTE:
            gzipped = b"gzip" in _header(scope, b"accept-encoding")
            body = await library.body(gzipped)
            extra = [(b"cache-control", f"public, max-age={_YEAR}, immutable".encode()),
                     (b"vary", b"accept-encoding")]
            if gzipped:
                extra.append((b"content-encoding", b"gzip"))
            await _respond(send, 200, body, b"text/javascript; charset=utf-8", extra, head)
            return
        page = pages.get(path[len(PREFIX):])
        no_store = [(b"cache-control", b"no-store")]
        if page is None:
            await _respond(send, 404, not_found, b"text/plain; charset=utf-8", no_store, head)
            return
        framing = [*no_store,
                   (b"x-frame-options", b"SAMEORIGIN"),
                   (b"content-security-policy",
                    b"default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                    b"style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")]
        await _respond(send, 200, page, b"text/html; charset=utf-8", framing, head)

    return app


def chart_base_url(page_url: str | None) -> str | None:
    """The http(s) origin the browser reached the app on, from Flet's page URL (the
    websocket's, e.g. ``ws://127.0.0.1:8550``); None when not served over the web."""
    if not page_url:
        return None
    scheme, sep, rest = page_url.partition("://")
    schemes: Mapping[str, str] = {"ws": "http", "wss": "https", "http": "http",
                                  "https": "https"}
    if not sep or scheme not in schemes:
        return None
    host = rest.split("/", 1)[0]
    return f"{schemes[scheme]}://{host}" if host else None
