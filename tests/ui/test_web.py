"""The chart routes in front of the Flet app and the registry of chart pages: plotly.js
served once and cached, pages only by a live token, nothing else passes through."""

from __future__ import annotations

import asyncio
import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.charts.static import StaticCharts
from app.ui.web import (
    PLOTLY_JS_ROUTE,
    PREFIX,
    WARM_ROUTE,
    WARM_UP_SCRIPT,
    ASGIApp,
    ChartPages,
    ChartSpec,
    DataState,
    Receive,
    Scope,
    Send,
    chart_base_url,
    chart_data,
    chart_frame,
    chart_page,
    date_window,
    page_height,
    with_charts,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CLIENT_PAGE = b"<!DOCTYPE html><html><head></head><body><script>flutter()</script></body></html>"


async def flet_stand_in(scope: Scope, receive: Receive, send: Send) -> None:
    """What Flet's ASGI app would answer: everything that is not a chart route; its
    client page (``/`` and app routes) as HTML in two parts, with validators."""
    if scope["type"] != "http":
        return
    if scope["path"] in ("/", "/progress/"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(CLIENT_PAGE)).encode()),
                                (b"etag", b'"flet-etag"'), (b"last-modified", b"yesterday")]})
        await send({"type": "http.response.body", "body": CLIENT_PAGE[:40],
                    "more_body": True})
        await send({"type": "http.response.body", "body": CLIENT_PAGE[40:]})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"flet:" + scope["path"].encode()})


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "plotly.min.js"
    path.write_text("/* plotly */ window.Plotly = {};" * 100, encoding="utf-8")
    return path


@pytest.fixture
def pages() -> ChartPages:
    return ChartPages(ttl_seconds=60, max_pages=3, clock=Clock())


