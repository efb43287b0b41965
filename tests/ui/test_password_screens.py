"""The password screens built in-process (app/ui/screens/password.py): the sign-in
screen's "Forgot your password?" face when the clinic has no mail server, a dead reset
link, and Settings' Password card keeping what was typed when refused."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import flet as ft

from app.domain.accounts import Role
from app.domain.passwords import TOO_EASY
from app.main import Services
from app.services.accounts import WRONG_CURRENT
from app.services.password_reset import LINK_UNUSABLE, NO_EMAIL, PasswordResetService
from app.ui.screens import login, password
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "correct horse battery"


def click(control: Any) -> None:
    """Tap a button as Flet would, without an event (the handlers ignore it)."""
    result = control.on_click(None)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


def texts(control: Any) -> list[str]:
    return [str(c.value) for c in walk(control) if isinstance(c, ft.Text)]


def no_mail_shell(services: Services) -> StubShell:
    account = services.accounts.create("casey@example.com", "Casey", PASSWORD, Role.PATIENT)
    shell = StubShell(services, account)
    resets = PasswordResetService(services.auth, notifier_source=lambda: None,
                                  clinic_name=lambda: "Harbour Physio", base_url="http://x")
    shell.services = SimpleNamespace(accounts=services.accounts, password_reset=resets)
    return shell


def test_without_a_mail_server_forgot_says_to_ask_the_clinic(services: Services) -> None:
    shell = no_mail_shell(services)
    view = login.build(shell)  # type: ignore[arg-type]
    forgot = next(c for c in walk(view) if isinstance(c, ft.TextButton)
                  and c.content == password.FORGOT_TITLE)
    assert NO_EMAIL not in texts(view)
    click(forgot)
    assert NO_EMAIL in texts(view)
    back = next(c for c in walk(view) if isinstance(c, ft.TextButton)
                and c.content == "Back to sign in")
    click(back)
    assert any(isinstance(c, ft.FilledButton) and c.content == "Sign in" for c in walk(view))


def test_a_dead_link_says_so_once(services: Services) -> None:
    shell = no_mail_shell(services)
    shell.query = {"token": "not-a-token"}
    view = password.build_reset(shell)  # type: ignore[arg-type]
    assert LINK_UNUSABLE in texts(view)
    assert not any(isinstance(c, ft.TextField) for c in walk(view))


def test_the_password_card_puts_reasons_under_fields_and_keeps_them(
        services: Services) -> None:
    account = services.accounts.create("alex@example.com", "Alex", PASSWORD, Role.PATIENT)
    shell = StubShell(services, account)
    shell.token = services.auth.sign_in(account.email, PASSWORD).token
    shell.toast = lambda message: shell.went.append(message)
    card = password.change_section(shell)  # type: ignore[arg-type]
    current, new = (c for top in card for c in walk(top) if isinstance(c, ft.TextField))
    change = next(c for top in card for c in walk(top) if isinstance(c, ft.OutlinedButton))

    current.value, new.value = "a wrong one", "lantern orchard pebble"
    click(change)
    assert (current.error, current.value) == (WRONG_CURRENT, "a wrong one")
    assert new.value == "lantern orchard pebble"

    current.value, new.value = PASSWORD, "password12"
    click(change)
    assert (current.error, new.error, new.value) == (None, TOO_EASY, "password12")

    new.value = "lantern orchard pebble"
    click(change)
    assert shell.went == [password.CHANGED]
    assert (current.value, new.value) == ("", "")
    assert services.auth.sign_in(account.email, "lantern orchard pebble").account == \
        services.accounts.get(account.id)
