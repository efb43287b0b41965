"""Accounts, Argon2id password storage, sign-in lockout and session expiry."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.domain.account_admin import SIGN_IN_TURNED_OFF
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotFound
from app.main import Services
from app.services.accounts import ADDRESS_FACTOR, SIGN_IN_PAUSED, SignInFailed
from app.store.interfaces import Query
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
WRONG_PASSWORD_MESSAGE = "That email and password don't match. Please try again."


@pytest.fixture
def alex(services: Services) -> Account:
    return services.accounts.create("Alex@Example.com", "Alex Morgan", PASSWORD, Role.PATIENT)


def all_records_text(services: Services) -> str:
    """Every stored version of every account record and of the patients' own records."""
    store = services.store
    accounts = store.find(Query("account", include_deleted=True))
    versions = [v for a in accounts for v in store.history("account", a.id)]
    versions += [v for a in accounts for v in store.owner_history(a.id)]
    return json.dumps([v.to_json() for v in versions])


# -- creating accounts --------------------------------------------------------------


def test_create_stores_a_clean_account(services: Services, alex: Account,
                                       clock: FakeClock) -> None:
    assert alex.email == "alex@example.com"
    assert alex.name == "Alex Morgan"
    assert alex.role is Role.PATIENT
    assert alex.created_at == clock.now
    assert services.accounts.get(alex.id) == alex
    assert services.accounts.by_email(" ALEX@example.COM ") == alex


def test_duplicate_email_is_refused_whatever_the_case(services: Services,
                                                      alex: Account) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.accounts.create(" alex@EXAMPLE.com", "Another Alex", PASSWORD, Role.THERAPIST)
    assert set(caught.value.problems) == {"email"}
    assert len(services.store.find(Query("account"))) == 1


def test_invalid_sign_up_saves_nothing(services: Services) -> None:
    with pytest.raises(InvalidInput):
        services.accounts.create("not-an-email", "", "short", Role.PATIENT)
    assert services.store.find(Query("account")) == []


