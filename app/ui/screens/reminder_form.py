"""The care team's reminder form (on /care/reminders): who, which reminder, when, and the
message or appointment. It reads itself into a `Draft` (or says under each field what is
wrong) and shows the services' refusals under the fields they name; it does not save.

Times are each patient's own wall clock (the services turn them into instants per
patient), so the form asks for a day and a time, never a zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import flet as ft

from app.domain.accounts import Account
from app.domain.errors import InvalidInput
from app.domain.reminder_plan import (
    MESSAGE_MAX_CHARS,
    NOT_LOGGING_GROUP_DAYS,
    PLACE_MAX_CHARS,
    RECENT_SESSION_GROUP_DAYS,
    Reminder,
    Repeat,
    Schedule,
    Template,
)
from app.domain.zones import zone_of
from app.services.reminder_overview import Group
from app.services.reminders import SEND_NOW, When
from app.ui.components import ChipChoice, choice_list
from app.ui.date_field import date_field

ONE_PATIENT = "one"
SEND_TO: dict[str, str] = {
    ONE_PATIENT: "One patient",
    Group.ALL_SHARED.value: "All patients who shared with me",
    Group.NOT_LOGGING.value: f"Patients who have not logged for {NOT_LOGGING_GROUP_DAYS} days",
    Group.RECENT_SESSION.value: f"Patients needled in the last {RECENT_SESSION_GROUP_DAYS} days",
}
# The reminders a person schedules, in the care team's words (the patient reads
# Template.label). The "not logging" nudge is the app's own.
TEMPLATES: dict[str, str] = {
    Template.DAILY_CHECK_IN.value: "Daily check-in",
    Template.SORENESS_CHECK.value: "Soreness check after needling",
    Template.HOME_EXERCISE.value: "Home exercises",
    Template.APPOINTMENT.value: "Appointment",
    Template.MESSAGE.value: "Message",
}
SEND_NOW_KEY = "now"
REPEATS: dict[str, str] = {
    SEND_NOW_KEY: "Send now",
    Repeat.ONCE.value: "Once",
    Repeat.DAILY.value: "Every day",
    Repeat.WEEKDAYS.value: "On chosen weekdays",
}
WEEKDAYS: dict[str, str] = {str(i): name for i, name in enumerate(
    ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))}
# How far ahead the calendar buttons offer a day.
CALENDAR_AHEAD = timedelta(days=365)
DATE_HINT = "Use a date like 2026-12-24."
TIME_HINT = "Use a time like 09:30."


@dataclass(frozen=True)
class Draft:
    """What the form says, ready for the services (patients still as a choice: a group
    is looked up when it is used, so it is current)."""

    send_to: str  # ONE_PATIENT or a Group value
    patient_id: str | None
    template: Template
    schedule: When
    message: str = ""
    place: str = ""
    appointment_at: datetime | None = None

    def patients(self, group_of: Callable[[Account, Group], list[Account]],
                 actor: Account) -> list[str]:
        """The patients it is for; `group_of` is ReminderOverview.group."""
        if self.send_to == ONE_PATIENT:
            return [self.patient_id] if self.patient_id else []
        return [p.id for p in group_of(actor, Group(self.send_to))]


def _options(choices: dict[str, str]) -> list[ft.dropdown.Option]:
    return [ft.dropdown.Option(key=key, text=text) for key, text in choices.items()]


class ReminderForm:
    """The fields, their visibility by choice, reading and refusals."""

    def __init__(self, page: ft.Page, patients: list[Account], today: date) -> None:
        self.page = page
        self.today = today
        self.patients = patients
        self.editing: Reminder | None = None
        self.send_to_box, self.send_to = choice_list(
            "Send to", ONE_PATIENT, _options(SEND_TO), on_select=self._changed, expand=True)
        self.patient_box, self.patient = choice_list(
            "Patient", patients[0].id if patients else None,
            [ft.dropdown.Option(key=p.id, text=p.name) for p in patients], expand=True)
        self.template_box, self.template = choice_list(
            "Reminder", Template.MESSAGE.value, _options(TEMPLATES), on_select=self._changed,
            expand=True)
        self.repeat_box, self.repeat = choice_list(
            "Repeat", SEND_NOW_KEY, _options(REPEATS), on_select=self._changed, expand=True)
        self.weekdays = ChipChoice("On these days", WEEKDAYS)
        latest = today + CALENDAR_AHEAD
        self.first_day_row, self.first_day = date_field(
            page, "First day (YYYY-MM-DD)", today, latest)
        self.at = ft.TextField(label="Time (HH:MM)", value="09:00",
                               keyboard_type=ft.KeyboardType.DATETIME)
        self.until_row, self.until = date_field(
            page, "Until (YYYY-MM-DD, optional)", today, latest, expand=True)
        self.until.value = ""
        self.message = ft.TextField(label="Message", multiline=True, min_lines=2,
                                    max_length=MESSAGE_MAX_CHARS)
        self.appointment_day_row, self.appointment_day = date_field(
            page, "Appointment date (YYYY-MM-DD)", today + timedelta(days=7), latest)
        self.appointment_time = ft.TextField(label="Appointment time (HH:MM)", value="10:00",
                                             keyboard_type=ft.KeyboardType.DATETIME)
        self.place = ft.TextField(label="Place", max_length=PLACE_MAX_CHARS)
        self.problem = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.when_row = _day_and_time(self.first_day_row, self.at)
        self.appointment_row = _day_and_time(self.appointment_day_row, self.appointment_time)
        self.appointment_note = ft.Text(
            "Reminded the day before at the same time, and 2 hours before.", size=14,
            color=ft.Colors.ON_SURFACE_VARIANT)
        self.controls: list[ft.Control] = [
            self.send_to_box, self.patient_box, self.template_box, self.repeat_box,
            self.weekdays, self.when_row, self.until_row, self.message,
            self.appointment_row, self.appointment_note, self.place, self.problem]
        self._show_what_applies()

    # -- what shows ------------------------------------------------------------------

    def _changed(self, _: Any) -> None:
        self._show_what_applies()
        self.page.update()

    def _show_what_applies(self) -> None:
        template = self.template.value
        repeat = self.repeat.value
        appointment = template == Template.APPOINTMENT.value
        self.patient_box.visible = self.send_to.value == ONE_PATIENT
        self.repeat_box.visible = not appointment
        self.weekdays.visible = not appointment and repeat == Repeat.WEEKDAYS.value
        self.when_row.visible = not appointment and repeat != SEND_NOW_KEY
        self.until_row.visible = not appointment and repeat in (Repeat.DAILY.value,
                                                                Repeat.WEEKDAYS.value)
        self.message.visible = template == Template.MESSAGE.value
        for control in (self.appointment_row, self.appointment_note, self.place):
            control.visible = appointment
        # While editing, the patient and the kind of reminder stay what they were.
        self.send_to.disabled = self.patient.disabled = self.template.disabled = \
            self.editing is not None

    # -- reading ---------------------------------------------------------------------

    def clear_errors(self) -> None:
        for field in (self.first_day, self.at, self.until, self.message,
                      self.appointment_day, self.appointment_time, self.place):
            field.error = None
        self.patient.error_text = None
        self.weekdays.show_error(None)
        self.problem.visible = False

    def read(self, zone: str) -> Draft | None:
        """The draft, or None with each unreadable field marked. `zone`: whose clock an
        appointment's date and time are on (the one patient's)."""
        self.clear_errors()
        template = Template(self.template.value or Template.MESSAGE.value)
        ok = True
        if self.send_to.value == ONE_PATIENT and not self.patient.value:
            self.patient.error_text = "Pick a patient."
            ok = False
        if template is Template.APPOINTMENT:
            day = _day(self.appointment_day)
            at = _time(self.appointment_time)
            if day is None or at is None:
                return None
            tz = zone_of(zone)
            appointment = datetime.combine(day, at, tz) if tz else None
            # The services make an appointment's schedule from its time (the day before,
            # and 2 h before); the one given here is not used.
            return Draft(self.send_to.value or ONE_PATIENT, self.patient.value, template,
                         Schedule(Repeat.AT_MOMENTS), place=self.place.value or "",
                         appointment_at=appointment) if ok else None
        schedule: When = SEND_NOW
        repeat = self.repeat.value or SEND_NOW_KEY
        if repeat != SEND_NOW_KEY:
            first = _day(self.first_day)
            at = _time(self.at)
            until = None
            if (self.until.value or "").strip():
                until = _day(self.until)
                ok = ok and until is not None
            if first is None or at is None or not ok:
                return None
            schedule = Schedule(Repeat(repeat), first_day=first, at=f"{at:%H:%M}",
                                weekdays=tuple(sorted(int(d) for d in self.weekdays.selected)),
                                until=until)
        if not ok:
            return None
        return Draft(self.send_to.value or ONE_PATIENT, self.patient.value, template,
                     schedule, message=self.message.value or "")

    def show_refusal(self, refused: InvalidInput) -> None:
        """Each of the services' problems under the field it names (the rest under the
        form)."""
        fields: dict[str, ft.TextField] = {
            "first_day": self.first_day, "at": self.at, "until": self.until,
            "message": self.message, "place": self.place,
            "appointment_at": self.appointment_day}
        loose: list[str] = []
        for key, message in refused.problems.items():
            if key in fields and fields[key].visible is not False and \
                    self._row_visible(key):
                fields[key].error = message
            elif key == "weekdays":
                self.weekdays.show_error(message)
            elif key == "patients":
                self.patient.error_text = message
                loose.append(message)
            else:
                loose.append(message)
        self.problem.value = " ".join(loose)
        self.problem.visible = bool(loose)

    def _row_visible(self, key: str) -> bool:
        rows = {"first_day": self.when_row, "at": self.when_row, "until": self.until_row,
                "appointment_at": self.appointment_row}
        row = rows.get(key)
        return row is None or row.visible is not False

    # -- editing ---------------------------------------------------------------------

    def fill_from(self, plan: Reminder, zone: str) -> None:
        """Put a plan in the form to edit it (its patient and kind stay)."""
        self.editing = plan
        self.clear_errors()
        self.send_to.value = ONE_PATIENT
        self.patient.value = plan.patient_id
        self.template.value = plan.template.value
        self.message.value = plan.message
        self.place.value = plan.place
        s = plan.schedule
        if plan.appointment_at is not None:
            local = plan.appointment_at.astimezone(zone_of(zone))
            self.appointment_day.value = local.date().isoformat()
            self.appointment_time.value = f"{local:%H:%M}"
        elif s.repeat is Repeat.AT_MOMENTS and s.moments:
            # A message sent at a fixed moment edits as "Once" on the patient's clock.
            local = min(s.moments).astimezone(zone_of(zone))
            self.repeat.value = Repeat.ONCE.value
            self.first_day.value = local.date().isoformat()
            self.at.value = f"{local:%H:%M}"
        elif s.repeat is not Repeat.AT_MOMENTS:
            self.repeat.value = s.repeat.value
            self.first_day.value = s.first_day.isoformat() if s.first_day else ""
            self.at.value = s.at
            self.until.value = s.until.isoformat() if s.until else ""
            self.weekdays.selected = [str(d) for d in s.weekdays]
            for chip in self.weekdays.chips:
                chip.selected = chip.data in self.weekdays.selected  # type: ignore[attr-defined]
        for box, dropdown, label in ((self.send_to_box, self.send_to, "Send to"),
                                     (self.patient_box, self.patient, "Patient"),
                                     (self.template_box, self.template, "Reminder"),
                                     (self.repeat_box, self.repeat, "Repeat")):
            texts = {o.key: o.text for o in dropdown.options}
            box.label = f"{label}: {texts.get(dropdown.value, 'none chosen')}"
        self._show_what_applies()


def _day_and_time(day: ft.Row, at: ft.TextField) -> ft.ResponsiveRow:
    """Side by side where there is room; on a phone one under the other (side by side,
    "First day (YYYY-MM-DD)" wrapped and was cut off at 412 px)."""
    day.col = {"xs": 12, "sm": 7}
    at.col = {"xs": 12, "sm": 5}
    return ft.ResponsiveRow([day, at], spacing=12, run_spacing=12,
                            vertical_alignment=ft.CrossAxisAlignment.START)


def _day(field: ft.TextField) -> date | None:
    try:
        return date.fromisoformat((field.value or "").strip())
    except ValueError:
        field.error = DATE_HINT
        return None


def _time(field: ft.TextField) -> time | None:
    try:
        return datetime.strptime((field.value or "").strip(), "%H:%M").time()
    except ValueError:
        field.error = TIME_HINT
        return None