class Client:
    """Plain HTTP requests straight into the ASGI app (no server, no lifespan)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str] | None = None
                ) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://testserver") as client:
                response = await client.request(method, path, headers=headers)
                await response.aread()
                return response

        # A thread of its own: Playwright's sync API (e2e tests in the same run) keeps an
        # event loop running in the main thread.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, send()).result()

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers)

    def head(self, path: str) -> httpx.Response:
        return self.request("HEAD", path)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path)


@pytest.fixture
def client(pages: ChartPages, library: Path) -> Client:
    return Client(with_charts(flet_stand_in, pages, library, data_wait_seconds=0.2))


# -- the registry -----------------------------------------------------------------------


def test_a_page_is_found_by_its_token_only(pages: ChartPages) -> None:
    token = pages.add("<p>chart</p>")
    assert len(token) >= 40
    assert pages.get(token) == b"<p>chart</p>"
    assert pages.get(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert pages.add("<p>chart</p>") != token


def test_pages_expire(pages: ChartPages) -> None:
    clock = pages.clock
    assert isinstance(clock, Clock)
    token = pages.add("x")
    clock.now += 59
    assert pages.get(token) == b"x"
    clock.now += 2
    assert pages.get(token) is None
    assert len(pages) == 0


def test_a_page_ends_with_the_session_that_made_it(pages: ChartPages) -> None:
    signed_in = {"yes": True}
    token = pages.add("x", still_valid=lambda: signed_in["yes"])
    assert pages.get(token) == b"x"
    signed_in["yes"] = False
    assert pages.get(token) is None
    signed_in["yes"] = True
    assert pages.get(token) is None  # forgotten, not merely hidden


def test_the_registry_is_bounded(pages: ChartPages) -> None:
    tokens = [pages.add(str(n)) for n in range(5)]
    assert len(pages) == 3
    assert [pages.get(t) for t in tokens] == [None, None, b"2", b"3", b"4"]


# -- the routes -------------------------------------------------------------------------


def test_everything_else_goes_to_flet(client: Client) -> None:
    assert client.get("/today").text == "flet:/today"
    assert client.get("/progress").text == "flet:/progress"
    assert client.get("/_chartsX").text == "flet:/_chartsX"


def test_plotly_js_is_served_gzipped_and_cached(client: Client, library: Path) -> None:
    response = client.get(PLOTLY_JS_ROUTE, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == library.read_bytes()  # the client unzips it
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    plain = client.get(PLOTLY_JS_ROUTE, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == library.read_bytes()
    assert int(response.headers["content-length"]) == len(
        gzip.compress(library.read_bytes(), 6))


def test_a_chart_page_is_served_once_registered(client: Client,
                                                pages: ChartPages) -> None:
    token = pages.add("<html>chart</html>")
    response = client.get(PREFIX + token)
    assert response.status_code == 200
    assert response.text == "<html>chart</html>"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert client.head(PREFIX + token).status_code == 200


def test_unknown_tokens_and_other_methods_are_refused(client: Client) -> None:
    missing = client.get(PREFIX + "not-a-token")
    assert missing.status_code == 404
    assert "Progress screen" in missing.text
    assert client.post(PREFIX + "anything").status_code == 405


# -- the page ---------------------------------------------------------------------------


def test_chart_page_loads_the_served_library_and_no_copy_of_it() -> None:
    figure = json.dumps({"data": [{"type": "scatter", "x": [1], "y": [2]}],
                         "layout": {"title": {"text": "Pain"}}})
    page = chart_page([ChartSpec(figure, ("2025-01-01 00:00", "2025-01-28 23:59")),
                       ChartSpec(figure)], dark=True, height_px=300, columns=2)
    assert page.count(f'<script src="{PLOTLY_JS_ROUTE}">') == 1
    assert len(page) < 20_000
    assert page.count('class="chart"') == 2
    assert '["2025-01-01 00:00", "2025-01-28 23:59"]' in page
    assert "repeat(2, minmax(0, 1fr))" in page


def test_page_height_fits_the_grid() -> None:
    assert page_height(4, height_px=400, columns=1, gap_px=16) == 4 * 400 + 3 * 16
    assert page_height(4, height_px=400, columns=2, gap_px=16) == 2 * 400 + 16
    assert page_height(3, height_px=100, columns=2, gap_px=10) == 210


def test_date_window_covers_whole_days() -> None:
    from datetime import date

    assert date_window(date(2025, 1, 1), date(2025, 1, 28)) == (
        "2025-01-01 00:00", "2025-01-28 23:59")


@pytest.mark.parametrize(("page_url", "base"), [
    ("ws://127.0.0.1:8550", "http://127.0.0.1:8550"),
    ("wss://clinic.example.org/ws", "https://clinic.example.org"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("tcp://127.0.0.1:1234", None),
    ("", None),
    (None, None),
])
def test_chart_base_url(page_url: str | None, base: str | None) -> None:
    assert chart_base_url(page_url) == base


# -- pages opened before their figures exist --------------------------------------------


def test_an_opened_page_gets_its_data_later(pages: ChartPages) -> None:
    token = pages.open("<p>frame</p>")
    assert pages.get(token) == b"<p>frame</p>"
    assert pages.data(token) == (DataState.PENDING, b"")
    pages.fill(token, b'{"charts": []}')
    assert pages.data(token) == (DataState.READY, b'{"charts": []}')
    pages.fail(token)  # too late: the data stays
    assert pages.data(token)[0] is DataState.READY
    assert pages.data(pages.add("x"))[0] is DataState.MISSING
    assert pages.data("not-a-token")[0] is DataState.MISSING


def test_opened_data_ends_with_the_session(pages: ChartPages) -> None:
    signed_in = {"yes": True}
    token = pages.open("x", still_valid=lambda: signed_in["yes"])
    pages.fill(token, b"{}")
    signed_in["yes"] = False
    assert pages.data(token)[0] is DataState.MISSING
    assert pages.get(token) is None


def test_the_data_route_waits_for_the_figures(client: Client, pages: ChartPages) -> None:
    token = pages.open("<html>frame</html>")
    pending = client.get(PREFIX + token + "/data")  # never filled: gives up
    assert pending.status_code == 503
    pages.fill(token, b'{"charts": [1]}')
    ready = client.get(PREFIX + token + "/data")
    assert ready.status_code == 200
    assert ready.json() == {"charts": [1]}
    assert ready.headers["cache-control"] == "no-store"
    failed = pages.open("x")
    pages.fail(failed)
    assert client.get(PREFIX + failed + "/data").status_code == 503
    assert client.get(PREFIX + "not-a-token/data").status_code == 404
    assert client.get(PREFIX + pages.add("x") + "/data").status_code == 404


def test_the_warm_up_page_needs_no_token_and_holds_no_data(client: Client) -> None:
    response = client.get(WARM_ROUTE)
    assert response.status_code == 200
    assert response.text.count(f'<script src="{PLOTLY_JS_ROUTE}">') == 1
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"


def test_a_chart_frame_fetches_its_data_and_holds_none() -> None:
    page = chart_frame(4, dark=False, height_px=300, columns=2)
    assert page.count('class="chart"') == 4
    assert "location.pathname + '/data'" in page
    # The data request starts before plotly.js, so the two overlap.
    assert page.index("location.pathname") < page.index(f'<script src="{PLOTLY_JS_ROUTE}">')
    assert '"figure"' not in page


@pytest.mark.parametrize("path", ["/", "/progress/"])
def test_the_client_page_starts_the_warm_up_once_flutter_has_drawn(client: Client,
                                                                   path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = response.content
    assert body.count(WARM_UP_SCRIPT) == 1
    assert body.index(WARM_UP_SCRIPT) > body.index(b"flutter()")  # after Flet's own scripts
    assert body.endswith(b"</body></html>")
    assert int(response.headers["content-length"]) == len(body)
    # Validators of Flet's file no longer describe this page.
    assert "etag" not in response.headers
    assert "last-modified" not in response.headers
    script = WARM_UP_SCRIPT.decode()
    assert f"'{WARM_ROUTE}'" in script
    assert "flutter-first-frame" in script
    assert "aria-hidden" in script and "tabIndex = -1" in script


def test_other_answers_pass_through_unchanged(client: Client) -> None:
    response = client.get("/assets/logo.txt")
    assert response.text == "flet:/assets/logo.txt"
    assert WARM_UP_SCRIPT.decode() not in client.get(WARM_ROUTE).text


# -- static pictures where plotly.js did not run -----------------------------------------


class Pictures(StaticCharts):
    """Draws a stand-in SVG naming the figure's title, x window and size (or nothing)."""

    def __init__(self, available: bool = True) -> None:
        super().__init__(self.draw)
        self.available = available

    def draw(self, figure: dict[str, Any], width: int, height: int) -> bytes:
        if not self.available:
            raise RuntimeError("no browser")
        window = figure["layout"].get("xaxis", {}).get("range")
        return (f'<svg data-title="{figure["layout"]["title"]}" data-window="{window}" '
                f'width="{width}" height="{height}"></svg>').encode()


