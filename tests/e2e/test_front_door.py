"""The web front door (issue 9), against the real server: the app's pages carry the
security headers, a page on another origin cannot frame the app or read its answers, and
the app itself (with its same-origin chart frames) still works under its policy — the
every-route test draws every screen under the same headers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from playwright.sync_api import Browser

from tests.e2e.server import free_port


@contextmanager
def another_site(body: str) -> Iterator[str]:
    """A page served from another origin on this machine (another port): the browser
    keeps pages that are not on loopback away from it, which would prove nothing."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()


def test_the_apps_pages_send_the_security_headers(server: str) -> None:
    for path in ("/", "/progress", "/checkin"):
        response = httpx.get(server + path, follow_redirects=True)
        assert response.status_code == 200
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "access-control-allow-origin" not in response.headers


def test_a_page_on_another_origin_cannot_frame_or_read_the_app(browser: Browser,
                                                               server: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        with another_site(f'<iframe id="app" src="{server}/"></iframe>') as elsewhere:
            page.goto(elsewhere)
            page.wait_for_load_state("load")
            page.wait_for_timeout(1_000)
            framed = [frame.url for frame in page.frames if frame is not page.main_frame]
            # Chromium puts its error page where a refused frame would have been.
            assert framed and not any(url.startswith(server) for url in framed), framed
            assert page.frame_locator("#app").locator("#loading, flutter-view").count() == 0
            read = page.evaluate(
                "url => fetch(url).then(r => r.text()).then(() => 'read', e => 'refused')",
                f"{server}/")
            assert read == "refused"
    finally:
        context.close()
