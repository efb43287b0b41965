"""Why a session ended, for the tab that finds it gone: each way a session can end says
its own reason, once."""

from __future__ import annotations

from app.domain.accounts import Account
from app.main import Services
from app.services.accounts import Ended, SignedIn
from tests.conftest import FakeClock
from tests.services.test_access import PASSWORD, sign_up_people


def two_sessions(services: Services, person: Account) -> tuple[str, str]:
    sign_in = services.auth.password_step
    first, second = (sign_in(person.email, PASSWORD) for _ in range(2))
    assert isinstance(first, SignedIn) and isinstance(second, SignedIn)
    return first.token, second.token


def test_inactivity(services: Services, clock: FakeClock) -> None:
    alex = sign_up_people(services).patient
    token, _ = two_sessions(services, alex)
    clock.advance(minutes=services.settings.session_idle_minutes, seconds=1)
    assert services.auth.resume(token) is None
    assert services.auth.ended_because(token) is Ended.INACTIVITY
    assert services.auth.ended_because(token) is None  # said once


def test_a_password_changed_elsewhere(services: Services) -> None:
    alex = sign_up_people(services).patient
    here, there = two_sessions(services, alex)
    services.auth.change_password(here, PASSWORD, "plum-harbour-lantern-42")
    assert services.auth.resume(there) is None
    assert services.auth.ended_because(there) is Ended.PASSWORD_CHANGED
    assert services.auth.ended_because(here) is None  # the one that changed it stays


def test_turned_off_by_the_clinic(services: Services) -> None:
    people = sign_up_people(services)
    services.clinic.set_staff_two_step(people.admin, False)  # a password opens a session
    token, _ = two_sessions(services, people.therapist)
    services.account_admin.deactivate(people.admin, people.therapist.id)
    assert services.auth.resume(token) is None
    assert services.auth.ended_because(token) is Ended.TURNED_OFF


def test_deleted_by_the_patient(services: Services) -> None:
    alex = sign_up_people(services).patient
    _, there = two_sessions(services, alex)
    services.erasure.delete_my_account(alex, "DELETE")
    assert services.auth.ended_because(there) is Ended.DELETED


def test_two_step_reset_by_the_admin(services: Services) -> None:
    people = sign_up_people(services)
    token, _ = two_sessions(services, people.patient)
    services.two_step.reset(people.admin, people.patient.id)
    assert services.auth.ended_because(token) is Ended.TWO_STEP_RESET
