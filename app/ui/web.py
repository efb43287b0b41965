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

The chart route never reads patient data. A screen builds the figures for its signed-in,
access-checked account, renders the page and registers it under an unguessable token
(`secrets.token_urlsafe`); the route only hands back what was registered, while the token
is young (10 minutes by default) and the registering session still holds (the
`still_valid` check, e.g. "the same account is still signed in in that tab"). Pages are
sent with ``no-store`` and may only be framed by the app itself. A page opened before
its figures exist (`ChartPages.open`) holds no patient data itself; its data route is
guarded by the same token and checks, and answers once the screen `fill`s it.

Nothing here touches the store or the services; `chart_page` composes HTML from figures
the caller already built.
"""

from __future__ import annotations

import asyncio
import enum
import gzip
import html
import json
import secrets
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from app.charts.html import FIGURE_CONFIG, plotly_js_path, plotly_js_version
from app.charts.static import KaleidoEngine, StaticCharts
from app.charts.theme import palette

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX: Final = "/_charts/"
DEFAULT_TTL_SECONDS: Final = 600.0
DEFAULT_MAX_PAGES: Final = 1024  # a bound on memory; the oldest pages go first
DATA_WAIT_SECONDS: Final = 30.0  # how long a frame's data request waits for the figures
_YEAR: Final = 365 * 24 * 3600


def _bundle_name() -> str:
    """Versioned, so a browser's year-long cache never serves a stale library."""
    path = plotly_js_path()
    kind = "cartesian" if path.name.startswith("plotly-cartesian") else "full"
    return f"plotly-{plotly_js_version(path)}-{kind}.min.js"


PLOTLY_JS_ROUTE: Final = f"{PREFIX}{_bundle_name()}"


# -- the registry of chart pages --------------------------------------------------------


class DataState(enum.Enum):
    """Where the data of a page stands (`ChartPages.data`)."""

    MISSING = "missing"  # unknown, expired, no longer valid, or a page without data route
    PENDING = "pending"  # opened: the screen is still building the figures
    READY = "ready"
    FAILED = "failed"


@dataclass
class _Held:
    body: bytes
    expires: float
    still_valid: Callable[[], bool]
    state: DataState = DataState.MISSING
    data: bytes = b""


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
        return self._keep(_Held(page_html.encode("utf-8"), self.clock() + self.ttl,
                                still_valid))

    def open(self, page_html: str, still_valid: Callable[[], bool] = _always) -> str:
        """Keep a page (see `chart_frame`) whose data follows with `fill` or `fail`."""
        return self._keep(_Held(page_html.encode("utf-8"), self.clock() + self.ttl,
                                still_valid, DataState.PENDING))

    def fill(self, token: str, data: bytes) -> None:
        """The data of an opened page (ignored when the page is gone)."""
        with self._lock:
            held = self._pages.get(token)
            if held is not None and held.state is DataState.PENDING:
                held.state, held.data = DataState.READY, data

    def fail(self, token: str) -> None:
        """The data of an opened page will not come: its frame says so at once."""
        with self._lock:
            held = self._pages.get(token)
            if held is not None and held.state is DataState.PENDING:
                held.state = DataState.FAILED

    def data(self, token: str) -> tuple[DataState, bytes]:
        """Where the data of a page stands, under the same checks as `get`."""
        with self._lock:
            held = self._pages.get(token)
        if held is None or self.get(token) is None:
            return DataState.MISSING, b""
        with self._lock:
            return held.state, held.data

    def _keep(self, held: _Held) -> str:
        token = secrets.token_urlsafe(32)
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
    source = f"Promise.resolve({chart_data(charts).decode('utf-8')})"
    return _page(len(charts), source, dark=dark, title=title, height_px=height_px,
                 columns=columns, gap_px=gap_px)


def chart_frame(count: int, *, dark: bool, title: str = "Charts", height_px: int = 340,
                columns: int = 1, gap_px: int = 16) -> str:
    """A `chart_page` for `count` charts without their data: register it with
    `ChartPages.open`; it fetches the figures from its own URL + ``/data`` while plotly.js
    loads, so the frame can be shown before the figures are built. No patient data in it.
    """
    source = ("fetch(location.pathname + '/data', {cache: 'no-store'}).then(function (r) "
              "{ if (!r.ok) throw new Error(r.status); return r.json(); })")
    return _page(count, source, dark=dark, title=title, height_px=height_px,
                 columns=columns, gap_px=gap_px)