def test_password_is_stored_only_as_an_argon2id_hash(services: Services,
                                                     alex: Account) -> None:
    assert alex.password_hash.startswith("$argon2id$")
    stored = services.store.latest("account", alex.id)
    assert stored is not None
    assert stored.data["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in all_records_text(services)
    assert PASSWORD not in repr(alex)


def test_same_password_gets_a_different_salt(services: Services, alex: Account) -> None:
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    assert blair.password_hash != alex.password_hash


def test_patient_account_is_owned_by_the_patient_and_staff_by_no_one(
        services: Services, alex: Account) -> None:
    therapist = services.accounts.create("t@example.com", "Taylor", PASSWORD, Role.THERAPIST)
    assert services.store.latest("account", alex.id).owner == alex.id  # type: ignore[union-attr]
    assert services.store.latest("account", therapist.id).owner is None  # type: ignore[union-attr]


def test_with_role_and_get(services: Services, alex: Account) -> None:
    therapist = services.accounts.create("t@example.com", "Taylor", PASSWORD, Role.THERAPIST)
    assert services.accounts.with_role(Role.THERAPIST) == [therapist]
    assert services.accounts.with_role(Role.PATIENT) == [alex]
    with pytest.raises(NotFound):
        services.accounts.get("no-such-id")


def test_update_profile_makes_a_new_version(services: Services, alex: Account) -> None:
    updated = services.accounts.update_profile(alex, name="  Alex M. ", timezone="Europe/Paris")
    assert updated.name == "Alex M."
    assert updated.timezone == "Europe/Paris"
    assert updated.password_hash == alex.password_hash
    history = services.store.history("account", alex.id)
    assert [r.version for r in history] == [1, 2]
    assert history[0].data["name"] == "Alex Morgan"


@pytest.mark.parametrize("name", ["   ", "n" * 500])
def test_update_profile_validates_the_name(services: Services, alex: Account,
                                           name: str) -> None:
    with pytest.raises(InvalidInput):
        services.accounts.update_profile(alex, name=name)


def test_unknown_time_zone_is_refused(services: Services, alex: Account) -> None:
    with pytest.raises(InvalidInput):
        services.accounts.update_profile(alex, timezone="Mars/Olympus_Mons")


# -- signing in -----------------------------------------------------------------------


def test_sign_in_with_the_right_password(services: Services, alex: Account) -> None:
    signed = services.auth.sign_in("  ALEX@example.com", PASSWORD)
    assert signed.account == alex
    assert len(signed.token) >= 32
    assert services.auth.resume(signed.token) == alex


def test_each_sign_in_gets_its_own_token(services: Services, alex: Account) -> None:
    first = services.auth.sign_in(alex.email, PASSWORD)
    second = services.auth.sign_in(alex.email, PASSWORD)
    assert first.token != second.token


def test_wrong_password_fails_with_a_safe_message(services: Services, alex: Account) -> None:
    with pytest.raises(SignInFailed) as caught:
        services.auth.sign_in(alex.email, "wrong horse battery")
    assert str(caught.value) == WRONG_PASSWORD_MESSAGE
    assert "wrong horse" not in str(caught.value)


def test_unknown_email_gets_the_same_message(services: Services, alex: Account) -> None:
    with pytest.raises(SignInFailed) as caught:
        services.auth.sign_in("nobody@example.com", PASSWORD)
    assert str(caught.value) == WRONG_PASSWORD_MESSAGE


def test_inactive_account_cannot_sign_in(services: Services, alex: Account) -> None:
    current = services.accounts.accounts.get(alex.id)
    assert current is not None
    services.accounts.accounts.correct(replace(alex, active=False), alex.id, current.version)
    with pytest.raises(SignInFailed) as caught:  # told why, for the right password only
        services.auth.sign_in(alex.email, PASSWORD)
    assert str(caught.value) == SIGN_IN_TURNED_OFF
    with pytest.raises(SignInFailed) as wrong:
        services.auth.sign_in(alex.email, "not the password")
    assert str(wrong.value) == WRONG_PASSWORD_MESSAGE


def fail(services: Services, email: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(SignInFailed):
            services.auth.sign_in(email, "not the password")


def test_lockout_after_max_failures_even_with_the_right_password(
        services: Services, alex: Account, clock: FakeClock) -> None:
    limit = services.settings.max_failed_sign_ins
    fail(services, alex.email, limit - 1)
    clock.advance(minutes=1)
    fail(services, "ALEX@example.com", 1)  # the limit is per email, whatever the case
    with pytest.raises(SignInFailed) as caught:
        services.auth.sign_in(alex.email, PASSWORD)
    message = str(caught.value)
    assert "Too many attempts" in message
    assert f"{services.settings.lockout_minutes} minutes" in message


def test_lockout_ends_after_the_lockout_period(services: Services, alex: Account,
                                               clock: FakeClock) -> None:
    lockout = services.settings.lockout_minutes
    fail(services, alex.email, services.settings.max_failed_sign_ins)
    clock.advance(minutes=lockout - 1)
    with pytest.raises(SignInFailed, match="1 minute\\."):
        services.auth.sign_in(alex.email, PASSWORD)
    clock.advance(minutes=1)
    assert services.auth.sign_in(alex.email, PASSWORD).account == alex


def test_after_lockout_expires_one_more_failure_does_not_relock(
        services: Services, alex: Account, clock: FakeClock) -> None:
    fail(services, alex.email, services.settings.max_failed_sign_ins)
    clock.advance(minutes=services.settings.lockout_minutes)
    with pytest.raises(SignInFailed) as caught:
        services.auth.sign_in(alex.email, "still wrong")
    assert str(caught.value) == WRONG_PASSWORD_MESSAGE
    assert services.auth.sign_in(alex.email, PASSWORD).account == alex


def test_success_resets_the_failure_count(services: Services, alex: Account) -> None:
    limit = services.settings.max_failed_sign_ins
    fail(services, alex.email, limit - 1)
    services.auth.sign_in(alex.email, PASSWORD)
    fail(services, alex.email, limit - 1)
    assert services.auth.sign_in(alex.email, PASSWORD).account == alex


def test_lockout_of_one_email_does_not_touch_another(services: Services,
                                                     alex: Account) -> None:
    services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    fail(services, alex.email, services.settings.max_failed_sign_ins)
    assert services.auth.sign_in("blair@example.com", PASSWORD).account.name == "Blair"


ATTACKER, PATIENTS_PHONE = "203.0.113.9", "198.51.100.7"


def fail_from(services: Services, address: str, email: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(SignInFailed):
            services.auth.sign_in(email, "not the password", client_address=address)


def test_wrong_passwords_elsewhere_do_not_lock_the_patient_out(
        services: Services, alex: Account) -> None:
    """Issue 9: five wrong passwords from anywhere locked the patient out for 15 min."""
    fail_from(services, ATTACKER, alex.email, services.settings.max_failed_sign_ins * 3)
    signed = services.auth.sign_in(alex.email, PASSWORD, client_address=PATIENTS_PHONE)
    assert signed.account == alex
    # The guesser is the one slowed: paused even with the right password.
    with pytest.raises(SignInFailed, match="Too many attempts from here"):
        services.auth.sign_in(alex.email, PASSWORD, client_address=ATTACKER)


def test_guessing_across_many_accounts_pauses_that_address(services: Services,
                                                          alex: Account) -> None:
    limit = services.settings.max_failed_sign_ins
    for n in range(ADDRESS_FACTOR * limit // (limit - 1) + 1):
        fail_from(services, ATTACKER, f"guess{n}@example.com", limit - 1)
    with pytest.raises(SignInFailed, match="Too many attempts from here"):
        services.auth.sign_in(alex.email, PASSWORD, client_address=ATTACKER)
    assert services.auth.sign_in(alex.email, PASSWORD,
                                 client_address=PATIENTS_PHONE).account == alex


def test_a_pause_is_written_to_the_patients_audit_log(services: Services,
                                                     alex: Account) -> None:
    fail_from(services, ATTACKER, alex.email, services.settings.max_failed_sign_ins - 1)
    assert services.access.audit_trail(alex, alex.id) == []
    fail_from(services, ATTACKER, alex.email, 1)
    events = services.access.audit_trail(alex, alex.id)
    assert [(e.action, e.patient_id) for e in events] == [(SIGN_IN_PAUSED, alex.id)]
    # Nothing of the attempt itself (where from, what was typed) is kept.
    assert ATTACKER not in repr(events) and "not the password" not in repr(events)


def test_unknown_emails_are_locked_out_too(services: Services) -> None:
    fail(services, "ghost@example.com", services.settings.max_failed_sign_ins)
    with pytest.raises(SignInFailed, match="Too many attempts"):
        services.auth.sign_in("ghost@example.com", "whatever")


# -- sessions -------------------------------------------------------------------------


def test_session_expires_after_the_idle_timeout(services: Services, alex: Account,
                                                clock: FakeClock) -> None:
    idle = services.settings.session_idle_minutes
    token = services.auth.sign_in(alex.email, PASSWORD).token
    clock.advance(minutes=idle, seconds=1)
    assert services.auth.resume(token) is None
    clock.advance(seconds=-30)  # once expired it stays gone
    assert services.auth.resume(token) is None


def test_is_active_follows_the_session_without_refreshing_it(services: Services,
                                                             alex: Account,
                                                             clock: FakeClock) -> None:
    idle = services.settings.session_idle_minutes
    token = services.auth.sign_in(alex.email, PASSWORD).token
    assert services.auth.is_active(token)
    clock.advance(minutes=idle - 1)
    assert services.auth.is_active(token)  # a check is not activity...
    clock.advance(minutes=2)
    assert not services.auth.is_active(token)  # ...so the idle timeout still ends it
    assert services.auth.resume(token) is None
    other = services.auth.sign_in(alex.email, PASSWORD).token
    services.auth.sign_out(other)
    assert not services.auth.is_active(other)
    assert not services.auth.is_active("not-a-token")


def test_session_is_alive_at_exactly_the_timeout(services: Services, alex: Account,
                                                 clock: FakeClock) -> None:
    token = services.auth.sign_in(alex.email, PASSWORD).token
    clock.advance(minutes=services.settings.session_idle_minutes)
    assert services.auth.resume(token) == alex


def test_activity_refreshes_the_session(services: Services, alex: Account,
                                        clock: FakeClock) -> None:
    idle = services.settings.session_idle_minutes
    token = services.auth.sign_in(alex.email, PASSWORD).token
    for _ in range(4):  # two hours of activity, each gap shorter than the timeout
        clock.advance(minutes=idle - 1)
        assert services.auth.resume(token) == alex
    clock.advance(minutes=idle + 1)
    assert services.auth.resume(token) is None


def test_sign_out_ends_the_session(services: Services, alex: Account) -> None:
    token = services.auth.sign_in(alex.email, PASSWORD).token
    other = services.auth.sign_in(alex.email, PASSWORD).token
    services.auth.sign_out(token)
    assert services.auth.resume(token) is None
    assert services.auth.resume(other) == alex
    services.auth.sign_out(token)  # signing out twice is harmless


def test_unknown_token_resumes_nothing(services: Services) -> None:
    assert services.auth.resume("made-up-token") is None


def test_deactivated_account_session_ends(services: Services, alex: Account) -> None:
    token = services.auth.sign_in(alex.email, PASSWORD).token
    current = services.accounts.accounts.get(alex.id)
    assert current is not None
    services.accounts.accounts.correct(replace(alex, active=False), alex.id, current.version)
    assert services.auth.resume(token) is None
