"""The invitation screens built in-process against the real services: the admin's staff
card shows the link once and lists what waits; the therapist's card adds the QR image and
the appointment card; /join says who invited whom, keeps what was typed when refused, and
a patient joins only after agreeing to share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.domain.passwords import TOO_EASY
from app.main import Services
from app.services.invitations import MUST_AGREE, NOT_USABLE
from app.ui.screens import join
from app.ui.screens.invitations import patient_invitations, staff_invitations
from app.ui.screens.two_step import pending_step
from tests.conftest import FakeClock
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"
CHOSEN = "lantern orchard pebble"
BUTTONS = (ft.Button, ft.FilledButton, ft.OutlinedButton, ft.TextButton)


class ClientPage:
    """Stands in for the page a handler runs in (the Copy button's ft.CopyToClipboard
    registers its service with the current page when it is made)."""

    _services = SimpleNamespace(register_service=lambda service: None)


@pytest.fixture(autouse=True)
def in_a_handler() -> Iterator[None]:
    from flet.controls.context import _context_page

    token = _context_page.set(ClientPage())  # type: ignore[arg-type]
    yield
    _context_page.reset(token)


class Shell(StubShell):
    __hash__ = object.__hash__  # type: ignore[assignment]  # a weak key (two_step._PENDING)

    def __init__(self, services: Services, account: Account | None) -> None:
        super().__init__(services, account)  # type: ignore[arg-type]
        self.toasts: list[str] = []
        self.signed: list[Account] = []
        self.client_address = "10.1.1.1"
        self.token = None
        self.after_sign_in = "/"
        self.saved: list[tuple[str, bytes]] = []

        async def save_file(file_name: str, src_bytes: bytes) -> None:
            self.saved.append((file_name, src_bytes))

        self.file_picker = SimpleNamespace(save_file=save_file)

    def toast(self, message: str) -> None:
        self.toasts.append(message)

    def signed_in(self, token: str, account: Account) -> None:
        self.signed.append(account)


def run(handler: Any) -> None:
    result = handler(None)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


def texts(control: Any) -> list[str]:
    return [str(c.value) for c in walk(control) if isinstance(c, ft.Text)]


def button(control: Any, name: str) -> Any:
    return next(c for c in walk(control) if isinstance(c, BUTTONS) and c.content == name)


def field(control: Any, label: str) -> ft.TextField:
    return next(c for c in walk(control) if isinstance(c, ft.TextField)
                and str(c.label).startswith(label))


def test_the_staff_card_shows_the_link_once_and_lists_what_waits(services: Services) -> None:
    admin = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    shell = Shell(services, admin)
    card = staff_invitations(shell, admin)  # type: ignore[arg-type]
    field(card, "Email").value = "riley@example.com"
    run(button(card, "Invite").on_click)
    assert len(services.invitations.pending_staff(admin)) == 1
    [link] = [t for t in texts(card) if "/join?code=" in t]
    assert link.startswith(services.settings.public_url)
    copy = button(card, "Copy link")
    assert isinstance(copy.action, ft.CopyToClipboard) and copy.action.data == link
    assert "riley@example.com" in texts(card) and field(card, "Email").value == ""
    run(button(card, "Send again").on_click)
    [new_link] = [t for t in texts(card) if "/join?code=" in t]
    assert new_link != link
    run(button(card, "Withdraw").on_click)
    assert services.invitations.pending_staff(admin) == []
    assert "Staff invitations waiting" not in texts(card)


def test_a_refused_address_keeps_what_was_typed(services: Services) -> None:
    admin = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    shell = Shell(services, admin)
    card = staff_invitations(shell, admin)  # type: ignore[arg-type]
    email = field(card, "Email")
    email.value = "sam@example.com"
    run(button(card, "Invite").on_click)
    assert email.error and email.value == "sam@example.com"


def test_the_therapists_card_has_a_qr_image_and_an_appointment_card(
        services: Services) -> None:
    taylor = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                      Role.THERAPIST)
    shell = Shell(services, taylor)
    [card] = patient_invitations(shell, taylor)  # type: ignore[arg-type]
    field(card, "Patient").value = "casey@example.com"
    run(button(card, "Invite").on_click)
    [image] = [c for c in walk(card) if isinstance(c, ft.Image)]
    assert isinstance(image.src, bytes) and image.src.startswith(b"\x89PNG")
    run(button(card, "Download appointment card").on_click)
    [(name, page)] = shell.saved
    [link] = [t for t in texts(card) if "/join?code=" in t]
    code = link.rsplit("=", 1)[1]
    assert name == f"backtrack-invitation-{code}.html"
    assert code.encode() in page and b"<svg" in page and b"<script" not in page
    jordan = services.accounts.create("jordan@example.com", "Jordan", PASSWORD,
                                      Role.CARE_TEAM)
    assert patient_invitations(Shell(services, jordan), jordan) == []  # type: ignore[arg-type]


def test_join_keeps_what_was_typed_and_a_patient_must_agree(services: Services) -> None:
    taylor = services.accounts.create("taylor@example.com", "Taylor Brooks", PASSWORD,
                                      Role.THERAPIST)
    issued = services.invitations.invite_patient(taylor, "casey@example.com")
    shell = Shell(services, None)
    shell.query = {"code": issued.code}
    view = join.build(shell)  # type: ignore[arg-type]
    assert any(t.startswith("Taylor Brooks at ") and t.endswith(
        "invited you to join as a patient.") for t in texts(view))
    assert any("stop sharing" in t for t in texts(view))
    field(view, "Your name").value = "Casey Rivera"
    password = field(view, "Choose a password")
    password.value = "password12"
    run(button(view, "Join").on_click)
    assert password.error == TOO_EASY and field(view, "Your name").value == "Casey Rivera"
    password.value = CHOSEN
    run(button(view, "Join").on_click)
    assert MUST_AGREE in texts(view) and shell.signed == []
    agree = next(c for c in walk(view) if isinstance(c, ft.Checkbox))
    assert agree.semantics_label == "I agree to share my BackTrack record with Taylor Brooks"
    assert agree.semantics_label in texts(view)
    agree.value = True
    run(button(view, "Join").on_click)
    [casey] = shell.signed
    assert casey.email == "casey@example.com"
    assert [p.id for p in services.access.shared_patients(taylor)] == [casey.id]


def test_join_with_a_bad_code_says_so_once(services: Services) -> None:
    shell = Shell(services, None)
    shell.query = {"code": "AAAA-BBBB-CCCC"}
    view = join.build(shell)  # type: ignore[arg-type]
    code = field(view, "Invitation code")
    assert code.error == NOT_USABLE and code.value == "AAAA-BBBB-CCCC"
    assert not any(isinstance(c, ft.Checkbox) for c in walk(view))


def test_an_invitation_that_ends_while_typing_keeps_what_was_typed(
        services: Services, clock: FakeClock) -> None:
    admin = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    issued = services.invitations.invite_staff(admin, "riley@example.com", Role.THERAPIST)
    shell = Shell(services, None)
    shell.query = {"code": issued.code}
    view = join.build(shell)  # type: ignore[arg-type]
    field(view, "Your name").value = "Riley Stone"
    field(view, "Choose a password").value = CHOSEN
    clock.advance(hours=72)
    run(button(view, "Join").on_click)
    assert NOT_USABLE in texts(view) and shell.signed == []
    assert (field(view, "Your name").value, field(view, "Choose a password").value) == (
        "Riley Stone", CHOSEN)


def test_staff_whose_clinic_requires_two_step_sign_in_go_on_to_the_sign_in(
        services: Services) -> None:
    """A new clinic requires two-step sign-in for staff: joining makes the account, and
    the sign-in screen takes over with its two-step set-up; no session is opened here."""
    admin = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    assert services.clinic.current().staff_two_step
    issued = services.invitations.invite_staff(admin, "riley@example.com", Role.THERAPIST)
    shell = Shell(services, None)
    shell.query = {"code": issued.code}
    view = join.build(shell)  # type: ignore[arg-type]
    field(view, "Your name").value = "Riley Stone"
    field(view, "Choose a password").value = CHOSEN
    run(button(view, "Join").on_click)
    assert shell.signed == [] and shell.went == ["/login"]
    step = pending_step(shell)  # type: ignore[arg-type]
    assert step is not None and step.enrol and step.account.email == "riley@example.com"
