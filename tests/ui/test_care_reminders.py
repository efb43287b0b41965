"""The care team's Reminders and Adherence screens, built in-process against the real
services on a fake clock: the form's labels and choices, scheduling for one patient and a
group (all or none, refusals under their fields, nothing typed lost), an edit that lost a
race, each plan's sent occurrences in words, the adherence table's order and sorting, and
which roles may open either screen."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.reminders import SEND_NOW
from app.ui.routes import ROUTES
from app.ui.screens import adherence, care_reminders
from tests.conftest import FakeClock
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"
# 09:00:30 UTC on a Tuesday: 09:00 in London (GMT), 05:00 in New York (EDT).
MORNING = datetime(2025, 3, 11, 9, 0, 30, tzinfo=UTC)


class CareShell(StubShell):
    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.page = SimpleNamespace(update=lambda: None, show_dialog=lambda d: None)


@pytest.fixture
def team(services: Services, clock: FakeClock) -> SimpleNamespace:
    clock.now = MORNING
    make = services.accounts.create
    casey = make("casey@example.com", "Casey Rivera", PASSWORD, Role.PATIENT, "Europe/London")
    alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT,
                "America/New_York")
    jordan = make("jordan@example.com", "Jordan Patel", PASSWORD, Role.CARE_TEAM)
    for patient in (casey, alex):
        services.access.grant(patient, jordan)
    return SimpleNamespace(casey=casey, alex=alex, jordan=jordan)


def run(handler: Any) -> None:
    # A thread of its own: a browser test earlier in the run may leave a loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, handler(None)).result()


def texts(view: Any) -> list[str]:
    return [str(c.value) for c in walk(view) if isinstance(c, ft.Text)]


def button(view: Any, text: str) -> Any:
    return next(c for c in walk(view) if getattr(c, "content", None) == text
                and isinstance(c, ft.Button | ft.OutlinedButton | ft.TextButton))


def dropdown(view: Any, label: str) -> ft.Dropdown:
    return next(c for c in walk(view) if isinstance(c, ft.Dropdown) and c.label == label)


def choose(view: Any, label: str, key: str) -> None:
    """Pick an option as a person does (the dropdown's handler runs)."""
    box = dropdown(view, label)
    box.value = key
    handler: Any = box.on_select
    with contextlib.suppress(RuntimeError):  # the screen reader's wrapper redraws on a page
        handler(SimpleNamespace(control=box))


def field(view: Any, label: str) -> ft.TextField:
    return next(c for c in walk(view) if isinstance(c, ft.TextField) and c.label == label)


def test_the_form_offers_the_labelled_choices(services: Services, team: Any) -> None:
    view = care_reminders.build(CareShell(services, team.jordan))  # type: ignore[arg-type]
    dropdowns = {str(c.label): [o.text for o in c.options] for c in walk(view)
                 if isinstance(c, ft.Dropdown)}
    assert dropdowns == {
        "Send to": ["One patient", "All patients who shared with me",
                    "Patients who have not logged for 3 days",
                    "Patients needled in the last 2 days"],
        "Patient": ["Casey Rivera", "Alex Morgan"],
        "Reminder": ["Daily check-in", "Soreness check after needling", "Home exercises",
                     "Appointment", "Message"],
        "Repeat": ["Send now", "Once", "Every day", "On chosen weekdays"],
    }
    labels = {str(c.label) for c in walk(view) if isinstance(c, ft.TextField)}
    assert {"First day (YYYY-MM-DD)", "Time (HH:MM)", "Until (YYYY-MM-DD, optional)",
            "Message", "Appointment date (YYYY-MM-DD)", "Appointment time (HH:MM)",
            "Place"} <= labels
    assert {"Preview", "Schedule reminder"} <= {
        str(c.content) for c in walk(view)
        if isinstance(c, ft.Button | ft.OutlinedButton)}
    message = next(c for c in walk(view) if isinstance(c, ft.TextField)
                   and c.label == "Message")
    assert message.max_length == 500


def test_send_now_to_one_patient_is_saved_and_previewed_on_their_clock(
        services: Services, team: Any) -> None:
    shell = CareShell(services, team.jordan)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    choose(view, "Patient", team.casey.id)
    field(view, "Message").value = "See you Thursday"
    run(button(view, "Preview").on_click)
    assert "Casey Rivera · Europe/London: Tue 11 Mar 09:00" in texts(view)
    run(button(view, "Schedule reminder").on_click)
    assert shell.flash == "Reminder scheduled for 1 patient."
    assert shell.went == ["/care/reminders"]
    [plan] = services.screens.reminders.planned(team.jordan, team.casey.id)
    assert plan.value.schedule == Schedule(Repeat.ONCE, date(2025, 3, 11), "09:00")


def test_a_refusal_shows_under_its_field_and_keeps_what_was_typed(
        services: Services, team: Any) -> None:
    shell = CareShell(services, team.jordan)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    choose(view, "Send to", "all_shared")
    choose(view, "Repeat", "once")
    at, message = field(view, "Time (HH:MM)"), field(view, "Message")
    at.value = "08:00"  # past in London, still to come in New York
    message.value = "Bring your sheet"
    run(button(view, "Schedule reminder").on_click)
    assert field(view, "First day (YYYY-MM-DD)").error == (
        "That time has passed on Casey Rivera's clock (Europe/London): nothing would be "
        "sent.")
    assert (message.value, at.value) == ("Bring your sheet", "08:00")
    assert shell.went == []
    for patient in (team.casey, team.alex):  # all or none
        assert services.screens.reminders.planned(team.jordan, patient.id) == []
    at.value = "25:00"
    run(button(view, "Schedule reminder").on_click)
    assert at.error == "Use a time like 09:30."
    at.value = "18:00"
    run(button(view, "Schedule reminder").on_click)
    assert shell.flash == "Reminder scheduled for 2 patients."


def test_an_edit_that_lost_a_race_says_so_and_saves_nothing(
        services: Services, team: Any) -> None:
    reminders = services.screens.reminders
    plan = reminders.schedule(team.jordan, team.casey.id, template=Template.HOME_EXERCISE,
                              schedule=Schedule(Repeat.DAILY, date(2025, 3, 11), "18:00"))
    shell = CareShell(services, team.jordan)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    assert "Every day at 18:00, from Tue 11 Mar" in texts(view)
    run(button(view, "Edit").on_click)
    at = field(view, "Time (HH:MM)")
    assert (dropdown(view, "Repeat").value, at.value, dropdown(view, "Reminder").disabled) \
        == ("daily", "18:00", True)
    assert str(button(view, "Save changes").content) == "Save changes"
    # Someone else changes it meanwhile.
    reminders.edit(team.jordan, plan.id, expected_version=1,
                   schedule=Schedule(Repeat.DAILY, date(2025, 3, 11), "19:00"))
    at.value = "20:00"
    run(button(view, "Save changes").on_click)
    assert care_reminders.CHANGED_ELSEWHERE in texts(view)
    [held] = reminders.planned(team.jordan, team.casey.id)
    assert held.value.schedule.at == "19:00"


def test_each_sent_occurrence_shows_what_the_patient_did(
        services: Services, team: Any, clock: FakeClock) -> None:
    reminders = services.screens.reminders
    reminders.schedule_for_group(team.jordan, [team.casey.id, team.alex.id],
                                 template=Template.MESSAGE, schedule=SEND_NOW,
                                 message="Hello")
    clock.advance(seconds=5)
    services.reminders.delivery.run_due()
    [item] = reminders.inbox(team.casey, team.casey.id)
    reminders.respond(team.casey, item.delivery.id, Answer.DONE)
    view = care_reminders.build(CareShell(services, team.jordan))  # type: ignore[arg-type]
    shown = texts(view)
    assert "Tue 11 Mar 09:00: Done" in shown  # Casey, London
    assert "Nothing more to send" in shown
    # 05:00 in New York is in Alex's quiet hours: it waits for their end.
    assert "Next: Tue 11 Mar 07:00 (America/New_York)" in shown
    clock.advance(hours=2)
    services.reminders.delivery.run_due()
    view = care_reminders.build(CareShell(services, team.jordan))  # type: ignore[arg-type]
    assert "Tue 11 Mar 07:00: Not opened yet" in texts(view)


def test_adherence_lists_most_in_need_first_and_sorts_by_each_column(
        services: Services, team: Any, clock: FakeClock) -> None:
    services.logbook.check_in(team.alex, team.alex.id, pain_now=3)
    shell = CareShell(services, team.jordan)
    view = adherence.build(shell)  # type: ignore[arg-type]
    table: Any = next(c for c in walk_all(view) if isinstance(c, ft.DataTable))
    assert [str(c.label.value) for c in table.columns] == list(adherence.COLUMNS)
    assert names(table) == ["Casey Rivera", "Alex Morgan"]  # never checked in first
    assert [str(cell.content.value) for cell in table.rows[0].cells[:5]] == [
        "Casey Rivera", "Never", "0", "0", "0"]
    table.columns[0].on_sort(SimpleNamespace(column_index=0, ascending=True))
    assert names(table) == ["Alex Morgan", "Casey Rivera"]
    assert (table.sort_column_index, table.sort_ascending) == (0, True)
    table.columns[1].on_sort(SimpleNamespace(column_index=1, ascending=True))
    assert names(table) == ["Alex Morgan", "Casey Rivera"]  # 0 days, then never
    table.columns[1].on_sort(SimpleNamespace(column_index=1, ascending=False))
    assert names(table) == ["Casey Rivera", "Alex Morgan"]


def walk_all(control: Any) -> Any:
    yield from walk(control)
    for c in walk(control):
        if isinstance(c, ft.Row):
            for inner in c.controls:
                if isinstance(inner, ft.DataTable):
                    yield inner


def names(table: Any) -> list[str]:
    return [str(row.cells[0].content.value) for row in table.rows]


def test_only_clinicians_may_open_the_care_team_screens() -> None:
    for path in ("/care/reminders", "/care/adherence"):
        roles = ROUTES[path].roles
        assert roles is not None
        assert Role.PATIENT not in roles and Role.ADMIN not in roles, path
        assert {Role.CARE_TEAM, Role.THERAPIST} <= roles, path


def test_adherence_flags_are_what_each_grant_allows(services: Services, team: Any,
                                                     clock: FakeClock) -> None:
    from app.domain.accounts import Scope

    services.logbook.check_in(team.alex, team.alex.id, pain_now=8)
    clock.advance(days=10)
    services.access.set_scope(team.casey, team.jordan.id, Scope.FULL)
    view = adherence.build(CareShell(services, team.jordan))  # type: ignore[arg-type]
    table: Any = next(c for c in walk_all(view) if isinstance(c, ft.DataTable))
    flags = {str(row.cells[0].content.value): [str(getattr(c, "value", "")) or
                                               str(c.content.value)
                                               for c in row.cells[5].content.controls]
             for row in table.rows}
    # Alex shares reminders and logging only: whether they logged, nothing health-derived.
    assert flags == {"Alex Morgan": ["Stopped logging", "Health details not shared"],
                     "Casey Rivera": ["None"]}


def test_emails_given_up_are_listed_with_their_reason(services: Services, team: Any,
                                                      clock: FakeClock) -> None:
    from app.services.notifier import MemoryNotifier
    from tests.services.reminder_helpers import reminder_services

    failing = MemoryNotifier(failures=["421 mail server busy"] * 5)
    _, delivery = reminder_services(services, clock, notifier=failing)
    services.screens.reminders.schedule(team.jordan, team.casey.id,
                                        template=Template.MESSAGE, schedule=SEND_NOW,
                                        message="Hello")
    for _ in range(12):  # the first try and every retry, over three hours
        clock.advance(minutes=20)
        delivery.run_due()
    shown = texts(care_reminders.build(CareShell(services, team.jordan)))  # type: ignore[arg-type]
    assert "Emails that could not be sent" in shown
    assert ("Casey Rivera · Message · Tue 11 Mar 09:00: Email failed: 421 mail server busy"
            in shown)
    assert "Email failed: 421 mail server busy" in shown  # under the plan's occurrence


def test_cancel_asks_first_then_cancels_and_keeps_what_was_sent(
        services: Services, team: Any) -> None:
    reminders = services.screens.reminders
    plan = reminders.schedule(team.jordan, team.casey.id, template=Template.HOME_EXERCISE,
                              schedule=Schedule(Repeat.DAILY, date(2025, 3, 11), "18:00"))
    shell = CareShell(services, team.jordan)
    shown: list[Any] = []
    shell.page = SimpleNamespace(update=lambda: None, show_dialog=shown.append,
                                 pop_dialog=lambda: None)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    button(view, "Cancel reminder").on_click(None)
    [dialog] = shown
    assert dialog.title.value == "Cancel this reminder for Casey Rivera?"
    keep, act = dialog.actions
    keep.on_click(None)  # "Keep it": nothing changes
    assert not reminders.planned(team.jordan, team.casey.id)[0].value.cancelled
    run(act.on_click)
    dialog.on_dismiss(None)
    [held] = reminders.planned(team.jordan, team.casey.id)
    assert (held.value.id, held.value.cancelled) == (plan.id, True)
    assert (shell.flash, shell.went) == ("Reminder cancelled.", ["/care/reminders"])
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    assert "Cancelled" in texts(view)
    assert not [c for c in walk(view) if getattr(c, "content", None) == "Cancel reminder"]


def test_an_edit_is_saved_as_a_new_version_of_the_plan(services: Services,
                                                       team: Any) -> None:
    reminders = services.screens.reminders
    plan = reminders.schedule(team.jordan, team.alex.id, template=Template.HOME_EXERCISE,
                              schedule=Schedule(Repeat.WEEKDAYS, date(2025, 3, 11), "18:00",
                                                weekdays=(0, 2, 4)))
    shell = CareShell(services, team.jordan)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    run(button(view, "Edit").on_click)
    chips = {str(getattr(c.label, "value", c.label)): c.selected for c in walk(view)
             if isinstance(c, ft.Chip)}
    assert chips == {"Mon": True, "Tue": False, "Wed": True, "Thu": False, "Fri": True,
                     "Sat": False, "Sun": False}
    assert "Editing Alex Morgan's reminder: home exercises" in texts(view)
    field(view, "Time (HH:MM)").value = "19:15"
    field(view, "Until (YYYY-MM-DD, optional)").value = "2025-04-30"
    run(button(view, "Save changes").on_click)
    assert (shell.flash, shell.went) == ("Reminder changed.", ["/care/reminders"])
    [held] = reminders.planned(team.jordan, team.alex.id)
    assert (held.value.id, held.version) == (plan.id, 2)
    assert held.value.schedule == Schedule(Repeat.WEEKDAYS, date(2025, 3, 11), "19:15",
                                           weekdays=(0, 2, 4), until=date(2025, 4, 30))


def test_an_appointment_is_on_the_patients_clock_and_reminded_twice(
        services: Services, team: Any) -> None:
    shell = CareShell(services, team.jordan)
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    choose(view, "Patient", team.alex.id)
    choose(view, "Reminder", "appointment")
    day = field(view, "Appointment date (YYYY-MM-DD)")
    day.value = "2025-03-10"  # yesterday
    field(view, "Place").value = "Riverside Physio, room 2"
    run(button(view, "Schedule reminder").on_click)
    assert day.error == "The appointment is in the past. Check the date."
    day.value = "2025-03-14"
    field(view, "Appointment time (HH:MM)").value = "10:30"
    run(button(view, "Preview").on_click)
    assert "Alex Morgan · America/New_York: Thu 13 Mar 10:30, Fri 14 Mar 08:30" in texts(view)
    run(button(view, "Schedule reminder").on_click)
    assert shell.flash == "Reminder scheduled for 1 patient."
    [plan] = services.screens.reminders.planned(team.jordan, team.alex.id)
    assert plan.value.appointment_at == datetime(2025, 3, 14, 14, 30, tzinfo=UTC)
    assert plan.value.place == "Riverside Physio, room 2"


def test_a_group_appointment_is_on_the_care_teams_clock(services: Services,
                                                        team: Any) -> None:
    shell = CareShell(services, team.jordan)  # Jordan's clock is UTC
    view = care_reminders.build(shell)  # type: ignore[arg-type]
    choose(view, "Patient", team.alex.id)  # left chosen, then a group instead
    choose(view, "Send to", "all_shared")
    choose(view, "Reminder", "appointment")
    field(view, "Appointment date (YYYY-MM-DD)").value = "2025-03-14"
    field(view, "Appointment time (HH:MM)").value = "10:30"
    run(button(view, "Schedule reminder").on_click)
    assert shell.flash == "Reminder scheduled for 2 patients."
    for patient in (team.alex, team.casey):
        [plan] = services.screens.reminders.planned(team.jordan, patient.id)
        assert plan.value.appointment_at == datetime(2025, 3, 14, 10, 30, tzinfo=UTC)
