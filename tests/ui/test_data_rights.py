"""Settings' "Your data" card and its delete dialog, built in-process against the real
services (app/ui/screens/data_rights.py): the button stays off until DELETE is typed, a
wrong word deletes nothing, and deleting signs out and greets the sign-in screen with the
closing message."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from app.domain.accounts import Account, Role
from app.main import Services
from app.ui.screens import data_rights
from tests.ui.test_patient_screens import StubShell, walk


def fire(handler: Any) -> Any:
    """Call an event handler as Flet would, without an event (the handlers ignore it)."""
    return handler(None)


class DialogPage:
    """The page's dialog calls and route-change handler, recorded."""

    def __init__(self) -> None:
        self.dialogs: list[ft.AlertDialog] = []
        self.routes: list[str] = []
        self.on_route_change: Any = lambda _event: self.routes.append("rendered")

    def update(self) -> None:
        pass

    def show_dialog(self, dialog: ft.AlertDialog) -> None:
        self.dialogs.append(dialog)

    def pop_dialog(self) -> None:
        dialog = self.dialogs.pop()
        if dialog.on_dismiss is not None:
            fire(dialog.on_dismiss)


def open_dialog(services: Services, patient: Account) -> tuple[StubShell, DialogPage,
                                                                 ft.AlertDialog]:
    shell = StubShell(services, patient)
    page = DialogPage()
    shell.page = page
    shell.signed_out = 0

    def sign_out() -> None:
        shell.signed_out += 1
        page.on_route_change(None)  # the browser's route change to /login comes back

    shell.sign_out = sign_out
    card = data_rights.section(shell)  # type: ignore[arg-type]
    delete = next(c for top in card for c in walk(top)
                  if isinstance(c, ft.OutlinedButton)
                  and c.content == "Delete my account and data")
    fire(delete.on_click)
    return shell, page, page.dialogs[-1]


def controls_of(dialog: ft.AlertDialog) -> tuple[ft.TextField, ft.FilledButton]:
    typed = next(c for c in walk(dialog.content) if isinstance(c, ft.TextField))
    button = next(c for c in dialog.actions if isinstance(c, ft.FilledButton))
    return typed, button


def test_a_wrong_word_deletes_nothing(services: Services) -> None:
    patient = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                       Role.PATIENT)
    shell, page, dialog = open_dialog(services, patient)
    typed, button = controls_of(dialog)
    assert button.disabled
    typed.value = "delete"
    fire(typed.on_change)
    assert button.disabled
    asyncio.run(fire(button.on_click))
    assert "DELETE" in str(typed.error)
    assert services.accounts.by_email("kim@example.com") is not None
    assert page.dialogs == [dialog] and shell.signed_out == 0


def test_delete_signs_out_and_the_sign_in_screen_says_so(services: Services) -> None:
    patient = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                       Role.PATIENT)
    shell, page, dialog = open_dialog(services, patient)
    typed, button = controls_of(dialog)
    typed.value = "DELETE"
    fire(typed.on_change)
    assert not button.disabled
    asyncio.run(fire(button.on_click))
    assert services.accounts.by_email("kim@example.com") is None
    assert shell.signed_out == 1
    assert page.routes == ["rendered"]  # the sign-in screen first, then the message on it
    (closing,) = page.dialogs
    assert getattr(closing.title, "value", None) == data_rights.CLOSING_TITLE
    page.on_route_change(None)  # later route changes show no message again
    assert len(page.dialogs) == 1
