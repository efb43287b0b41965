"""The clinic's mail server: only the admin sets it, the password is never shown back and
lives in a 0600 file outside the store, a test email goes through a real loopback
server, and the scheduler picks a change up at its next run."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.domain.errors import InvalidInput, NotAllowed
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.reminders_wiring import build_reminder_services
from app.services.mail_settings import SMTP_FILE, MailSettingsService
from app.services.notifier import DeliveryFailed, Security
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, make_people
from tests.services.smtp_helpers import HOST, Mailbox, free_port


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def server(mailbox: Mailbox) -> Iterator[Controller]:
    controller = Controller(mailbox, hostname=HOST, port=free_port())
    controller.start()
    yield controller
    controller.stop()


def save(mail: MailSettingsService, people: People, port: int,
         password: str | None = "s3cret-pass") -> None:
    mail.save(people.admin, host=HOST, port=port, security=Security.NONE,
              sender="reminders@clinic.example", user="", password=password)


def test_admin_saves_the_password_is_kept_private_and_never_shown(
        tmp_path: Path, people: People) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    assert mail.current(people.admin) is None
    save(mail, people, 2525)
    assert stat.S_IMODE((tmp_path / SMTP_FILE).stat().st_mode) == 0o600
    view = mail.current(people.admin)
    assert view is not None and view.password_set and view.port == 2525
    assert "s3cret" not in repr(view)
    save(mail, people, 2526, password=None)  # the screen sends no password back: kept
    assert "s3cret-pass" in (tmp_path / SMTP_FILE).read_text()
    for who in (people.care_team, people.therapist, people.patient):
        with pytest.raises(NotAllowed):
            mail.current(who)
        with pytest.raises(NotAllowed):
            mail.save(who, host=HOST, port=25, security=Security.NONE,
                      sender="x@clinic.example")


def test_wrong_settings_are_refused_by_field(tmp_path: Path, people: People) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    with pytest.raises(InvalidInput) as refused:
        mail.save(people.admin, host="smtp example", port=70000, security=Security.TLS,
                  sender="clinic")
    assert set(refused.value.problems) == {"host", "port", "sender"}
    assert not (tmp_path / SMTP_FILE).exists()


def test_send_a_test_email_through_a_real_server(tmp_path: Path, people: People,
                                                 server: Controller,
                                                 mailbox: Mailbox) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    with pytest.raises(InvalidInput):
        mail.send_test(people.admin, "admin@example.com", "Harbour Physio")
    save(mail, people, server.port)
    mail.send_test(people.admin, "admin@example.com", "Harbour Physio")
    [(recipients, message)] = mailbox.messages
    assert recipients == ["admin@example.com"]
    assert message["Subject"] == "A reminder from Harbour Physio"
    save(mail, people, free_port())  # nothing listens there
    with pytest.raises(DeliveryFailed) as failed:
        mail.send_test(people.admin, "admin@example.com", "Harbour Physio")
    assert failed.value.reason.startswith("cannot reach the mail server")


def test_the_scheduler_uses_the_server_saved_after_it_started(
        tmp_path: Path, services: Services, people: People, clock: FakeClock,
        server: Controller, mailbox: Mailbox) -> None:
    built = build_reminder_services(services.store, services.access, services.clinic,
                                    data_dir=tmp_path, base_url="https://clinic.example",
                                    clock=clock)
    schedule = Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00")
    built.reminders.schedule(people.care_team, people.patient.id,
                             template=Template.HOME_EXERCISE, schedule=schedule)
    assert built.delivery.run_due().line() == \
        "delivered 1 (in_app 1, email 0), late 0, skipped 0, failed 0"
    save(built.mail, people, server.port)
    built.reminders.schedule(people.care_team, people.patient.id,
                             template=Template.MESSAGE, schedule=schedule, message="Hi")
    assert built.delivery.run_due().line() == \
        "delivered 2 (in_app 1, email 1), late 0, skipped 0, failed 0"
    assert [r for r, _ in mailbox.messages] == [["alex@example.com"]]
    # A settings file others can read is refused; the inbox keeps working.
    (tmp_path / SMTP_FILE).chmod(0o644)
    built.reminders.schedule(people.care_team, people.patient.id,
                             template=Template.MESSAGE, schedule=schedule, message="Hi")
    assert built.delivery.run_due().line() == \
        "delivered 1 (in_app 1, email 0), late 0, skipped 0, failed 0"


def test_the_port_as_typed_on_the_screen_is_read_as_a_number(tmp_path: Path,
                                                              people: People) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    view = mail.save(people.admin, host=HOST, port=" 587 ", security=Security.STARTTLS,
                     sender="reminders@clinic.example")
    assert view.port == 587
    for typed in ("", "five", "-1", "70000", "１２３"):
        with pytest.raises(InvalidInput) as refused:
            mail.save(people.admin, host=HOST, port=typed, security=Security.STARTTLS,
                      sender="reminders@clinic.example")
        assert set(refused.value.problems) == {"port"}
    assert mail.current(people.admin) == view  # a refusal changed nothing


@pytest.mark.parametrize("to", ["", "admin", "a@b@c", "a@b, c@d", "a b@c.example", "x@"])
def test_a_test_email_to_an_unusable_address_is_refused_before_connecting(
        tmp_path: Path, people: People, to: str) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    save(mail, people, free_port())
    with pytest.raises(InvalidInput) as refused:
        mail.send_test(people.admin, to, "Harbour Physio")
    assert set(refused.value.problems) == {"to"}


def test_a_test_email_with_a_settings_file_others_can_read_says_so_by_the_host(
        tmp_path: Path, people: People) -> None:
    mail = MailSettingsService(tmp_path / SMTP_FILE)
    save(mail, people, free_port())
    (tmp_path / SMTP_FILE).chmod(0o644)
    with pytest.raises(InvalidInput) as refused:
        mail.send_test(people.admin, "admin@example.com", "Harbour Physio")
    assert "chmod 600" in refused.value.problems["host"]
