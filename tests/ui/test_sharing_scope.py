"""The patient's Sharing screen offers, per person, "Everything" or "Reminders and logging
only" with what each means, and a choice changes the grant at once; the clinician's
caseload card for a narrow grant shows no scores and no way into the progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role, Scope
from app.domain.errors import NotAllowed
from app.main import Services
from app.ui.screens import home, sharing
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"


class SharingShell(StubShell):
    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.toasts: list[str] = []
        self.page = SimpleNamespace(update=lambda: None, route="/sharing",
                                    show_dialog=lambda _: None,
                                    # the caseload is worked out in a task: run it through
                                    run_task=lambda task: asyncio.run(task()))

    def toast(self, message: str) -> None:
        self.toasts.append(message)


@pytest.fixture
def people(services: Services) -> tuple[Account, Account, Account]:
    make = services.accounts.create
    patient = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)
    taylor = make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST)
    jordan = make("jordan@example.com", "Jordan Patel", PASSWORD, Role.CARE_TEAM)
    services.access.grant(patient, taylor)
    services.access.grant(patient, jordan)
    return patient, taylor, jordan


def draw(builder: Callable[..., ft.View], shell: SharingShell) -> ft.View:
    return builder(shell)


def texts(view: Any) -> list[str]:
    return [str(c.value) for c in walk(view) if isinstance(c, ft.Text) and c.value]


def choices(view: Any) -> list[ft.RadioGroup]:
    return [c for c in walk(view) if isinstance(c, ft.RadioGroup)]


def test_each_person_has_the_choice_with_what_it_means(
        services: Services, people: tuple[Account, Account, Account]) -> None:
    patient, _, _ = people
    view = draw(sharing.build, SharingShell(services, patient))
    groups = choices(view)
    # People by name: Jordan (care team, its default), then Taylor (therapist).
    assert [g.value for g in groups] == [Scope.REMINDERS_AND_LOGGING.value,
                                         Scope.FULL.value]
    for group in groups:
        radios = [c for c in walk(group) if isinstance(c, ft.Radio)]
        assert [(r.value, r.label) for r in radios] == [
            ("full", "Everything"), ("reminders_and_logging", "Reminders and logging only")]
    words = texts(view)
    assert "What Taylor sees" in words and "What Jordan sees" in words
    narrow = sharing.SCOPE_WORDS[Scope.REMINDERS_AND_LOGGING]
    assert narrow in words and "Not your pain scores, notes" in narrow


def test_choosing_changes_the_grant_at_once(
        services: Services, people: tuple[Account, Account, Account]) -> None:
    patient, _, jordan = people
    services.logbook.check_in(patient, patient.id, pain_now=6)
    shell = SharingShell(services, patient)
    jordans = choices(draw(sharing.build, shell))[0]
    jordans.value = Scope.FULL.value
    event = SimpleNamespace(control=jordans)
    choose: Any = jordans.on_change
    asyncio.run(choose(event))
    assert services.access.scope_of(jordan, patient.id) is Scope.FULL
    assert services.logbook.load(jordan, patient.id).check_ins
    assert shell.toasts == ["Jordan now sees everything you share."]
    jordans.value = Scope.REMINDERS_AND_LOGGING.value
    asyncio.run(choose(event))
    with pytest.raises(NotAllowed):
        services.logbook.load(jordan, patient.id)
    assert shell.toasts[-1] == "Jordan now sees reminders and logging only."
    # Drawn again, the screen shows the choice as saved.
    assert [g.value for g in choices(draw(sharing.build, shell))] == [
        Scope.REMINDERS_AND_LOGGING.value, Scope.FULL.value]


def test_a_narrow_patients_card_has_no_scores_and_no_way_into_progress(
        services: Services, people: tuple[Account, Account, Account]) -> None:
    patient, taylor, jordan = people
    services.logbook.check_in(patient, patient.id, pain_now=6)
    narrow = draw(home.build, SharingShell(services, jordan))
    words = texts(narrow)
    assert "Alex Morgan" in words and "Reminders and logging only" in words
    assert "Checked in today" in words
    assert not [w for w in words if "Pain" in w or "sessions" in w]
    buttons = [str(c.content) for c in walk(narrow) if isinstance(c, ft.OutlinedButton)]
    assert not [b for b in buttons if "progress" in b]
    # The therapist's "Everything" card, for contrast: the numbers line and the button.
    full = draw(home.build, SharingShell(services, taylor))
    assert [w for w in texts(full) if "sessions" in w]
    assert [str(c.content) for c in walk(full) if isinstance(c, ft.OutlinedButton)] == [
        "Open Alex's progress"]


def test_a_narrow_grant_opens_no_patient_screen(
        services: Services, people: tuple[Account, Account, Account]) -> None:
    """/progress?patient= (and every screen behind shell.patient_in_view) asks may_read,
    i.e. READ_LOGGING, which "reminders and logging only" does not open."""
    from app.ui.screens import progress
    from app.ui.shell import Shell

    patient, _, jordan = people
    shell = SharingShell(services, jordan)
    shell.query = {"patient": patient.id}
    gate: Any = Shell.patient_in_view  # the real gate, on this stand-in
    shell.patient_in_view = lambda viewer: gate(shell, viewer)
    assert shell.patient_in_view(jordan) is None
    words = texts(draw(progress.build, shell))
    assert [w for w in words if "shares reminders and logging only with you" in w]
    assert not [w for w in words if "not shared with you" in w]
    assert services.access.audit_trail(patient, patient.id) == []
    shell.query = {"patient": "no-such-patient"}
    words = texts(draw(progress.build, shell))
    assert [w for w in words if "not shared with you, or the link is wrong" in w]


@pytest.mark.parametrize(("action", "words"), [
    ("read:reminders:read_activity", "looked at whether you logged and answered reminders"),
    ("read:reminders:read_plans", "looked at your reminders"),
    ("read:reminders:read_inbox", "looked at your reminders"),
])
def test_a_narrow_grants_reads_read_as_words(action: str, words: str) -> None:
    from datetime import UTC, datetime

    from app.domain.sharing import AuditEvent

    event = AuditEvent("e1", "patient", "clinician", "care_team", action,
                       datetime(2026, 12, 1, tzinfo=UTC))
    assert sharing.audit_line(event, "Jordan Patel") == f"Jordan Patel (care team) {words}"


def test_a_choice_for_someone_no_longer_shared_with_says_so(
        services: Services, people: tuple[Account, Account, Account]) -> None:
    patient, _, jordan = people
    shell = SharingShell(services, patient)
    jordans = choices(draw(sharing.build, shell))[0]
    services.access.revoke(patient, jordan.id)  # in another tab, a moment earlier
    jordans.value = Scope.FULL.value
    choose: Any = jordans.on_change
    asyncio.run(choose(SimpleNamespace(control=jordans)))
    assert shell.flash == "You no longer share with Jordan."
    assert shell.went == ["/sharing"]
    assert services.access.scope_of(jordan, patient.id) is Scope.FULL  # i.e. no grant
    assert not services.access.may_read(jordan, patient.id)
