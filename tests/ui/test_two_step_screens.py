"""Two-step sign-in screens built in-process with the real shell and services
(app/ui/screens/two_step.py): the gate that puts setting it up before every other screen,
and the Settings card a patient turns it on and off with."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import flet as ft
import pyotp
import pytest

from app.domain.accounts import Account, Role
from app.main import Services
from app.services.two_step import WRONG_CODE
from app.ui.screens import two_step as screen
from app.ui.shell import Shell
from tests.conftest import FakeClock
from tests.ui.test_error_boundary import StandInPage, shown, texts
from tests.ui.test_inbox import in_a_handler  # noqa: F401  # a fixture: copy buttons
from tests.ui.test_password_screens import click
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"


def shell_for(services: Services, account: Account) -> Shell:
    shell = Shell(StandInPage(), services.screens)  # type: ignore[arg-type]  # stand-in
    shell.remembered = SimpleNamespace(forget=lambda: None)  # type: ignore[assignment]
    shell.token = services.auth.sign_in(account.email, PASSWORD).token
    return shell


def test_a_therapist_who_must_set_it_up_sees_nothing_else_first(
        services: Services) -> None:
    sam = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    taylor = services.accounts.create("taylor@example.com", "Taylor Brooks", PASSWORD,
                                      Role.THERAPIST)
    services.clinic.set_staff_two_step(sam, False)
    shell = shell_for(services, taylor)
    assert "Hello, Taylor" in shown(shell, "/")
    services.clinic.set_staff_two_step(sam, True)  # while she is signed in
    drawn = shown(shell, "/settings")  # whatever screen she opens next
    assert screen.ENROL_TITLE in drawn
    assert not any(text.startswith("Hello") for text in drawn)
    assert shell.token is None  # the session ended: only the set-up goes on from here
    key = next(t for t in drawn if re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", t))
    again = shown(shell, "/")  # redrawn (e.g. the window resized): the same set-up
    assert screen.ENROL_TITLE in again and key in again
    assert not any(text.startswith("Hello") for text in again)


def test_a_step_taken_on_an_open_screen_leads_to_the_set_up_not_a_sign_out(
        services: Services) -> None:
    """The requirement came on while her screen was open; what she does next (a save
    asks the shell for the account) ends in the set-up, not "signed out after a period
    of inactivity"."""
    sam = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    taylor = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                      Role.THERAPIST)
    services.clinic.set_staff_two_step(sam, False)
    shell = shell_for(services, taylor)
    assert "Hello, Taylor" in shown(shell, "/")
    services.clinic.set_staff_two_step(sam, True)
    assert shell.account is None
    assert shell.flash is None and shell.ended is None
    drawn = shown(shell, "/")
    assert screen.ENROL_TITLE in drawn
    assert not any("inactivity" in text for text in drawn)


def code_now(secret: str, clock: FakeClock, seconds: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=seconds))


def button(controls: list[ft.Control], text: str) -> ft.Control:
    return next(c for top in controls for c in walk(top)
                if isinstance(c, (ft.FilledButton, ft.OutlinedButton, ft.TextButton))
                and c.content == text)


def field(controls: list[ft.Control], label: str) -> ft.TextField:
    return next(c for top in controls for c in walk(top)
                if isinstance(c, ft.TextField) and c.label == label)


def all_texts(controls: list[ft.Control]) -> list[str]:
    return [t for top in controls for t in texts(top)]


@pytest.fixture
def alex(services: Services) -> Account:
    return services.accounts.create("alex@example.com", "Alex", PASSWORD, Role.PATIENT)


@pytest.mark.usefixtures("in_a_handler")
def test_a_patient_turns_it_on_in_settings_and_off_again(
        services: Services, alex: Account, clock: FakeClock) -> None:
    shell = StubShell(services, alex)
    shell.toast = lambda message: shell.went.append(message)
    section = screen.settings_section(shell)  # type: ignore[arg-type]  # a stub shell
    body = section[-1]
    assert isinstance(body, ft.Column)
    assert any(t.startswith("Off.") for t in all_texts(body.controls))
    click(button(body.controls, screen.ENROL_TITLE))
    key = next(c for c in walk(body) if isinstance(c, ft.Text)
               and str(c.semantics_label or "").startswith(screen.KEY_LABEL))
    secret = str(key.value).replace(" ", "")
    assert any(isinstance(c, ft.Image) for c in walk(body))
    code = field(body.controls, screen.CODE_LABEL)
    code.value = "000000" if code_now(secret, clock) != "000000" else "111111"
    click(button(body.controls, "Turn on"))
    assert code.error == WRONG_CODE
    assert not services.two_step.is_on(alex.id)
    code.value = code_now(secret, clock)
    click(button(body.controls, "Turn on"))
    assert services.two_step.is_on(alex.id)
    assert screen.CODES_TITLE in all_texts(body.controls)
    click(button(body.controls, screen.SAVED))
    assert any(t.startswith("On:") for t in all_texts(body.controls))
    assert "10 recovery codes left." in all_texts(body.controls)

    password = field(body.controls, "Current password")
    off_code = field(body.controls, "Code from your app or a recovery code")
    password.value, off_code.value = "not my password", code_now(secret, clock, 30)
    click(button(body.controls, "Turn off two-step sign-in"))
    assert password.error and services.two_step.is_on(alex.id)
    assert off_code.value  # nothing typed lost
    password.value = PASSWORD
    click(button(body.controls, "Turn off two-step sign-in"))
    assert not services.two_step.is_on(alex.id)
    assert "Two-step sign-in is off." in shell.went


def test_staff_see_no_way_to_turn_it_off_while_the_clinic_requires_it(
        services: Services, clock: FakeClock) -> None:
    taylor = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                      Role.THERAPIST)
    enrolment = services.two_step.start_enrolment(taylor)
    services.two_step.confirm_enrolment(taylor, code_now(enrolment.secret, clock))
    shell = StubShell(services, taylor)
    body = screen.settings_section(shell)[-1]  # type: ignore[arg-type]  # a stub shell
    assert isinstance(body, ft.Column)
    drawn = " ".join(all_texts(body.controls))
    assert "Your clinic requires two-step sign-in for staff." in drawn
    with pytest.raises(StopIteration):
        button(body.controls, "Turn off two-step sign-in")
    button(body.controls, "Get new recovery codes")  # still offered
