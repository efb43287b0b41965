"""The reminders' token routes on the real server (`python -m app run`), over HTTP: the
calendar feed a phone subscribes to, parsed back with icalendar; unknown, replaced,
revoked and malformed tokens answered alike; the email's unsubscribe link, whose GET only
asks and whose POST turns email off (checked in the store once the server stopped).

The clinic is prepared through the services before the server starts (the server holds
the store while it runs): feeds turned on, replaced and revoked, and two real reminder
emails sent through a loopback aiosmtpd server for their unsubscribe links.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller

from app import paths
from app.domain.accounts import Account
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services, build_services, seed_demo_if_empty
from app.services.notifier import Security
from app.settings import Settings
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.e2e.server import TEST_ENV, free_port, serving
from tests.services.smtp_helpers import HOST, Mailbox
from tests.services.smtp_helpers import free_port as free_smtp_port


@dataclass(frozen=True)
class Prepared:
    settings: Settings
    alex_zone: str
    first_day: date  # of Alex's daily home exercise reminder, at 10:35 his time
    feed: str  # Alex's live feed address
    replaced: str  # Casey's first feed address, replaced by a second
    revoked: str  # Blair's feed address, turned off
    ask_only: str  # the unsubscribe link in Blair's email: only opened (GET)
    confirm: str  # the unsubscribe link in Casey's email: confirmed (POST)


@dataclass(frozen=True)
class Clinic:
    prepared: Prepared
    url: str
    log: Path
    stop: Callable[[], None]


def _unsubscribe_link(mailbox: Mailbox, to: str) -> str:
    [message] = [m for rcpt, m in mailbox.messages if rcpt == [to]]
    return str(message["List-Unsubscribe"]).strip("<>")


def _prepare(settings: Settings, smtp_port: int) -> Prepared:
    # Noon today (UTC, the demo patients' zone): outside anyone's quiet hours whenever the
    # test runs, so the reminder emails are due at once.
    noon = FakeClock(datetime.combine(datetime.now(UTC).date(), time(12), UTC))
    services = build_services(settings, clock=noon)
    try:
        seed_demo_if_empty(services, progress=lambda _: None)
        return _fill(services, settings, smtp_port)
    finally:
        services.close()


def _account(services: Services, name: str) -> Account:
    found = services.accounts.by_email(f"{name}@example.com")
    assert found is not None
    return found


def _fill(services: Services, settings: Settings, smtp_port: int) -> Prepared:
    alex, blair, casey, jordan, admin = (_account(services, n) for n in (
        "alex", "blair", "casey", "jordan", "admin"))
    calendar, reminders = services.reminders.calendar, services.reminders.reminders
    feed = calendar.turn_on(alex, alex.id)
    now = services.accounts.clock()
    tomorrow = now.astimezone(ZoneInfo(alex.timezone)).date() + timedelta(days=1)
    reminders.schedule(jordan, alex.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, tomorrow, "10:35"))
    revoked = calendar.turn_on(blair, blair.id)
    calendar.revoke(blair, blair.id)
    replaced = calendar.turn_on(casey, casey.id)
    calendar.turn_on(casey, casey.id)

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=HOST, port=smtp_port)
    smtp.start()
    try:
        services.reminders.mail.save(admin, host=HOST, port=smtp_port, security=Security.NONE,
                                     sender="reminders@clinic.example")
        for patient in (blair, casey):
            reminders.schedule(jordan, patient.id, template=Template.MESSAGE,
                               schedule=Schedule(Repeat.AT_MOMENTS, moments=(now,)),
                               message="See you Tuesday")
        services.reminders.delivery.run_due()
    finally:
        smtp.stop()
    paths.smtp_file(settings.data_dir).unlink()  # the server's scheduler sends no more
    return Prepared(settings, alex.timezone, tomorrow, feed, replaced, revoked,
                    _unsubscribe_link(mailbox, "blair@example.com"),
                    _unsubscribe_link(mailbox, "casey@example.com"))


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    data_dir = tmp_path_factory.mktemp("routes-store")
    port = free_port()
    prepared = _prepare(replace(FAST_SETTINGS, data_dir=data_dir, port=port),
                        free_smtp_port())
    argv = [sys.executable, "-m", "app", "run", "--no-browser", "--data-dir", str(data_dir),
            "--port", str(port)]
    log = data_dir / "server.log"
    with ExitStack() as running:
        url = running.enter_context(serving(argv, log, port, {**os.environ, **TEST_ENV}))
        yield Clinic(prepared, url, log, running.close)


@pytest.fixture(scope="module")
def http(clinic: Clinic) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def _path(address: str) -> str:
    return httpx.URL(address).raw_path.decode()


def _compared(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What an answer tells a client, apart from the time it was made."""
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date",))
    return response.status_code, headers, response.content


