"""The chart routes in front of the Flet app: plotly.js served once and cached, pages,
data and pictures only by a live token, the warm-up added to Flet's page, nothing else
touched."""

from __future__ import annotations

import asyncio
import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.charts.static import StaticCharts
from app.ui.chart_pages import (
    PLOTLY_JS_ROUTE,
    PREFIX,
    WARM_ROUTE,
    WARM_UP_SCRIPT,
    ChartPages,
    ChartSpec,
    chart_data,
    chart_frame,
)
from app.ui.web import (
    EMOJI_FONT,
    EMOJI_ROUTE,
    ASGIApp,
    Receive,
    Scope,
    Send,
    _with_emoji_font,
    with_charts,
)

CLIENT_PAGE = b"<!DOCTYPE html><html><head></head><body><script>flutter()</script></body></html>"


# What Flet 1.0.5's middleware adds to every answer.
FLET_HEADERS = [(b"cross-origin-opener-policy", b"same-origin"),
                (b"cross-origin-embedder-policy", b"require-corp"),
                (b"access-control-allow-origin", b"*")]


async def flet_stand_in(scope: Scope, receive: Receive, send: Send) -> None:
    """What Flet's ASGI app would answer: everything that is not a chart route; its
    client page (``/`` and app routes) as HTML in two parts, with validators."""
    if scope["type"] != "http":
        return
    if scope["path"] in ("/", "/progress/"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*FLET_HEADERS, (b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(CLIENT_PAGE)).encode()),
                                (b"etag", b'"flet-etag"'), (b"last-modified", b"yesterday")]})
        await send({"type": "http.response.body", "body": CLIENT_PAGE[:40],
                    "more_body": True})
        await send({"type": "http.response.body", "body": CLIENT_PAGE[40:]})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [*FLET_HEADERS, (b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"flet:" + scope["path"].encode()})


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "plotly.min.js"
    path.write_text("/* plotly */ window.Plotly = {};" * 100, encoding="utf-8")
    return path


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


def test_the_app_page_carries_the_front_doors_headers(client: Client) -> None:
    """Issue 9: a site on another origin must not frame or script the app."""
    for path in ("/", "/progress/"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in policy
        assert "default-src 'self'" in policy
        assert "'wasm-unsafe-eval'" in policy and "worker-src 'self' blob:" in policy
        assert "frame-src 'self'" in policy  # the chart frames
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "access-control-allow-origin" not in response.headers


def test_flets_other_answers_lose_the_open_cors_header(client: Client) -> None:
    response = client.get("/main.dart.js")
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers  # not a page


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
    second = client.get(f"{PREFIX}{token}/static/1.svg")
    assert 'data-title="Soreness" data-window="None" width="400"' in second.text


@pytest.mark.parametrize("query", ["w=0&h=0", "w=abc", "h=-5", "w=4001", "w=1e3",
                                   "w=%D9%A3", "w=99999999999999999999"])
def test_a_picture_of_an_unusable_size_is_refused(pages: ChartPages, library: Path,
                                                  query: str) -> None:
    pictures = Pictures()
    client = pictures_client(pages, library, pictures)
    token = filled(pages)
    assert client.get(f"{PREFIX}{token}/static/0.svg?{query}").status_code == 400


class FailsOnce(Pictures):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def draw(self, figure: dict[str, Any], width: int, height: int) -> bytes:
        if not self.failed:
            self.failed = True
            raise RuntimeError("this figure at this size could not be drawn")
        return super().draw(figure, width, height)


def test_one_failed_picture_fails_only_that_request(pages: ChartPages,
                                                    library: Path) -> None:
    """Issue 9: /static/0.svg?w=0&h=0 made every user's pictures answer 503 for 5
    minutes."""
    client = pictures_client(pages, library, FailsOnce())
    token = filled(pages)
    assert client.get(f"{PREFIX}{token}/static/0.svg?w=380&h=400").status_code == 503
    assert client.get(f"{PREFIX}{token}/static/0.svg?w=380&h=400").status_code == 200
    other = filled(pages)  # another user's page
    assert client.get(f"{PREFIX}{other}/static/1.svg?w=300&h=300").status_code == 200


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


def test_every_part_of_the_emoji_font_is_answered_with_the_shipped_font(
        tmp_path: Path) -> None:
    """Flutter asks for Google's split of Noto Color Emoji (…/notocoloremoji/v32/<id>.<n>
    .woff2); the app answers each part with the whole font it ships."""
    font = tmp_path / "NotoColorEmoji.ttf"
    font.write_bytes(b"\x00\x01\x00\x00 a font")
    client = Client(_with_emoji_font(flet_stand_in, font))
    for part in (0, 9):
        response = client.get(f"{EMOJI_ROUTE}v32/Yq6P-KqIXTD0t4D9z1ESnKM3.{part}.woff2")
        assert response.status_code == 200
        assert response.content == font.read_bytes()
        assert response.headers["content-type"] == "font/ttf"
    assert client.get("/assets/fonts/roboto.woff2").text == "flet:/assets/fonts/roboto.woff2"
    assert EMOJI_FONT.is_file()  # shipped in the repository
