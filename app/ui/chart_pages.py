"""The chart pages the Progress screen shows in an iframe: a registry of pages by
unguessable token, and the HTML of the pages themselves (plotly.js loaded once from the
app's own route, never embedded; a picture or words where it cannot run).

A screen builds the figures for its signed-in, access-checked account, renders a page and
registers it under a token (`secrets.token_urlsafe`); app.ui.web serves only what was
registered, while the token is young (10 minutes by default) and the registering session
still holds (the `still_valid` check, e.g. "the same account is still signed in in that
tab"). A page opened before its figures exist (`ChartPages.open`) holds no patient data
itself; its data follows with `fill`, under the same token and checks.

Several app servers (issue 17): the browser's request for a page may reach another
server than the one the tab's websocket uses. Once `share`d with the services'
SharedPages (only when the servers share a database), a page registered with its
`holder` is also kept there, and a server that does not know a token asks it; there the
holder's session, the viewer's access and the page's age are checked instead of the
screen's own `still_valid`.

Nothing here touches the store, and nothing here speaks HTTP.
"""

from __future__ import annotations

import enum
import html
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from app.charts.html import FIGURE_CONFIG, plotly_js_path, plotly_js_version
from app.charts.theme import palette
from app.services.shared_pages import PageHolder, SharedPages

PREFIX: Final = "/_charts/"
DEFAULT_TTL_SECONDS: Final = 600.0
DEFAULT_MAX_PAGES: Final = 1024  # a bound on memory; the oldest pages go first


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
        self._shared: SharedPages | None = None

    def share(self, pages: SharedPages) -> None:
        """Keep pages registered with a holder in `pages` too, for the other app
        servers, and ask it for tokens this process does not know; only when there are
        other servers (with one process, pages stay in this memory alone)."""
        self._shared = pages if pages.across_servers else None

    def add(self, page_html: str, still_valid: Callable[[], bool] = _always,
            holder: PageHolder | None = None) -> str:
        """Keep a page; the returned token is the only way to fetch it. `holder`: who
        registered it, for another app server's checks (not given: this process only)."""
        return self._keep(_Held(page_html.encode("utf-8"), self.clock() + self.ttl,
                                still_valid), holder)

    def open(self, page_html: str, still_valid: Callable[[], bool] = _always,
             holder: PageHolder | None = None) -> str:
        """Keep a page (see `chart_frame`) whose data follows with `fill` or `fail`."""
        return self._keep(_Held(page_html.encode("utf-8"), self.clock() + self.ttl,
                                still_valid, DataState.PENDING), holder)

    def fill(self, token: str, data: bytes) -> None:
        """The data of an opened page (ignored when the page is gone)."""
        with self._lock:
            held = self._pages.get(token)
            if held is not None and held.state is DataState.PENDING:
                held.state, held.data = DataState.READY, data
        if self._shared is not None:
            self._shared.settle(token, data)

    def fail(self, token: str) -> None:
        """The data of an opened page will not come: its frame says so at once."""
        with self._lock:
            held = self._pages.get(token)
            if held is not None and held.state is DataState.PENDING:
                held.state = DataState.FAILED
        if self._shared is not None:
            self._shared.settle(token, None)

    def data(self, token: str) -> tuple[DataState, bytes]:
        """Where the data of a page stands, under the same checks as `get`."""
        with self._lock:
            held = self._pages.get(token)
        if held is None:
            shared = self._shared.page(token) if self._shared is not None else None
            if shared is None or not shared.state:
                return DataState.MISSING, b""
            return DataState(shared.state), shared.data
        if self.get(token) is None:
            return DataState.MISSING, b""
        with self._lock:
            return held.state, held.data

    def _keep(self, held: _Held, holder: PageHolder | None) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sweep()
            self._pages[token] = held
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        if self._shared is not None and holder is not None:
            self._shared.keep(token, held.body, holder,
                              pending=held.state is DataState.PENDING)
        return token

    def get(self, token: str) -> bytes | None:
        """The page, or None when unknown, expired or no longer valid (then forgotten).
        A token this process does not know is asked of the other servers' shared pages
        (when shared)."""
        with self._lock:
            held = self._pages.get(token)
            if held is not None and held.expires <= self.clock():
                del self._pages[token]
                return None
        if held is None:
            shared = self._shared.page(token) if self._shared is not None else None
            return shared.body if shared is not None else None
        if not held.still_valid():
            self.revoke(token)
            return None
        return held.body

    def revoke(self, token: str) -> None:
        with self._lock:
            self._pages.pop(token, None)
        if self._shared is not None:
            self._shared.drop(token)

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