def test_links_use_the_servers_public_address(clinic: Clinic) -> None:
    base = clinic.prepared.settings.public_url
    assert clinic.prepared.feed.startswith(f"{base}/calendar/")
    assert clinic.prepared.ask_only.startswith(f"{base}/reminders/unsubscribe/")
    assert base == clinic.url


def test_a_phone_calendar_gets_the_feed_with_events_and_alarms(clinic: Clinic,
                                                               http: httpx.Client) -> None:
    answer = http.get(clinic.url + _path(clinic.prepared.feed))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-store"
    calendar = icalendar.Calendar.from_ical(answer.content)
    [exercise] = [e for e in calendar.walk("VEVENT")  # the demo has others
                  if e.decoded("dtstart").time() == time(10, 35)]
    assert str(exercise["summary"]) == Template.HOME_EXERCISE.label
    start = exercise.decoded("dtstart")
    assert start.date() == clinic.prepared.first_day
    assert str(start.tzinfo) == clinic.prepared.alex_zone  # the patient's wall clock
    assert exercise["RRULE"].to_ical().startswith(b"FREQ=DAILY")  # type: ignore[arg-type]
    [alarm] = exercise.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(0)
    head = http.head(clinic.url + _path(clinic.prepared.feed))
    assert head.status_code == 200 and head.content == b""


def test_unknown_replaced_revoked_and_malformed_tokens_get_the_same_404(
        clinic: Clinic, http: httpx.Client) -> None:
    live = _path(clinic.prepared.feed)
    answers = [http.get(clinic.url + path) for path in (
        "/calendar/" + "A" * 43 + ".ics", _path(clinic.prepared.replaced),
        _path(clinic.prepared.revoked),
        "/calendar/short.ics", "/calendar/" + "A" * 20_000 + ".ics",
        "/calendar/%C3%A9t%C3%A9-%E2%9C%93-calendar-token-x.ics",
        "/calendar/..%2F..%2Fstore%2Fjournal.ics", live.removesuffix(".ics"),
        live + "/extra", "/calendar/")]
    assert answers[0].status_code == 404 and answers[0].content == b""
    for answer in answers:
        assert _compared(answer) == _compared(answers[0])


def test_a_method_the_routes_do_not_answer_is_refused_not_an_error(
        clinic: Clinic, http: httpx.Client) -> None:
    feed = clinic.url + _path(clinic.prepared.feed)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        answer = http.request(method, feed)
        assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD"
    unsubscribe = clinic.url + _path(clinic.prepared.ask_only)
    for method in ("PUT", "DELETE"):
        answer = http.request(method, unsubscribe)
        assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD, POST"
    for bad in ("A" * 20_000, "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9x"):
        assert http.post(f"{clinic.url}/reminders/unsubscribe/{bad}").status_code == 404
    too_big = http.post(f"{clinic.url}/reminders/unsubscribe/{'Z' * 32}",
                        content=b"x" * 100_000)
    assert too_big.status_code == 413


def test_the_server_log_holds_no_token(clinic: Clinic, http: httpx.Client) -> None:
    http.get(clinic.url + _path(clinic.prepared.feed))
    http.get(clinic.url + _path(clinic.prepared.revoked))
    http.get(clinic.url + _path(clinic.prepared.ask_only))
    log = clinic.log.read_text(errors="replace")
    for address in (clinic.prepared.feed, clinic.prepared.revoked, clinic.prepared.ask_only):
        assert address.rsplit("/", 1)[1].removesuffix(".ics") not in log


def test_the_unsubscribe_link_asks_first_then_turns_email_off_and_never_tells(
        clinic: Clinic, http: httpx.Client) -> None:
    """Last in the file: it stops the server to read the store the server held."""
    ask = http.get(clinic.url + _path(clinic.prepared.ask_only))
    assert ask.status_code == 200
    assert ask.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in ask.headers["content-security-policy"]
    assert ask.headers["x-content-type-options"] == "nosniff"
    assert '<form method="post">' in ask.text and "Turn off email reminders" in ask.text
    assert "Email reminders are off" not in ask.text
    confirmed = http.post(clinic.url + _path(clinic.prepared.confirm),
                          data={"List-Unsubscribe": "One-Click"})  # as a mail client posts
    never_sent = http.post(f"{clinic.url}/reminders/unsubscribe/{'Qq0-_x' * 6}")
    assert confirmed.status_code == 200 and "Email reminders are off" in confirmed.text
    assert _compared(never_sent) == _compared(confirmed)

    clinic.stop()
    services = build_services(clinic.prepared.settings)
    try:
        channels = services.reminders.reminders.channels_of
        assert channels(_account(services, "blair").id).email  # the link only opened
        assert not channels(_account(services, "casey").id).email  # the button pressed
    finally:
        services.close()
