"""The admin's Clinic settings card on the home screen: the soreness check hours and the
days before a nudge, shown as set, saved with the other settings, each refusal under its
own field with nothing typed lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.main import Services
from app.ui.screens import home
from tests.ui.test_patient_screens import StubShell, field, walk

HOURS = "Soreness checks after a session (hours)"
NUDGE = "Nudge after this many days without a check-in"


class AdminShell(StubShell):
    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.toasts: list[str] = []
        self.page = SimpleNamespace(update=lambda: None, route="/",
                                    show_dialog=lambda _: None)

    def toast(self, message: str) -> None:
        self.toasts.append(message)


@pytest.fixture
def admin(services: Services) -> Account:
    return services.accounts.create("admin@example.com", "Sam Lee", "backtrack-test-pw",
                                    Role.ADMIN)


def draw(shell: AdminShell) -> ft.View:
    """The admin's home, as the shell builds it (the stub stands in for the Shell)."""
    builder: Callable[..., ft.View] = home.build
    return builder(shell)


def save(view: ft.View) -> None:
    button = next(c for c in walk(view) if isinstance(c, ft.FilledButton)
                  and c.content == "Save clinic settings")
    handler: Any = button.on_click
    # A thread of its own: a browser test earlier in the run may leave a loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, handler(None)).result()


def test_the_card_shows_the_reminder_settings_and_what_they_do(services: Services,
                                                               admin: Account) -> None:
    view = draw(AdminShell(services, admin))
    assert field(view, HOURS).value == "24, 48"
    assert field(view, NUDGE).value == "3"
    words = " ".join(str(c.value) for c in walk(view) if isinstance(c, ft.Text))
    assert "asked how sore they are at these hours" in words
    assert "gentle nudge" in words and "next reminder run" in words


def test_saving_changes_what_the_scheduler_reads(services: Services, admin: Account) -> None:
    shell = AdminShell(services, admin)
    view = draw(shell)
    field(view, "Clinic phone").value = "+1 555 0100"
    field(view, HOURS).value = "12, 36"
    field(view, NUDGE).value = "2"
    save(view)
    assert shell.toasts == ["Clinic settings saved."]
    current = services.clinic.current()
    assert (current.soreness_check_hours, current.nudge_after_days) == ((12, 36), 2)
    again = draw(AdminShell(services, admin))
    assert (field(again, HOURS).value, field(again, NUDGE).value) == ("12, 36", "2")


def test_each_refusal_is_under_its_field_and_nothing_typed_is_lost(
        services: Services, admin: Account) -> None:
    shell = AdminShell(services, admin)
    view = draw(shell)
    field(view, "Clinic name").value = "Harbour Physio"
    field(view, "Clinic phone").value = "+1 555 0100"
    field(view, HOURS).value = "48, 24"
    field(view, NUDGE).value = "20"
    save(view)
    assert shell.toasts == []
    assert field(view, HOURS).error == "List each hour once, earliest first, like 24, 48."
    assert field(view, NUDGE).error == "Choose from 1 to 14 days; you entered 20."
    assert (field(view, "Clinic name").error, field(view, "Clinic phone").error) == (None, None)
    assert (field(view, "Clinic name").value, field(view, HOURS).value,
            field(view, NUDGE).value) == ("Harbour Physio", "48, 24", "20")
    assert services.clinic.current().name == "Your clinic"  # nothing half-saved
    # Put right, the next save goes through and clears the messages.
    field(view, HOURS).value = "24, 48, 72"
    field(view, NUDGE).value = "5"
    save(view)
    assert (field(view, HOURS).error, field(view, NUDGE).error) == (None, None)
    current = services.clinic.current()
    assert (current.name, current.soreness_check_hours, current.nudge_after_days) == (
        "Harbour Physio", (24, 48, 72), 5)
