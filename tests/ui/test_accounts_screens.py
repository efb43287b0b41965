"""The admin's Accounts screen built in-process against the real services
(app/ui/screens/accounts.py): the search narrows the cards, a refused change is said in
the banner in the rule's words, a confirmed deactivation happens and is announced, and
"Reset two-step sign-in" is offered only where two-step is on and clears it."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import pyotp

from app.domain.account_admin import LAST_ADMIN
from app.domain.accounts import Account, Role
from app.main import Services
from app.ui.screens import accounts
from tests.conftest import FakeClock
from tests.ui.test_data_rights import DialogPage, fire
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"


class AdminShell(StubShell):
    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.page = DialogPage()
        self.toasts: list[str] = []

    def toast(self, message: str) -> None:
        self.toasts.append(message)


def screen(services: Services, admin: Account) -> tuple[AdminShell, Any]:
    shell = AdminShell(services, admin)
    return shell, accounts._AccountsScreen(shell, admin)  # type: ignore[arg-type]


def card_names(drawn: Any) -> list[str]:
    return [c.value for c in walk(drawn.cards) if isinstance(c, ft.Text)
            and c.size == 17]


def button(drawn: Any, person: str, text: str) -> ft.OutlinedButton:
    card = next(c for c in drawn.cards.controls
                if any(isinstance(t, ft.Text) and t.value and t.value.startswith(person)
                       for t in walk(c)))
    return next(b for b in walk(card) if isinstance(b, ft.OutlinedButton)
                and b.content == text)


def run(handler: Any) -> None:
    """Fire a handler as Flet would, awaiting it when it is async."""
    outcome = fire(handler)
    if asyncio.iscoroutine(outcome):
        asyncio.run(outcome)


def clinic(services: Services) -> dict[str, Account]:
    make = services.accounts.create
    return {"sam": make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN),
            "taylor": make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST),
            "alex": make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)}


def test_the_search_narrows_the_cards(services: Services) -> None:
    people = clinic(services)
    _, drawn = screen(services, people["sam"])
    assert card_names(drawn) == ["Alex Morgan", "Sam Admin (you)", "Taylor Brooks"]
    drawn.text.value = "BROOKS"
    drawn._search()
    assert card_names(drawn) == ["Taylor Brooks"]
    assert drawn.count.value == "1 account"


def test_a_refused_change_is_said_in_the_banner(services: Services) -> None:
    people = clinic(services)
    shell, drawn = screen(services, people["sam"])
    run(button(drawn, "Sam Admin", "Change role").on_click)
    dialog = shell.page.dialogs[-1]
    role = next(c for c in walk(dialog.content) if isinstance(c, ft.Dropdown))
    role.value = Role.THERAPIST.value
    change = next(b for b in dialog.actions if isinstance(b, ft.FilledButton))
    run(change.on_click)
    assert drawn.banner.visible and drawn.banner.value == LAST_ADMIN
    assert services.accounts.get(people["sam"].id).role is Role.ADMIN


def test_a_confirmed_deactivation_happens_and_is_announced(services: Services) -> None:
    people = clinic(services)
    shell, drawn = screen(services, people["sam"])
    assert not any(b.content == "Deactivate" for c in drawn.cards.controls
                   for b in walk(c) if isinstance(b, ft.OutlinedButton)
                   and "Sam" in str([t.value for t in walk(c) if isinstance(t, ft.Text)]))
    run(button(drawn, "Taylor Brooks", "Deactivate").on_click)
    dialog = shell.page.dialogs[-1]
    run(next(b for b in dialog.actions if isinstance(b, ft.FilledButton)).on_click)
    assert not services.accounts.get(people["taylor"].id).active
    assert shell.toasts == ["Taylor Brooks is deactivated and was signed out everywhere."]
    assert button(drawn, "Taylor Brooks", "Reactivate")  # the card drawn anew


def test_two_step_reset_is_offered_where_it_is_on(services: Services,
                                                  clock: FakeClock) -> None:
    people = clinic(services)
    taylor = people["taylor"]
    enrolment = services.two_step.start_enrolment(taylor)
    services.two_step.confirm_enrolment(taylor, pyotp.TOTP(enrolment.secret).at(clock.now))
    shell, drawn = screen(services, people["sam"])
    reset = button(drawn, "Taylor Brooks", "Reset two-step sign-in")
    assert not any(isinstance(b, ft.OutlinedButton) and b.content == "Reset two-step sign-in"
                   for b in walk(drawn.cards.controls[0]))  # Alex: not on
    run(reset.on_click)
    run(next(b for b in shell.page.dialogs[-1].actions
             if isinstance(b, ft.FilledButton)).on_click)
    assert not services.two_step.is_on(taylor.id)
    assert shell.toasts == ["Taylor Brooks's two-step sign-in was reset."]
