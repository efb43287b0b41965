"""Start the Flet web server (offline: no CDN) for a built set of services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app import paths
from app.main import Services
from app.ui.shell import Shell


def page_handler(services: Services) -> Callable[[ft.Page], Awaitable[None]]:
    async def main(page: ft.Page) -> None:
        await Shell(page, services).start()

    return main


def serve(services: Services) -> int:
    settings = services.settings
    print(f"BackTrack is running at http://{settings.host}:{settings.port}  (Ctrl+C to stop)",
          flush=True)
    ft.run(
        page_handler(services),
        name="",
        host=settings.host,
        port=settings.port,
        view=ft.AppView.WEB_BROWSER if settings.open_browser else None,
        assets_dir=str(paths.ASSETS_DIR),
        no_cdn=True,
    )
    return 0
