"""Start the web server (offline: no CDN) for the screens' services.

It gets `ScreenServices` (app.services.facade) and the address to listen on from the
composition root; it never imports app.main, so the store and settings stay out of reach.

Flet's FastAPI app is wrapped by app.ui.web (plotly.js once, the Progress screen's chart
pages from app.ui.chart_pages) and app.ui.reminder_routes (the calendar feed and the
email's unsubscribe link, which carry secret tokens: uvicorn's access log stays off), then
run under uvicorn on the configured host and port, over HTTPS when given a certificate
and its key (`tls_problem` checks them first, so a bad file is one line, not a traceback;
app.ui.web adds HSTS and Secure cookies to answers sent over HTTPS).

Background work runs as app.jobs jobs, never as threads of its own: the composition root
creates, starts and stops the `Jobs` (with its own, such as the reminders scheduler);
`serve` adds the web server's two warm-ups (plotly.js, the chart builders), which run at
once on jobs already started.
"""

from __future__ import annotations

import socket
import ssl
import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path

import flet as ft
import flet_web.fastapi
import uvicorn

from app import paths
from app.gc_pauses import settle_after_start_up
from app.jobs import Jobs
from app.services.facade import ScreenServices
from app.ui.chart_pages import PAGES, ChartPages
from app.ui.errors import keep_flet_logs_free_of_details
from app.ui.flet_speedups import install as install_flet_speedups
from app.ui.health_route import with_health
from app.ui.reminder_routes import with_reminder_routes
from app.ui.shell import Shell
from app.ui.web import ASGIApp, with_charts, with_https_headers

APP_NAME = "BackTrack"
APP_DESCRIPTION = "Track your back-pain recovery between physiotherapy visits."
SHUTDOWN_GRACE_SECONDS = 3  # open browser tabs keep websockets; don't wait on them long
WARM_CHARTS_JOB = "warm-charts"
SETTLE_JOB = "settle-memory"  # app.gc_pauses: freeze what start-up built (issue 15)


def page_handler(services: ScreenServices) -> Callable[[ft.Page], Awaitable[None]]:
    async def main(page: ft.Page) -> None:
        await Shell(page, services).start()

    return main


def asgi_app(services: ScreenServices, pages: ChartPages = PAGES,
             jobs: Jobs | None = None) -> ASGIApp:
    """The whole web app: Flet's client and sessions, plus the chart routes (their
    warm-up registered with `jobs` when given) and the reminders' token routes."""
    install_flet_speedups()  # issue 17: less CPU per patch (app/ui/flet_speedups.py)
    # What ft.run(export_asgi_app=True) builds, plus the app's own name and description
    # for the browser tab, "Add to Home Screen" and the web manifest (ft.run says "Flet").
    pages.share(services.chart_pages)  # several app servers: any of them serves a page
    flet_app = flet_web.fastapi.FastAPI()
    flet_app.mount("/", flet_web.fastapi.app(
        page_handler(services),
        assets_dir=str(paths.ASSETS_DIR),
        app_name=APP_NAME,
        app_short_name=APP_NAME,
        app_description=APP_DESCRIPTION,
        no_cdn=True,
    ))
    return with_https_headers(with_health(with_reminder_routes(
        with_charts(flet_app, pages, jobs=jobs), services.calendar, services.reminders),
        services.health))


def tls_problem(certfile: Path | None, keyfile: Path | None) -> str | None:
    """Why this certificate and key cannot serve HTTPS (in one line), or None. Loads them
    the way uvicorn will, so what passes here starts."""
    if certfile is None or keyfile is None:
        return ("HTTPS needs both --certfile (the certificate, PEM) and --keyfile (its "
                "private key, PEM).")
    for what, path in (("certificate", certfile), ("key", keyfile)):
        if not path.is_file():
            return f"The {what} file {path} does not exist (or is not a file)."
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            return f"The {what} file {path} cannot be read: {exc.strerror or exc}."
    try:
        # An empty passphrase: an encrypted key is refused here, not asked for at a
        # terminal a service does not have.
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile,
                                                                password=lambda: b"")
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            return f"The key {keyfile} does not belong to the certificate {certfile}."
        return (f"{certfile} and {keyfile} could not be loaded: they must be a PEM "
                f"certificate and its unencrypted PEM private key.")
    except OSError as exc:
        return f"The certificate or key could not be read: {exc.strerror or exc}."
    return None


def serve(services: ScreenServices, jobs: Jobs, *, host: str, port: int,
          open_browser: bool, certfile: Path | None = None,
          keyfile: Path | None = None) -> int:
    """Serve until stopped; over HTTPS with `certfile` and `keyfile` (checked by
    `tls_problem` beforehand)."""
    keep_flet_logs_free_of_details()
    tls = certfile is not None and keyfile is not None
    url = f"{'https' if tls else 'http'}://{host}:{port}"
    print(f"BackTrack is running at {url}  (Ctrl+C to stop)", flush=True)
    # Plotly builds its validators on first use (~1 s): pay that now, not on the first
    # patient's Progress screen.
    jobs.once(WARM_CHARTS_JOB, warm_up_charts)
    app = asgi_app(services, jobs=jobs)
    # Short garbage-collector pauses: the caseload's first statuses, then freeze start-up's
    # objects out of every full collection's walk (app.gc_pauses).
    jobs.once(SETTLE_JOB, lambda: settle_after_start_up(services.caseload.refresh))

    def opened() -> None:
        if open_browser:
            webbrowser.open(url)

    _Server(server_config(app, host, port, certfile, keyfile), on_started=opened).run()
    return 0


def server_config(app: ASGIApp, host: str, port: int, certfile: Path | None = None,
                  keyfile: Path | None = None) -> uvicorn.Config:
    """How uvicorn serves `app`. Its defaults stay for proxies: X-Forwarded-For and
    -Proto are believed from loopback only (a reverse proxy on this machine), so behind
    one the sign-in pauses see the phone's address and HSTS is sent over HTTPS."""
    tls = certfile is not None and keyfile is not None
    return uvicorn.Config(
        app, host=host, port=port,
        # No access log: calendar feed and unsubscribe addresses carry secret tokens.
        log_level="warning", access_log=False, ws="websockets-sansio", lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        ssl_certfile=str(certfile) if tls else None,
        ssl_keyfile=str(keyfile) if tls else None,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it listens (to open the browser then)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


def warm_up_charts() -> None:
    """Build and serialise one small set of the four charts, then drop them."""
    from datetime import datetime, timedelta

    from app.charts.figures import build_all
    from app.domain.entries import CheckIn, NeedlingSession, SorenessEntry
    from app.domain.progress import ProgressRecord, assess_response
    from app.services.progress import load_thresholds

    thresholds = load_thresholds()
    start = datetime(2024, 1, 1, 9, 0)
    check_ins = [CheckIn(f"c{d}", "warm", start + timedelta(days=d), 5, 6, (), {"a": 4})
                 for d in range(3)]
    session = NeedlingSession("s", "warm", start, ("lumbar",), "warm")
    soreness = [SorenessEntry(f"e{h}", "warm", "s", start + timedelta(hours=h), 3)
                for h in (4, 24)]
    record = ProgressRecord(check_ins[-1].recorded_at.date(), check_ins, [session], soreness)
    summary = assess_response(record.check_ins, record.sessions, thresholds, record.today)
    for dark in (False, True):
        for figure in build_all(record, summary, thresholds, dark).values():
            figure.to_json()