def pictures_client(pages: ChartPages, library: Path, pictures: Pictures) -> Client:
    return Client(with_charts(flet_stand_in, pages, library, data_wait_seconds=0.2,
                              pictures=pictures))


def filled(pages: ChartPages) -> str:
    token = pages.open(chart_frame(2, dark=False))
    pages.fill(token, chart_data([
        ChartSpec('{"data": [], "layout": {"title": "Pain"}}', ("2026-01-01 00:00",
                                                               "2026-02-01 23:59")),
        ChartSpec('{"data": [], "layout": {"title": "Soreness"}}'),
    ]))
    return token


def test_a_chart_is_served_as_a_picture_under_its_pages_token(pages: ChartPages,
                                                              library: Path) -> None:
    client = pictures_client(pages, library, Pictures())
    token = filled(pages)
    response = client.get(f"{PREFIX}{token}/static/0.svg?w=380&h=400")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    # The page's x window is applied, as the interactive chart applies it.
    assert response.text == ('<svg data-title="Pain" data-window="[\'2026-01-01 00:00\', '
                             '\'2026-02-01 23:59\']" width="380" height="400"></svg>')
    second = client.get(f"{PREFIX}{token}/static/1.svg?w=abc")
    assert 'data-title="Soreness" data-window="None" width="400"' in second.text


@pytest.mark.parametrize("tail", ["static/2.svg", "static/-1.svg", "static/0.png",
                                  "static/x.svg", "static/.svg"])
def test_no_picture_of_a_chart_that_is_not_there(pages: ChartPages, library: Path,
                                                  tail: str) -> None:
    client = pictures_client(pages, library, Pictures())
    token = filled(pages)
    assert client.get(f"{PREFIX}{token}/{tail}").status_code == 404


def test_no_picture_without_a_live_filled_page(pages: ChartPages, library: Path) -> None:
    client = pictures_client(pages, library, Pictures())
    assert client.get(f"{PREFIX}not-a-token/static/0.svg").status_code == 404
    waiting = pages.open(chart_frame(1, dark=False))  # not filled yet
    assert client.get(f"{PREFIX}{waiting}/static/0.svg").status_code == 404
    token = filled(pages)
    pages.revoke(token)
    assert client.get(f"{PREFIX}{token}/static/0.svg").status_code == 404


def test_unavailable_pictures_say_so(pages: ChartPages, library: Path) -> None:
    client = pictures_client(pages, library, Pictures(available=False))
    response = client.get(f"{PREFIX}{filled(pages)}/static/0.svg")
    assert response.status_code == 503


def test_the_chart_page_falls_back_to_pictures_it_may_load() -> None:
    page = chart_frame(1, dark=False)
    assert "if (!window.Plotly)" in page
    assert "'/static/' + index + '.svg?w='" in page
    assert "img.onerror" in page  # and to words when pictures fail too
