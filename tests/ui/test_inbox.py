"""The patient's side of reminders, built in-process against the real services on a fake
clock: the inbox (order, "New", actions, Done / Not now, opened when shown, the
appointment download, the empty state), the bell and the Today badge in the frame, Today's
card and next-reminder line, and Settings' email switch and calendar feed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import flet as ft
import pytest
from icalendar import Calendar

from app.domain.accounts import Account, Role
from app.domain.errors import NotFound
from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.reminders import Due
from app.main import Services
from app.ui.frame import scaffold
from app.ui.screens import inbox, today
from app.ui.screens.settings import build as build_settings
from tests.conftest import FakeClock
from tests.services.reminder_helpers import quiet_daily
from tests.ui.test_patient_screens import StubShell, walk

PASSWORD = "backtrack-test-pw"
MESSAGE = "Please bring your home-exercise sheet."


class InboxShell(StubShell):
    """The stub shell, plus what these screens ask of the browser tab: background tasks
    (run when the test says), toasts, the file picker."""

    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services, account)
        self.tasks: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.toasts: list[str] = []
        self.saved: list[tuple[str, bytes]] = []
        self.page = SimpleNamespace(update=lambda *controls: None, run_task=self.tasks.append)
        self.theme_mode = "system"

        async def save_file(file_name: str, src_bytes: bytes) -> None:
            self.saved.append((file_name, src_bytes))

        self.file_picker = type("Picker", (), {"save_file": staticmethod(save_file)})()

    def toast(self, message: str) -> None:
        self.toasts.append(message)

    def run_tasks(self) -> None:
        for task in self.tasks:
            asyncio.run(task())
        self.tasks.clear()


def texts(control: Any) -> list[str]:
    return [str(c.value) for c in walk(control) if isinstance(c, ft.Text)]


def buttons(control: Any) -> dict[str, Any]:
    found = {}
    for c in walk(control):
        if isinstance(c, ft.Button | ft.OutlinedButton | ft.TextButton) and \
                isinstance(c.content, str):
            found[c.content] = c
    return found


def tap(button: Any) -> None:
    result = button.on_click(None)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


def cards(view: ft.View) -> list[ft.Container]:
    listing = next(c for c in walk(view) if isinstance(c, ft.Column)
                   and c.controls and all(isinstance(x, ft.Container) and x.border
                                          for x in c.controls))
    return list(listing.controls)  # type: ignore[arg-type]


@pytest.fixture
def casey(services: Services, clock: FakeClock) -> Account:
    """A patient with two reminders delivered: the care team's message, then a soreness
    check 24 h after her session (newest)."""
    casey = services.accounts.create("casey@example.com", "Casey Lee", PASSWORD,
                                     Role.PATIENT, timezone="Europe/London")
    jordan = services.accounts.create("jordan@example.com", "Jordan", PASSWORD,
                                      Role.CARE_TEAM)
    services.access.grant(casey, jordan)
    quiet_daily(services, casey)  # only the two reminders above
    services.logbook.log_session(casey, casey.id, regions=["lumbar"])
    services.reminders.reminders.schedule(
        jordan, casey.id, template=Template.MESSAGE, message=MESSAGE,
        schedule=Schedule(Repeat.AT_MOMENTS, moments=(clock.now + timedelta(minutes=10),)))
    clock.advance(minutes=11)
    services.reminders.delivery.run_due()
    clock.advance(hours=24)
    services.reminders.delivery.run_due()
    return casey


def test_inbox_lists_newest_first_with_new_marks_and_actions(services: Services,
                                                              casey: Account) -> None:
    shell = InboxShell(services, casey)
    view = inbox.build(shell)  # type: ignore[arg-type]
    first, second = cards(view)
    assert texts(first)[0] == "How is the soreness after your session?"
    assert "New" in texts(first)
    assert texts(second)[0] == "A message from your clinic"
    assert MESSAGE in texts(second)
    assert any(t.startswith("Arrived ") for t in texts(second))
    session = services.logbook.load(casey, casey.id).sessions[-1].value.id
    tap(buttons(first)["Log soreness"])
    assert shell.went == [f"/soreness?session={session}"]
    assert set(buttons(first)) == {"Log soreness", "Done", "Not now"}
    assert set(buttons(second)) == {"Done", "Not now"}  # a message has no other action


def test_opening_the_inbox_marks_shown_items_opened(services: Services,
                                                    casey: Account) -> None:
    reminders = services.screens.reminders
    assert reminders.unread_count(casey, casey.id) == 2
    shell = InboxShell(services, casey)
    view = inbox.build(shell)  # type: ignore[arg-type]
    assert reminders.unread_count(casey, casey.id) == 2  # not on the event loop
    shell.run_tasks()
    assert reminders.unread_count(casey, casey.id) == 0
    assert all(i.delivery.opened_at is not None for i in reminders.inbox(casey, casey.id))
    # The bell on this screen already counts them as read.
    assert bell(view).tooltip == "Reminders"


def test_done_and_not_now_show_the_answer_and_are_stored(services: Services,
                                                         casey: Account) -> None:
    shell = InboxShell(services, casey)
    view = inbox.build(shell)  # type: ignore[arg-type]
    first, second = cards(view)
    tap(buttons(first)["Done"])
    assert "Done" in texts(first)
    assert buttons(first) == {}
    tap(buttons(second)["Not now"])
    assert "Not now" in texts(second)
    assert set(buttons(second)) == {"Done"}
    answers = [i.outcome for i in services.screens.reminders.inbox(casey, casey.id)]
    assert answers == [Answer.DONE, Answer.NOT_NOW]
    again = cards(inbox.build(InboxShell(services, casey)))  # type: ignore[arg-type]
    assert "New" not in texts(again[0]) and "Done" in texts(again[0])


def test_an_appointment_downloads_as_one_ics_file(services: Services, clock: FakeClock,
                                                  casey: Account) -> None:
    jordan = services.accounts.by_email("jordan@example.com")
    assert jordan is not None
    london = ZoneInfo("Europe/London")
    at = datetime(2025, 3, 14, 10, 0, tzinfo=london)
    services.reminders.reminders.schedule(
        jordan, casey.id, template=Template.APPOINTMENT, place="Riverside Physio, room 2",
        schedule=Schedule(Repeat.ONCE), appointment_at=at)
    clock.now = datetime(2025, 3, 13, 10, 1, tzinfo=london).astimezone(UTC)
    services.reminders.delivery.run_due()  # the day-before reminder
    shell = InboxShell(services, casey)
    view = inbox.build(shell)  # type: ignore[arg-type]
    first = cards(view)[0]
    assert "Appointment: Fri 14 Mar, 10:00, Riverside Physio, room 2." in texts(first)
    tap(buttons(first)["Add to my calendar"])
    [(name, content)] = shell.saved
    assert name == "appointment.ics"
    event = next(iter(Calendar.from_ical(content).walk("VEVENT")))
    assert event.decoded("dtstart") == at


def test_an_empty_inbox_says_when_the_next_reminder_comes(services: Services,
                                                          clock: FakeClock) -> None:
    """Kim never saved reminder settings: the default daily check-in (19:00, her time,
    today) comes before her session's 24-hour soreness check; turned off, the soreness
    check is next."""
    kim = services.accounts.create("kim@example.com", "Kim", PASSWORD, Role.PATIENT)
    services.logbook.log_session(kim, kim.id, regions=["lumbar"])
    view = inbox.build(InboxShell(services, kim))  # type: ignore[arg-type]
    words = texts(view)
    assert "Nothing here yet" in words
    assert f"Your next reminder comes {clock.now:%a %-d %b}, 19:00." in words
    quiet_daily(services, kim)
    words = texts(inbox.build(InboxShell(services, kim)))  # type: ignore[arg-type]
    coming = clock.now + timedelta(hours=24)
    assert f"Your next reminder comes {coming:%a %-d %b, %H:%M}." in words


def bell(view: ft.View) -> ft.IconButton:
    assert view.appbar is not None
    return next(c for c in view.appbar.actions or []  # type: ignore[union-attr]
                if isinstance(c, ft.IconButton) and str(c.tooltip).startswith("Reminders"))


def test_the_frame_shows_the_count_on_the_bell_and_on_today(services: Services,
                                                            casey: Account) -> None:
    view = scaffold(InboxShell(services, casey), "/history", "History", [])  # type: ignore[arg-type]
    button = bell(view)
    assert button.tooltip == "Reminders: 2 new"
    assert isinstance(button.icon, ft.Icon)
    assert button.icon.semantics_label == "Reminders: 2 new"
    assert isinstance(button.badge, ft.Badge) and badge_text(button.badge) == "2"
    assert view.navigation_bar is not None
    home, *others = view.navigation_bar.destinations
    assert isinstance(home.icon, ft.Icon) and isinstance(home.icon.badge, ft.Badge)
    assert badge_text(home.icon.badge) == "2"
    assert all(not isinstance(d.icon, ft.Icon) for d in others)


def test_no_bell_for_clinicians(services: Services, casey: Account) -> None:
    jordan = services.accounts.by_email("jordan@example.com")
    assert jordan is not None
    view = scaffold(InboxShell(services, jordan), "/", "Patients", [])  # type: ignore[arg-type]
    assert view.appbar is not None
    assert not any(str(getattr(c, "tooltip", "")).startswith("Reminders")
                   for c in view.appbar.actions or [])  # type: ignore[union-attr]


def test_today_shows_the_new_reminders_card(services: Services, casey: Account) -> None:
    shell = InboxShell(services, casey)
    view = today.build(shell)  # type: ignore[arg-type]
    assert "You have 2 new reminders" in texts(view)
    tap(buttons(view)["Open reminders"])
    assert shell.went == ["/reminders"]
    inbox.build(shell)  # type: ignore[arg-type]
    shell.run_tasks()
    assert not any("new reminder" in t for t in texts(today.build(shell)))  # type: ignore[arg-type]
    assert today.new_reminders_text(1) == "You have 1 new reminder"


def test_next_reminder_line_follows_the_scheduler() -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    at_19 = now.replace(hour=19)
    assert today.next_reminder_line(at_19, Due(at_19, "Daily check-in"), now, True) == \
        "Next reminder: daily check-in, today at 19:00."
    # The care team's reminder comes first: the time is the scheduler's, unnamed.
    assert today.next_reminder_line(now.replace(hour=18), Due(at_19, "Daily check-in"),
                                    now, True) == "Next reminder: today at 18:00."
    assert today.next_reminder_line(None, None, now, False) == \
        "Reminders are off. You can turn them on in Settings."
    assert today.next_reminder_line(at_19 + timedelta(days=3), None, now, False) == \
        "Next reminder: Thu 13 Mar at 19:00."


def test_settings_email_switch(services: Services, casey: Account) -> None:
    shell = InboxShell(services, casey)
    view = build_settings(shell)  # type: ignore[arg-type]
    switch = next(c for c in walk(view) if isinstance(c, ft.Switch)
                  and c.label == "Email reminders")
    assert switch.value is True
    switch.value = False
    changed: Any = switch.on_change  # the screen's async handler (event unused)
    asyncio.run(changed(None))
    assert services.screens.reminders.channels_of(casey.id).email is False
    assert shell.toasts == ["Email reminders are off."]


class ClientPage:
    """Stands in for the page a Flet handler runs in: a client action (the copy button's
    ft.CopyToClipboard) registers its service with the current page when it is made."""

    _services = SimpleNamespace(register_service=lambda service: None)


@pytest.fixture
def in_a_handler() -> Iterator[None]:
    from flet.controls.context import _context_page

    token = _context_page.set(ClientPage())  # type: ignore[arg-type]
    yield
    _context_page.reset(token)


@pytest.mark.usefixtures("in_a_handler")
def test_settings_calendar_feed_shows_the_address_once(services: Services,
                                                       casey: Account) -> None:
    calendar = services.screens.calendar
    shell = InboxShell(services, casey)
    view = build_settings(shell)  # type: ignore[arg-type]
    tap(buttons(view)["Turn on calendar feed"])
    address = next(t for t in texts(view) if "/calendar/" in t)
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert address == calendar.links.calendar_feed(token)  # what the web route serves
    assert calendar.feed(token).startswith(b"BEGIN:VCALENDAR")
    copy = buttons(view)["Copy address"]
    assert isinstance(copy.action, ft.CopyToClipboard) and copy.action.data == address

    # Later visits do not show it again.
    later = build_settings(InboxShell(services, casey))  # type: ignore[arg-type]
    assert not any("/calendar/" in t for t in texts(later))
    assert "Your calendar feed is on." in texts(later)

    tap(buttons(view)["Get a new address"])
    with pytest.raises(NotFound):
        calendar.feed(token)
    newer = next(t for t in texts(view) if "/calendar/" in t)
    assert newer != address
    tap(buttons(view)["Turn off"])
    assert not calendar.is_on(casey, casey.id)
    assert "Turn on calendar feed" in buttons(view)


def badge_text(badge: ft.Badge) -> str:
    return next(t for t in texts(badge.label) if t)


def test_a_long_inbox_shows_the_newest_and_the_rest_on_request(services: Services,
                                                               clock: FakeClock) -> None:
    from app.domain.reminders import ReminderPrefs

    kim = services.accounts.create("kim@example.com", "Kim", PASSWORD, Role.PATIENT)
    services.logbook.set_reminders(kim, ReminderPrefs(kim.id, check_in_time="19:00"))
    for _ in range(inbox.PAGE_SIZE + 5):  # a daily check-in reminder each evening
        clock.advance(days=1)
        services.reminders.delivery.run_due()
    reminders = services.screens.reminders
    assert reminders.unread_count(kim, kim.id) == inbox.PAGE_SIZE + 5
    shell = InboxShell(services, kim)
    view = inbox.build(shell)  # type: ignore[arg-type]
    assert len(cards(view)) == inbox.PAGE_SIZE
    assert bell(view).tooltip == "Reminders: 5 new"  # the ones not drawn yet
    shell.run_tasks()
    assert reminders.unread_count(kim, kim.id) == 5
    older = buttons(view)["Show older reminders"]
    tap(older)
    shell.run_tasks()
    assert len(cards(view)) == inbox.PAGE_SIZE + 5
    assert not older.visible
    assert reminders.unread_count(kim, kim.id) == 0
