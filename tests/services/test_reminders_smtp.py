"""Reminder emails against a real SMTP server on loopback (aiosmtpd started by the test):
the right recipient, subject and links arrive and nothing about the patient's health; a
server that is down or refusing → recorded failure, retried, then delivered once; STARTTLS
and TLS from the first byte with a throwaway CA (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.domain.reminder_delivery import Channel, Status
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.notifier import Security, SmtpNotifier, SmtpSettings
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, make_people, reminder_services
from tests.services.smtp_helpers import HOST, Mailbox, free_port


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def server(mailbox: Mailbox) -> Iterator[Controller]:
    controller = Controller(mailbox, hostname=HOST, port=free_port())
    controller.start()
    yield controller
    controller.stop()


def schedule_one(services: Services, people: People, clock: FakeClock,
                 notifier: SmtpNotifier) -> Any:
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    # Health detail the email must never carry.
    services.logbook.check_in(people.patient, people.patient.id, pain_now=8,
                              note="numb left leg since Tuesday")
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"),
                       message="Your soreness score worried us, please call")
    return reminders, delivery


def plain(port: int, security: Security = Security.NONE,
          context: ssl.SSLContext | None = None) -> SmtpNotifier:
    return SmtpNotifier(SmtpSettings(HOST, port, "reminders@clinic.example", security,
                                     timeout_seconds=5), tls_context=context)


def test_the_email_says_only_that_there_is_a_reminder_with_links(
        services: Services, people: People, clock: FakeClock, server: Controller,
        mailbox: Mailbox) -> None:
    reminders, delivery = schedule_one(services, people, clock, plain(server.port))
    assert delivery.run_due().line() == \
        "delivered 2 (in_app 1, email 1), late 0, skipped 0, failed 0"
    [(recipients, message)] = mailbox.messages
    assert recipients == ["alex@example.com"]
    assert message["To"] == "alex@example.com"
    assert message["From"] == "reminders@clinic.example"
    assert message["Subject"] == "A reminder from Harbour Physio"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "https://clinic.example/reminders" in body
    link = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("https://clinic.example/reminders/unsubscribe/")
    assert link in body
    assert reminders.unsubscribe(link.rsplit("/", 1)[1])
    assert not reminders.channels_of(people.patient.id).email
    everything = (str(message) + body).casefold()
    for detail in ("soreness", "score", "pain", "numb", "leg", "worried", "call"):
        assert detail not in everything, detail
    assert delivery.run_due().delivered == 0
    assert len(mailbox.messages) == 1


def test_server_down_then_up_is_recorded_retried_and_delivered_once(
        services: Services, people: People, clock: FakeClock, mailbox: Mailbox) -> None:
    port = free_port()  # nothing listens there yet
    reminders, delivery = schedule_one(services, people, clock, plain(port))
    assert delivery.run_due().line() == \
        "delivered 1 (in_app 1, email 0), late 0, skipped 0, failed 1"
    [email] = [v.value for v in reminders.deliveries.find(None, channel="email")]
    assert email.status is Status.PENDING and email.attempts == 1
    assert email.last_error.startswith("cannot reach the mail server")
    controller = Controller(mailbox, hostname=HOST, port=port)
    controller.start()
    try:
        clock.advance(minutes=1)
        assert delivery.run_due().line() == \
            "delivered 1 (in_app 0, email 1), late 0, skipped 0, failed 0"
        clock.advance(hours=3)
        assert delivery.run_due().delivered == 0
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1


def test_server_refusing_then_accepting(services: Services, people: People, clock: FakeClock,
                                        server: Controller, mailbox: Mailbox) -> None:
    mailbox.refuse = "554 Transaction failed"
    reminders, delivery = schedule_one(services, people, clock, plain(server.port))
    assert delivery.run_due().failed == 1
    [email] = [v.value for v in reminders.deliveries.find(None, channel=Channel.EMAIL.value)]
    assert email.last_error == "the mail server answered 554"
    mailbox.refuse = None
    clock.advance(minutes=1)
    assert delivery.run_due().email == 1
    clock.advance(hours=1)
    assert delivery.run_due().delivered == 0
    assert len(mailbox.messages) == 1


def test_starttls_with_the_clinics_certificate(services: Services, people: People,
                                               clock: FakeClock, mailbox: Mailbox,
                                               ca: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server_context)
    controller = Controller(mailbox, hostname=HOST, port=free_port(),
                            tls_context=server_context, require_starttls=True)
    controller.start()
    try:
        client = ssl.create_default_context()
        ca.configure_trust(client)
        _, delivery = schedule_one(services, people, clock,
                                   plain(controller.port, Security.STARTTLS, client))
        assert delivery.run_due().email == 1
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_tls_from_the_first_byte(services: Services, people: People, clock: FakeClock,
                                 mailbox: Mailbox, ca: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server_context)
    controller = Controller(mailbox, hostname=HOST, port=free_port(),
                            ssl_context=server_context)
    controller.start()
    try:
        client = ssl.create_default_context()
        ca.configure_trust(client)
        _, delivery = schedule_one(services, people, clock,
                                   plain(controller.port, Security.TLS, client))
        assert delivery.run_due().email == 1
        assert [m["Subject"] for _, m in mailbox.messages] == [
            "A reminder from Harbour Physio"]
    finally:
        controller.stop()


def test_an_untrusted_certificate_is_a_recorded_failure(
        services: Services, people: People, clock: FakeClock, mailbox: Mailbox,
        ca: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server_context)
    controller = Controller(mailbox, hostname=HOST, port=free_port(),
                            tls_context=server_context, require_starttls=True)
    controller.start()
    try:
        reminders, delivery = schedule_one(
            services, people, clock,
            plain(controller.port, Security.STARTTLS, ssl.create_default_context()))
        assert delivery.run_due().failed == 1
        [email] = [v.value for v in reminders.deliveries.find(None, channel="email")]
        assert email.last_error.startswith("TLS failed")
        assert mailbox.messages == []
    finally:
        controller.stop()


def test_one_connection_for_a_run_and_a_fresh_one_after_a_failure(
        services: Services, people: People, clock: FakeClock, server: Controller,
        mailbox: Mailbox) -> None:
    reminders, delivery = reminder_services(services, clock, notifier=plain(server.port))
    services.access.grant(people.other_patient, people.care_team)
    for hour in ("07:00", "07:30", "08:00"):
        reminders.schedule_for_group(
            people.care_team, [people.patient.id, people.other_patient.id],
            template=Template.HOME_EXERCISE,
            schedule=Schedule(Repeat.ONCE, date(2025, 3, 11), hour))
    clock.advance(days=1)
    assert delivery.run_due().email == 6
    assert len(mailbox.messages) == 6 and len(set(mailbox.peers)) == 1
    assert delivery.run_due().delivered == 0


def test_login_over_starttls_and_a_wrong_password_recorded(
        services: Services, people: People, clock: FakeClock, mailbox: Mailbox,
        ca: trustme.CA) -> None:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = auth_data.login == b"clinic" and auth_data.password == b"right-password"
        return AuthResult(success=ok, handled=False)  # handled=False: answer 535 if not ok

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server_context)
    controller = Controller(mailbox, hostname=HOST, port=free_port(),
                            tls_context=server_context, require_starttls=True,
                            auth_required=True, authenticator=authenticator)
    controller.start()
    client = ssl.create_default_context()
    ca.configure_trust(client)

    def notifier(password: str) -> SmtpNotifier:
        return SmtpNotifier(SmtpSettings(HOST, controller.port, "reminders@clinic.example",
                                         Security.STARTTLS, "clinic", password, 5),
                            tls_context=client)
    try:
        reminders, delivery = schedule_one(services, people, clock, notifier("wrong"))
        assert delivery.run_due().failed == 1
        [email] = [v.value for v in reminders.deliveries.find(None, channel="email")]
        assert email.last_error == "the mail server answered 535"
        _, fixed = reminder_services(services, clock, notifier=notifier("right-password"))
        clock.advance(minutes=1)
        assert fixed.run_due().email == 1
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_a_sign_in_the_server_does_not_offer_is_explained(
        services: Services, people: People, clock: FakeClock, server: Controller) -> None:
    """A user name set for a server without AUTH: the admin reads what to check, not
    "SMTPNotSupportedError"."""
    notifier = SmtpNotifier(SmtpSettings(HOST, server.port, "reminders@clinic.example",
                                         Security.NONE, user="clinic", password="pw",
                                         timeout_seconds=5))
    reminders, delivery = schedule_one(services, people, clock, notifier)
    assert delivery.run_due().failed == 1
    [email] = [v.value for v in reminders.deliveries.find(None, channel=Channel.EMAIL.value)]
    assert email.last_error is not None
    assert email.last_error.startswith("the mail server does not offer what the settings ask")
