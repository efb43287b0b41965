"""The reminders' token routes straight into the ASGI app (no server): everything else
still reaches Flet; a GET of the unsubscribe link changes nothing and a POST turns email
off; HEAD answers carry no body. The real server is tested in
tests/e2e/test_reminder_routes.py; these run with the quick suite."""

from __future__ import annotations

import pytest

from app.main import Services
from app.services.reminders import ReminderService
from app.ui.reminder_routes import ASK_PAGE, DONE_PAGE, with_reminder_routes
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, emailed_unsubscribe_token, make_people
from tests.ui.test_web import Client, flet_stand_in


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


def _client(services: Services, reminders: ReminderService | None = None) -> Client:
    return Client(with_reminder_routes(flet_stand_in, services.screens.calendar,
                                       reminders or services.screens.reminders))


@pytest.mark.parametrize("path", ["/reminders", "/reminders/unsubscribe", "/calendar",
                                  "/calendars/x.ics", "/settings"])
def test_every_other_address_still_reaches_flet(services: Services, path: str) -> None:
    assert _client(services).get(path).text == f"flet:{path}"


def test_a_get_of_the_unsubscribe_link_asks_and_a_post_turns_email_off(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, token = emailed_unsubscribe_token(services, people, clock)
    path = "/reminders/unsubscribe/" + token
    client = _client(services, reminders)

    for method in ("GET", "HEAD"):
        answer = client.request(method, path)
        assert answer.status_code == 200
        assert answer.content == (ASK_PAGE if method == "GET" else b"")
    assert reminders.channels_of(people.patient.id).email  # a scanner opened it: no change

    answer = client.post(path)
    assert (answer.status_code, answer.content) == (200, DONE_PAGE)
    assert not reminders.channels_of(people.patient.id).email


def test_a_feed_answers_head_without_a_body(services: Services, people: People) -> None:
    address = services.screens.calendar.turn_on(people.patient, people.patient.id)
    path = "/calendar/" + address.rsplit("/", 1)[1]
    client = _client(services)
    full, head = client.get(path), client.head(path)
    assert full.status_code == head.status_code == 200
    assert full.content.startswith(b"BEGIN:VCALENDAR") and head.content == b""
    assert head.headers["content-type"] == "text/calendar; charset=utf-8"
