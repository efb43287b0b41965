"""The shell's error boundary, in-process on a stand-in page (no browser): a screen whose
builder fails shows a friendly screen, and the log says only the error's type and path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.main import Services
from app.ui import routes
from app.ui.errors import NOT_FOUND_TITLE, WENT_WRONG_TITLE, keep_flet_logs_free_of_details
from app.ui.shell import Shell

PASSWORD = "correct horse battery"


class StandInPage:
    """What Shell.render touches of a Flet page."""

    def __init__(self) -> None:
        self.route = "/"
        self.views: list[ft.View] = []
        self.width = 412
        self.client_ip = "127.0.0.1"
        self.platform_brightness = ft.Brightness.LIGHT
        self.theme_mode = ft.ThemeMode.SYSTEM
        self.web = False
        self.url = "http://127.0.0.1:8550"
        self.dialogs: list[Any] = []

    def update(self) -> None:
        pass

    def show_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog)

    def navigate(self, route: str) -> None:
        self.route = route

    def run_task(self, *args: Any) -> None:
        pass


def texts(control: Any) -> list[str]:
    """Every text drawn in a control tree."""
    found: list[str] = []
    if isinstance(control, ft.Text) and isinstance(control.value, str):
        found.append(control.value)
    for name in ("controls", "content", "appbar", "title", "navigation_bar"):
        child = getattr(control, name, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and not isinstance(item, str):
                found += texts(item)
    return found


def patient(services: Services, name: str) -> Account:
    return services.accounts.create(f"{name.lower()}@example.com", name, PASSWORD,
                                    Role.PATIENT)


@pytest.fixture
def alex(services: Services) -> Account:
    return patient(services, "Alex")


@pytest.fixture
def shell(services: Services, alex: Account) -> Iterator[Shell]:
    page = StandInPage()
    shell = Shell(page, services.screens)  # type: ignore[arg-type]  # a stand-in page
    shell.remembered = None  # type: ignore[assignment]  # no browser storage here
    shell.token = services.auth.sign_in(alex.email, PASSWORD).token
    yield shell


def shown(shell: Shell, route: str) -> list[str]:
    shell.page.route = route
    shell.render()
    return texts(shell.page.views[-1])


def test_a_forced_error_shows_a_friendly_screen_and_logs_no_details(
        shell: Shell, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(_: Shell) -> ft.View:
        raise RuntimeError("pain 7/10 after the session on Monday")

    monkeypatch.setitem(routes.ROUTES, "/history",
                        replace(routes.ROUTES["/history"], build=broken))
    with caplog.at_level(logging.ERROR):
        drawn = shown(shell, "/history?show=all")
    assert WENT_WRONG_TITLE in drawn
    assert not any("pain 7/10" in text for text in drawn)
    assert "RuntimeError" in caplog.text and "/history" in caplog.text
    assert "pain 7/10" not in caplog.text and "show=all" not in caplog.text


def test_someone_elses_entry_is_not_found(shell: Shell, services: Services) -> None:
    blair = patient(services, "Blair")
    entry = services.logbook.check_in(blair, blair.id, pain_now=6, note="private")
    drawn = shown(shell, f"/checkin?edit={entry.value.id}")
    assert NOT_FOUND_TITLE in drawn
    assert "private" not in " ".join(drawn)


def test_a_bad_url_parameter_is_not_found(shell: Shell) -> None:
    assert NOT_FOUND_TITLE in shown(shell, "/history?limit=abc")
    assert NOT_FOUND_TITLE not in shown(shell, "/history?limit=40")


def test_every_route_builds_for_every_role_it_allows(services: Services) -> None:
    """The screen test layer: each route of the table, built in-process for each role
    allowed to open it, shows a screen and not the boundary's."""
    accounts = {role: services.accounts.create(f"{role.value}@example.com",
                                               role.value.title(), PASSWORD, role)
                for role in Role}
    # Staff sign in with the password alone here (a new clinic requires two-step sign-in).
    services.clinic.set_staff_two_step(accounts[Role.ADMIN], False)
    for role, account in accounts.items():
        page = StandInPage()
        shell = Shell(page, services.screens)  # type: ignore[arg-type]  # a stand-in page
        shell.remembered = None  # type: ignore[assignment]
        shell.token = services.auth.sign_in(account.email, PASSWORD).token
        for path, route in routes.ROUTES.items():
            if route.roles is not None and role not in route.roles:
                continue
            drawn = shown(shell, path)
            assert WENT_WRONG_TITLE not in drawn, (role, path)
            assert NOT_FOUND_TITLE not in drawn, (role, path)


def test_a_failing_handler_shows_a_friendly_screen(shell: Shell) -> None:
    """Flet reports a handler's failure to the browser as a crash (its red card with the
    traceback); the shell shows its own screen instead."""
    shown(shell, "/history")
    shell._on_crash("RuntimeError: pain 7/10\nTraceback (most recent call last): ...")
    drawn = texts(shell.page.views[-1])
    assert WENT_WRONG_TITLE in drawn
    assert not any("pain 7/10" in text or "Traceback" in text for text in drawn)


def test_flets_log_lines_keep_only_the_exception_type(
        caplog: pytest.LogCaptureFixture) -> None:
    keep_flet_logs_free_of_details()
    try:
        raise RuntimeError("pain 7/10 after the session on Monday")
    except RuntimeError:
        logging.getLogger("flet").error("Unhandled error in 'on_click' handler",
                                        exc_info=True)
    assert "Unhandled error in 'on_click' handler (RuntimeError)" in caplog.text
    assert "pain 7/10" not in caplog.text and "Traceback" not in caplog.text