def chart_data(charts: Sequence[ChartSpec]) -> bytes:
    """The figures of a page as JSON, for `ChartPages.fill` (or inline)."""
    items = [f'{{"figure": {chart.figure_json}, "x_range": '
             f'{json.dumps(list(chart.x_range)) if chart.x_range else "null"}}}'
             for chart in charts]
    return f'{{"charts": [{", ".join(items)}]}}'.encode()


def _page(count: int, source: str, *, dark: bool, title: str, height_px: int,
          columns: int, gap_px: int) -> str:
    """The page: `count` waiting boxes; `source` is a JS promise of `chart_data`, started
    before plotly.js (so a fetch overlaps the library's download and compile)."""
    p = palette(dark)
    boxes = "".join(f'<div class="chart" id="chart-{index}" role="img">'
                    f'<p class="wait">Drawing the chart…</p></div>' for index in range(count))
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
<div class="charts">{boxes}</div>
<script>window.chartData = {source};</script>
<script src="{PLOTLY_JS_ROUTE}"></script>
<script>
(function () {{
  var config = {config};
  function say(text) {{
    document.querySelectorAll('.chart').forEach(function (el) {{
      el.innerHTML = '<p class="wait">' + text + '</p>';
    }});
  }}
  function draw(id, fig, xRange) {{
    var el = document.getElementById(id);
    el.innerHTML = '';
    el.setAttribute('aria-label', (fig.layout.title && fig.layout.title.text) || 'Chart');
    var layout = Object.assign({{}}, fig.layout);
    if (xRange) {{
      layout.xaxis = Object.assign({{}}, layout.xaxis || {{}}, {{range: xRange,
        autorange: false}});
    }}
    window.Plotly.newPlot(el, fig.data || [], layout, config);
  }}
  function picture(id, index, fig) {{
    // plotly.js did not run here: the server draws the same chart as a picture.
    var el = document.getElementById(id);
    var title = (fig.layout.title && fig.layout.title.text) || 'Chart';
    var img = new Image();
    img.alt = title + ' (a picture of the chart)';
    img.style.cssText = 'display:block;width:100%;height:100%';
    img.onload = function () {{ el.innerHTML = ''; el.appendChild(img); }};
    img.onerror = function () {{
      el.innerHTML = '<p class="wait">The chart could not load here. ' +
        'The progress report has the same charts.</p>';
    }};
    img.src = location.pathname + '/static/' + index + '.svg?w=' +
      Math.round(el.clientWidth) + '&h=' + Math.round(el.clientHeight);
  }}
  window.chartData.then(function (data) {{
    if (!window.Plotly) {{
      data.charts.forEach(function (chart, index) {{
        picture('chart-' + index, index, chart.figure);
      }});
      return;
    }}
    data.charts.forEach(function (chart, index) {{
      draw('chart-' + index, chart.figure, chart.x_range);
    }});
  }}, function () {{
    say('Your charts could not be shown just now. Open the Progress screen again.');
  }});
  {_FORWARD_SCROLLING}
}})();
</script>
</body></html>
"""


WARM_ROUTE: Final = f"{PREFIX}warm"


def warm_page() -> str:
    """The hidden warm-up page: plotly.js (the very URL chart pages load) and two tiny
    plots of the kinds the charts draw, so their code is compiled too. No patient data."""
    config = json.dumps(FIGURE_CONFIG)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warm-up</title>
<style>html, body {{ margin: 0; background: transparent; overflow: hidden; }}</style>
</head><body>
<div id="a" style="width:320px;height:200px"></div>
<div id="b" style="width:320px;height:200px"></div>
<script src="{PLOTLY_JS_ROUTE}"></script>
<script>
if (window.Plotly) {{
  var config = {config};
  window.Plotly.newPlot('a', [{{type: 'scatter', mode: 'lines+markers',
    x: ['2025-01-01 08:00', '2025-01-02 08:00', '2025-01-03 08:00'], y: [5, 4, 3]}}],
    {{title: {{text: 'a'}}, shapes: [{{type: 'rect', xref: 'paper', x0: 0, x1: 1,
      y0: 2, y1: 4, line: {{width: 0}}}}],
      annotations: [{{x: '2025-01-02 08:00', y: 4, text: 'a'}}]}}, config);
  window.Plotly.newPlot('b', [{{type: 'heatmap', x: ['2025-01-06', '2025-01-13'],
    y: ['Mon', 'Tue'], z: [[1, null], [2, 1]]}}], {{}}, config);
}}
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


# Added to the Flet client's page (every text/html answer of the inner app): once the app
# has drawn its first frame and the browser is idle, an invisible frame opens the warm-up
# page and stays for the life of the tab, so the first Progress screen finds plotly.js
# downloaded and compiled. It is outside Flutter's view tree: it survives navigation and
# never takes focus (aria-hidden, tabindex -1, no pointer events).
WARM_UP_SCRIPT: Final = f"""<script>
(function () {{
  var started = false;
  function start() {{
    if (started) return;
    started = true;
    var frame = document.createElement('iframe');
    frame.src = '{WARM_ROUTE}';
    frame.title = 'Chart warm-up';
    frame.tabIndex = -1;
    frame.setAttribute('aria-hidden', 'true');
    frame.style.cssText = 'position:fixed;left:-10000px;top:0;width:320px;height:420px;' +
      'border:0;visibility:hidden;pointer-events:none';
    document.body.appendChild(frame);
  }}
  function whenIdle() {{
    if (window.requestIdleCallback) window.requestIdleCallback(start, {{timeout: 1000}});
    else setTimeout(start, 200);
  }}
  window.addEventListener('flutter-first-frame', whenIdle, {{once: true}});
  setTimeout(start, 10000);
}})();
</script>""".encode()


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


def with_charts(inner: ASGIApp, pages: ChartPages = PAGES,
                plotly_js: Path | None = None,
                data_wait_seconds: float = DATA_WAIT_SECONDS,
                pictures: StaticCharts | None = None) -> ASGIApp:
    """`inner` (the Flet app) with the chart routes in front of it."""
    library = _PlotlyJs(plotly_js or plotly_js_path())
    static = pictures or StaticCharts(KaleidoEngine(library.path))
    threading.Thread(target=library.prepare, name="plotly-js", daemon=True).start()
    not_found = b"This chart is no longer available. Open the Progress screen again."
    warm_html = warm_page().encode()
    revalidate = [(b"cache-control", b"no-cache")]
    no_store = [(b"cache-control", b"no-store")]
    text = b"text/plain; charset=utf-8"
    client = _with_warm_up(inner)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await client(scope, receive, send)
            return
        method = scope.get("method", "GET")
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"Method not allowed", text,
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
        if path == WARM_ROUTE:
            await _respond(send, 200, warm_html, _HTML, [*revalidate, *_FRAMING], head)
            return
        token = path[len(PREFIX):]
        if "/static/" in token:
            await _picture(scope, send, pages, static, token, head)
            return
        if token.endswith("/data"):
            state, data = await _await_data(pages, token[:-len("/data")], data_wait_seconds)
            if state is DataState.READY:
                await _respond(send, 200, data, b"application/json", no_store, head)
            elif state is DataState.MISSING:
                await _respond(send, 404, not_found, text, no_store, head)
            else:  # failed, or still not built: the frame says so
                await _respond(send, 503, b"The charts could not be built.", text, no_store,
                               head)
            return
        page = pages.get(token)
        if page is None:
            await _respond(send, 404, not_found, text, no_store, head)
            return
        await _respond(send, 200, page, _HTML, [*no_store, *_FRAMING], head)

    return app


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
    token and session checks; 404 when there is no such chart, 503 when pictures are
    unavailable just now."""
    token, _, name = path.partition("/static/")
    text = b"text/plain; charset=utf-8"
    no_store = [(b"cache-control", b"no-store")]
    state, data = pages.data(token)
    stem = name.removesuffix(".svg")
    figure = (_chart_figure(data, int(stem))
              if state is DataState.READY and name.endswith(".svg") and stem.isdigit()
              else None)
    if figure is None:
        await _respond(send, 404, b"No such chart.", text, no_store, head)
        return
    query = urllib.parse.parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))

    def side(key: str, default: int) -> int:
        value = query.get(key, [""])[0]
        return int(value) if value.isdigit() else default

    svg = await asyncio.to_thread(static.render, figure, side("w", 400), side("h", 340))
    if svg is None:
        await _respond(send, 503, b"Chart pictures are unavailable just now.", text,
                       no_store, head)
        return
    await _respond(send, 200, svg, b"image/svg+xml",
                   [*no_store, (b"content-security-policy", _SVG_CSP)], head)


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
