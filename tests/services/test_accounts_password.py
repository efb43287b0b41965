"""Choosing a password (issue 14): the policy on every path, changing one's own password,
and a forgotten one reset through a one-time link by email."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput
from app.domain.passwords import TOO_EASY, TOO_SHORT
from app.main import Services
from app.services.accounts import PASSWORD_CHANGED, WRONG_CURRENT, SignInFailed
from app.services.notifier import MemoryNotifier
from app.services.password_reset import (
    COOLDOWN,
    NO_EMAIL,
    PASSWORD_RESET,
    PER_CLIENT,
    RESET_REQUESTED,
    SENT,
    VALID_FOR,
    LinkUnusable,
    PasswordResetService,
)
from app.store.shared_state import MemorySharedState
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
NEW_PASSWORD = "lantern orchard pebble"


@pytest.fixture
def casey(services: Services) -> Account:
    return services.accounts.create("casey@example.com", "Casey Lee", PASSWORD, Role.PATIENT)


# -- the policy on every path --------------------------------------------------------


def test_create_refuses_a_commonly_guessed_password(services: Services) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.accounts.create("casey@example.com", "Casey", "password12", Role.PATIENT)
    assert caught.value.problems == {"password": TOO_EASY}
    assert services.accounts.by_email("casey@example.com") is None


def test_set_password_refuses_a_commonly_guessed_password(services: Services,
                                                          casey: Account) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.accounts.set_password(casey.email, "qwertyuiop1")
    assert caught.value.problems == {"password": TOO_EASY}
    assert services.auth.sign_in(casey.email, PASSWORD).account.id == casey.id


def test_a_password_chosen_before_the_policy_still_signs_in(services: Services,
                                                            casey: Account) -> None:
    """The policy applies when a password is chosen, never at sign-in."""
    from dataclasses import replace

    held = services.accounts.accounts.get(casey.id)
    assert held is not None
    weak = replace(held.value, password_hash=services.accounts.hasher.hash("password12"))
    services.accounts.accounts.correct(weak, casey.id, held.version)
    assert services.auth.sign_in(casey.email, "password12").account.id == casey.id


# -- changing one's own password -----------------------------------------------------


def test_change_needs_the_current_password(services: Services, casey: Account) -> None:
    token = services.auth.sign_in(casey.email, PASSWORD).token
    with pytest.raises(InvalidInput) as caught:
        services.auth.change_password(token, "not my password", NEW_PASSWORD)
    assert caught.value.problems == {"current": WRONG_CURRENT}
    assert services.auth.sign_in(casey.email, PASSWORD).account.id == casey.id


@pytest.mark.parametrize(("new", "reason"), [("short", TOO_SHORT), ("password12", TOO_EASY)])
def test_change_checks_the_new_password(services: Services, casey: Account, new: str,
                                        reason: str) -> None:
    token = services.auth.sign_in(casey.email, PASSWORD).token
    with pytest.raises(InvalidInput) as caught:
        services.auth.change_password(token, PASSWORD, new)
    assert caught.value.problems == {"new": reason}


def test_change_ends_the_other_sessions_and_keeps_this_one(services: Services,
                                                           casey: Account) -> None:
    phone = services.auth.sign_in(casey.email, PASSWORD).token
    laptop = services.auth.sign_in(casey.email, PASSWORD).token
    services.auth.change_password(phone, PASSWORD, NEW_PASSWORD)
    assert services.auth.resume(phone) is not None
    assert services.auth.resume(laptop) is None
    with pytest.raises(SignInFailed):
        services.auth.sign_in(casey.email, PASSWORD)
    assert services.auth.sign_in(casey.email, NEW_PASSWORD).account.id == casey.id
    actions = [e.action for e in services.access.audit_trail(casey, casey.id)]
    assert PASSWORD_CHANGED in actions


def test_guessing_the_current_password_is_paused(services: Services, casey: Account) -> None:
    token = services.auth.sign_in(casey.email, PASSWORD).token
    for _ in range(services.auth.max_failures):
        with pytest.raises(InvalidInput):
            services.auth.change_password(token, "a wrong guess", NEW_PASSWORD)
    with pytest.raises(InvalidInput) as caught:
        services.auth.change_password(token, PASSWORD, NEW_PASSWORD)
    assert "paused" in caught.value.problems["current"]


def test_change_after_the_session_ended_is_refused(services: Services,
                                                   casey: Account) -> None:
    token = services.auth.sign_in(casey.email, PASSWORD).token
    services.auth.sign_out(token)
    with pytest.raises(PermissionError):
        services.auth.change_password(token, PASSWORD, NEW_PASSWORD)


# -- forgot my password ----------------------------------------------------------------


@pytest.fixture
def outbox() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def resets(services: Services, outbox: MemoryNotifier, clock: FakeClock,
           ) -> PasswordResetService:
    return PasswordResetService(services.auth, notifier_source=lambda: outbox,
                                clinic_name=lambda: "Harbour Physio",
                                base_url="https://clinic.example", clock=clock,
                                dispatch=lambda send: send())


def token_in(outbox: MemoryNotifier) -> str:
    link = outbox.sent[-1].link
    assert link.startswith("https://clinic.example/reset?token=")
    return parse_qs(urlsplit(link).query)["token"][0]


def test_the_email_has_the_link_and_the_clinic_and_nothing_else(
        resets: PasswordResetService, outbox: MemoryNotifier, casey: Account) -> None:
    assert resets.request(" Casey@Example.com ") == SENT
    [email] = outbox.sent
    assert email.to == casey.email
    assert "Harbour Physio" in email.subject and "Harbour Physio" in email.body
    assert email.link in email.body
    assert "within 1 hour:" in email.body and "for 1 hour." in SENT  # VALID_FOR, in words
    assert email.unsubscribe_link == ""
    assert "Casey" not in email.body  # nothing about the person beyond the address


def test_an_unknown_address_gets_the_same_answer_and_no_email(
        resets: PasswordResetService, outbox: MemoryNotifier) -> None:
    assert resets.request("nobody@example.com") == SENT
    assert outbox.sent == []


def test_the_link_works_once(services: Services, resets: PasswordResetService,
                             outbox: MemoryNotifier, casey: Account) -> None:
    resets.request(casey.email)
    token = token_in(outbox)
    resets.check(token)
    resets.reset(token, NEW_PASSWORD)
    assert services.auth.sign_in(casey.email, NEW_PASSWORD).account.id == casey.id
    with pytest.raises(SignInFailed):
        services.auth.sign_in(casey.email, PASSWORD)
    with pytest.raises(LinkUnusable):
        resets.check(token)
    with pytest.raises(LinkUnusable):
        resets.reset(token, "another fine phrase")
    actions = [e.action for e in services.access.audit_trail(casey, casey.id)]
    assert RESET_REQUESTED in actions and PASSWORD_RESET in actions


def test_the_link_expires_after_an_hour(resets: PasswordResetService, outbox: MemoryNotifier,
                                        casey: Account, clock: FakeClock) -> None:
    resets.request(casey.email)
    token = token_in(outbox)
    clock.advance(seconds=VALID_FOR.total_seconds() - 1)
    resets.check(token)
    clock.advance(seconds=1)
    with pytest.raises(LinkUnusable):
        resets.reset(token, NEW_PASSWORD)


def test_an_unknown_token_is_refused(resets: PasswordResetService) -> None:
    with pytest.raises(LinkUnusable):
        resets.check("made-up")


def test_a_weak_new_password_keeps_the_link(resets: PasswordResetService,
                                            outbox: MemoryNotifier, casey: Account) -> None:
    resets.request(casey.email)
    token = token_in(outbox)
    with pytest.raises(InvalidInput) as caught:
        resets.reset(token, "password12")
    assert caught.value.problems == {"password": TOO_EASY}
    resets.reset(token, NEW_PASSWORD)


def test_a_reset_ends_every_session(services: Services, resets: PasswordResetService,
                                    outbox: MemoryNotifier, casey: Account) -> None:
    sessions = [services.auth.sign_in(casey.email, PASSWORD).token for _ in range(2)]
    resets.request(casey.email)
    resets.reset(token_in(outbox), NEW_PASSWORD)
    assert [services.auth.resume(t) for t in sessions] == [None, None]


def test_requests_for_one_address_are_spaced(resets: PasswordResetService,
                                             outbox: MemoryNotifier, casey: Account,
                                             clock: FakeClock) -> None:
    for _ in range(5):
        assert resets.request(casey.email) == SENT
    assert len(outbox.sent) == 1
    clock.advance(seconds=COOLDOWN.total_seconds())
    resets.request(casey.email)
    assert len(outbox.sent) == 2


def test_a_newer_link_replaces_the_older(resets: PasswordResetService, outbox: MemoryNotifier,
                                         casey: Account, clock: FakeClock) -> None:
    resets.request(casey.email)
    older = token_in(outbox)
    clock.advance(seconds=COOLDOWN.total_seconds())
    resets.request(casey.email)
    with pytest.raises(LinkUnusable):
        resets.check(older)
    resets.check(token_in(outbox))


def test_without_a_mail_server_the_person_asks_the_clinic(services: Services,
                                                          casey: Account) -> None:
    none: Callable[[], None] = lambda: None  # noqa: E731
    resets = PasswordResetService(services.auth, notifier_source=none,
                                  clinic_name=lambda: "Harbour Physio", base_url="http://x")
    assert not resets.email_available()
    assert resets.request(casey.email) == NO_EMAIL


def test_addresses_past_their_cooldown_are_forgotten(resets: PasswordResetService,
                                                    clock: FakeClock) -> None:
    """Typing many made-up addresses can't fill the server's memory."""
    for i in range(1000):
        resets.request(f"made-up-{i}@example.com")
    clock.advance(seconds=COOLDOWN.total_seconds())
    resets.request("one-more@example.com")
    assert isinstance(resets.shared, MemorySharedState)  # one process: counted in memory
    assert len(resets.shared._events) == 1


def test_one_place_cannot_walk_a_list_of_addresses(services: Services,
                                                   resets: PasswordResetService,
                                                   outbox: MemoryNotifier) -> None:
    emails = [f"patient{i}@example.com" for i in range(PER_CLIENT + 1)]
    for i, email in enumerate(emails):
        services.accounts.create(email, f"Patient {i}", PASSWORD, Role.PATIENT)
    answers = {resets.request(email, "203.0.113.9") for email in emails}
    assert answers == {SENT}
    assert [m.to for m in outbox.sent] == emails[:PER_CLIENT]
    resets.request(emails[-1], "198.51.100.4")  # the same person from elsewhere: sent
    assert outbox.sent[-1].to == emails[-1]
