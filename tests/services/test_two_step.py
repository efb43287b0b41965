"""Two-step sign-in through the real services (issue 14): codes made by pyotp with the
test's clock; enrolment; the sign-in's second step and its ticket; recovery codes; turning
it off; the admin's reset; the clinic's requirement; and the account log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from app.domain import kinds
from app.domain.account_audit import AccountAction
from app.domain.accounts import Role
from app.domain.errors import InvalidInput, NotAllowed
from app.main import Services, build_services
from app.services.accounts import (
    TICKET_ENDED,
    WRONG_CODE,
    SecondStep,
    SecondStepNeeded,
    SignedIn,
    SignInFailed,
)
from app.services.demo import seed_demo
from app.services.two_step import REQUIRED_BY_CLINIC, WRONG_PASSWORD, Enrolment
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock

PASSWORD = "backtrack-test-pw"


class Clinic:
    def __init__(self, services: Services, clock: FakeClock) -> None:
        make = services.accounts.create
        self.services, self.clock = services, clock
        self.alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)
        self.taylor = make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST)
        self.jordan = make("jordan@example.com", "Jordan Patel", PASSWORD, Role.CARE_TEAM)
        self.sam = make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN)

    def code(self, secret: str, seconds: float = 0) -> str:
        """What the authenticator app shows at the test's time (+ seconds)."""
        return pyotp.TOTP(secret).at(self.clock.now + timedelta(seconds=seconds))

    def enrol(self, email: str) -> tuple[str, list[str]]:
        """Sign in with the password, set up two-step: (secret, recovery codes)."""
        step = self.services.auth.password_step(email, PASSWORD)
        assert isinstance(step, SecondStep) and step.enrol
        enrolment = self.services.auth.enrolment(step.ticket)
        _, codes = self.services.auth.enrol_step(step.ticket, self.code(enrolment.secret))
        self.clock.advance(seconds=30)  # the first code is used up
        return enrolment.secret, codes

    def second_step(self, email: str) -> SecondStep:
        step = self.services.auth.password_step(email, PASSWORD)
        assert isinstance(step, SecondStep) and not step.enrol
        return step


@pytest.fixture
def clinic(services: Services, clock: FakeClock) -> Clinic:
    return Clinic(services, clock)


def events(services: Services, action: AccountAction) -> list[tuple[str, str]]:
    return [(e.actor_id, e.subject) for e in services.account_audit.all()
            if e.action is action]


# -- the clinic's requirement -----------------------------------------------------------


def test_a_new_clinic_requires_it_for_staff_not_for_patients(clinic: Clinic) -> None:
    services = clinic.services
    assert services.clinic.current().staff_two_step
    for staff in (clinic.taylor, clinic.jordan, clinic.sam):
        step = services.auth.password_step(staff.email, PASSWORD)
        assert isinstance(step, SecondStep) and step.enrol, staff.role
        with pytest.raises(SecondStepNeeded):  # the password alone opens nothing
            services.auth.sign_in(staff.email, PASSWORD)
    assert isinstance(services.auth.password_step(clinic.alex.email, PASSWORD), SignedIn)


def test_settings_saved_before_the_setting_existed_read_as_required(
        services: Services) -> None:
    stored = {"id": "clinic", "name": "Old Physio", "phone": "555 0100",
              "emergency_number": "911"}
    services.store.save(kinds.CLINIC_SETTINGS, "clinic", stored, owner=None,
                        expected_version=0)
    assert services.clinic.current().name == "Old Physio"
    assert services.clinic.current().staff_two_step


def test_the_demo_clinic_signs_in_with_the_password_alone(clock: FakeClock) -> None:
    demo = build_services(FAST_SETTINGS, MemoryStore(), clock=clock)
    seed_demo(demo.accounts, demo.access, demo.logbook, demo.clinic, demo.guidance,
              clock.now)
    assert not demo.clinic.current().staff_two_step
    assert demo.auth.sign_in("taylor@example.com", "backtrack-demo").account.name == \
        "Taylor Brooks"


def test_only_an_admin_changes_the_requirement_and_it_is_logged(clinic: Clinic) -> None:
    services = clinic.services
    for someone in (clinic.alex, clinic.taylor, clinic.jordan):
        with pytest.raises(NotAllowed):
            services.clinic.set_staff_two_step(someone, False)
    assert events(services, AccountAction.CLINIC_SETTING_CHANGED) == []
    services.clinic.set_staff_two_step(clinic.sam, False)
    assert not services.clinic.current().staff_two_step
    assert isinstance(services.auth.password_step(clinic.taylor.email, PASSWORD), SignedIn)
    [event] = [e for e in services.account_audit.all()
               if e.action is AccountAction.CLINIC_SETTING_CHANGED]
    assert (event.actor_id, event.detail) == (clinic.sam.id,
                                              "staff two-step sign-in: optional")


def test_turning_the_requirement_on_gates_a_signed_in_therapist(clinic: Clinic) -> None:
    services = clinic.services
    services.clinic.set_staff_two_step(clinic.sam, False)
    token = services.auth.sign_in(clinic.taylor.email, PASSWORD).token
    assert services.auth.resume(token) == clinic.taylor
    services.clinic.set_staff_two_step(clinic.sam, True)
    assert services.auth.resume(token) is None  # the session opens nothing now
    step = services.auth.enrolment_due(token)
    assert step is not None and step.enrol and step.account.id == clinic.taylor.id
    assert services.auth.enrolment_due(token) is None  # that session is gone
    enrolment = services.auth.enrolment(step.ticket)
    signed, codes = services.auth.enrol_step(step.ticket, clinic.code(enrolment.secret))
    assert services.auth.resume(signed.token) == clinic.taylor and len(codes) == 10


# -- enrolment --------------------------------------------------------------------------


def test_enrolment_gives_a_qr_and_the_secret_and_is_on_only_after_a_code(
        clinic: Clinic) -> None:
    services = clinic.services
    step = services.auth.password_step(clinic.taylor.email, PASSWORD)
    assert isinstance(step, SecondStep)
    enrolment = services.auth.enrolment(step.ticket)
    assert isinstance(enrolment, Enrolment)
    assert enrolment.qr_png.startswith(b"\x89PNG")
    assert enrolment.uri.startswith("otpauth://totp/BackTrack%20%28Your%20clinic%29:")
    assert "taylor%40example.com" in enrolment.uri and enrolment.secret in enrolment.uri
    assert enrolment.secret_grouped.replace(" ", "") == enrolment.secret
    assert not services.two_step.is_on(clinic.taylor.id)
    with pytest.raises(InvalidInput) as wrong:
        services.auth.enrol_step(step.ticket, "000000" if clinic.code(
            enrolment.secret) != "000000" else "111111")
    assert wrong.value.problems == {"code": WRONG_CODE}
    assert not services.two_step.is_on(clinic.taylor.id)
    signed, codes = services.auth.enrol_step(step.ticket, clinic.code(enrolment.secret))
    assert services.two_step.is_on(clinic.taylor.id)
    assert signed.account.id == clinic.taylor.id and len(set(codes)) == 10
    assert events(services, AccountAction.TWO_STEP_ON) == [(clinic.taylor.id,
                                                           clinic.taylor.id)]
    with pytest.raises(SignInFailed, match=TICKET_ENDED):  # the ticket was used up
        services.auth.enrol_step(step.ticket, clinic.code(enrolment.secret, 30))


def test_a_redrawn_set_up_shows_the_same_secret_until_confirmed(clinic: Clinic) -> None:
    """The person may have scanned the QR already when the screen is drawn again."""
    first = clinic.services.two_step.start_enrolment(clinic.alex)
    assert clinic.services.two_step.start_enrolment(clinic.alex).secret == first.secret
    clinic.services.two_step.confirm_enrolment(clinic.alex, clinic.code(first.secret))
    clinic.services.two_step.reset(clinic.sam, clinic.alex.id)
    assert clinic.services.two_step.start_enrolment(clinic.alex).secret != first.secret


def test_the_secret_and_recovery_codes_are_stored_only_in_the_two_step_record(
        clinic: Clinic) -> None:
    secret, codes = clinic.enrol(clinic.taylor.email)
    store = clinic.services.store
    account = store.latest(kinds.ACCOUNT, clinic.taylor.id)
    assert account is not None and secret not in json.dumps(account.data)
    two_step_record = store.latest(kinds.TWO_STEP, clinic.taylor.id)
    assert two_step_record is not None
    text = json.dumps(two_step_record.data)
    assert secret in text
    assert not any(code in text or code.replace("-", "") in text for code in codes)
    assert not kinds.exported(kinds.TWO_STEP)
    account_log = json.dumps([str(e) for e in clinic.services.account_audit.all()])
    assert secret not in account_log


# -- the sign-in's second step --------------------------------------------------------------


def test_a_valid_code_signs_in_once_and_the_same_code_is_refused_after(
        clinic: Clinic) -> None:
    services = clinic.services
    secret, _ = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    code = clinic.code(secret)
    signed = services.auth.code_step(step.ticket, code)
    assert services.auth.resume(signed.token) == clinic.taylor
    with pytest.raises(SignInFailed, match=TICKET_ENDED):  # single use
        services.auth.code_step(step.ticket, code)
    again = clinic.second_step(clinic.taylor.email)  # the same code, same 30 s window
    with pytest.raises(SignInFailed, match="code didn't work"):
        services.auth.code_step(again.ticket, code)
    clinic.clock.advance(seconds=30)
    assert services.auth.code_step(again.ticket, clinic.code(secret)).account == \
        clinic.taylor


def test_codes_one_step_either_side_work_and_older_ones_do_not(clinic: Clinic) -> None:
    services = clinic.services
    secret, _ = clinic.enrol(clinic.taylor.email)
    clinic.clock.advance(minutes=5)
    step = clinic.second_step(clinic.taylor.email)
    with pytest.raises(SignInFailed):  # two steps ago: expired
        services.auth.code_step(step.ticket, clinic.code(secret, -60))
    with pytest.raises(SignInFailed):  # two steps ahead
        services.auth.code_step(step.ticket, clinic.code(secret, 60))
    assert services.auth.code_step(step.ticket, clinic.code(secret, -30)).account.id == \
        clinic.taylor.id  # the phone's clock a little behind
    step = clinic.second_step(clinic.taylor.email)
    assert services.auth.code_step(step.ticket, clinic.code(secret, 30)).account.id == \
        clinic.taylor.id  # a little ahead
    step = clinic.second_step(clinic.taylor.email)
    with pytest.raises(SignInFailed):  # the current step is before the one just used
        services.auth.code_step(step.ticket, clinic.code(secret))


def test_the_last_step_used_survives_a_restart(clinic: Clinic) -> None:
    secret, _ = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    code = clinic.code(secret)
    clinic.services.auth.code_step(step.ticket, code)
    restarted = build_services(FAST_SETTINGS, clinic.services.store, clock=clinic.clock)
    again = restarted.auth.password_step(clinic.taylor.email, PASSWORD)
    assert isinstance(again, SecondStep)
    with pytest.raises(SignInFailed):
        restarted.auth.code_step(again.ticket, code)


def test_a_ticket_lasts_five_minutes(clinic: Clinic) -> None:
    secret, _ = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    clinic.clock.advance(minutes=5, seconds=1)
    with pytest.raises(SignInFailed, match=TICKET_ENDED):
        clinic.services.auth.code_step(step.ticket, clinic.code(secret))
    with pytest.raises(SignInFailed, match=TICKET_ENDED):
        clinic.services.auth.code_step("made-up-ticket", clinic.code(secret))


def test_wrong_codes_pause_sign_in_like_wrong_passwords(clinic: Clinic) -> None:
    services = clinic.services
    secret, _ = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    right = clinic.code(secret)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(services.settings.max_failed_sign_ins):
        with pytest.raises(SignInFailed, match="code didn't work"):
            services.auth.code_step(step.ticket, wrong)
    with pytest.raises(SignInFailed, match="paused"):
        services.auth.code_step(step.ticket, right)
    with pytest.raises(SignInFailed, match="paused"):  # the password step too
        services.auth.password_step(clinic.taylor.email, PASSWORD)


def test_wrong_codes_while_setting_it_up_pause_too(clinic: Clinic) -> None:
    services = clinic.services
    step = services.auth.password_step(clinic.taylor.email, PASSWORD)
    assert isinstance(step, SecondStep)
    secret = services.auth.enrolment(step.ticket).secret
    wrong = "123456" if clinic.code(secret) != "123456" else "654321"
    for _ in range(services.settings.max_failed_sign_ins):
        with pytest.raises(InvalidInput):
            services.auth.enrol_step(step.ticket, wrong)
    with pytest.raises(SignInFailed, match="paused"):
        services.auth.enrol_step(step.ticket, clinic.code(secret))
    assert not services.two_step.is_on(clinic.taylor.id)


def test_a_deactivated_account_can_not_finish_its_second_step(clinic: Clinic) -> None:
    secret, _ = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    current = clinic.services.accounts.accounts.get(clinic.taylor.id)
    assert current is not None
    clinic.services.accounts.accounts.correct(replace(current.value, active=False), None,
                                              current.version)
    with pytest.raises(SignInFailed, match=TICKET_ENDED):
        clinic.services.auth.code_step(step.ticket, clinic.code(secret))


# -- recovery codes -------------------------------------------------------------------------


def test_each_recovery_code_works_once_and_its_use_is_logged(clinic: Clinic) -> None:
    services = clinic.services
    _, codes = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    assert services.auth.code_step(step.ticket, codes[3].lower()).account == clinic.taylor
    step = clinic.second_step(clinic.taylor.email)
    with pytest.raises(SignInFailed):
        services.auth.code_step(step.ticket, codes[3])
    assert services.auth.code_step(step.ticket, codes[4]).account == clinic.taylor
    assert services.two_step.status(clinic.taylor).recovery_codes_left == 8
    assert events(services, AccountAction.RECOVERY_CODE_USED) == [
        (clinic.taylor.id, clinic.taylor.id)] * 2


def test_new_recovery_codes_void_the_old_ones(clinic: Clinic) -> None:
    services = clinic.services
    secret, old = clinic.enrol(clinic.taylor.email)
    with pytest.raises(InvalidInput):
        services.two_step.new_recovery_codes(clinic.taylor, "000000")
    new = services.two_step.new_recovery_codes(clinic.taylor, clinic.code(secret))
    assert len(new) == 10 and not set(new) & set(old)
    step = clinic.second_step(clinic.taylor.email)
    with pytest.raises(SignInFailed):
        services.auth.code_step(step.ticket, old[0])
    assert services.auth.code_step(step.ticket, new[0]).account == clinic.taylor


# -- patients: optional; turning off ----------------------------------------------------------


def test_a_patient_turns_it_on_and_off_with_password_and_code(clinic: Clinic) -> None:
    services = clinic.services
    alex = clinic.alex
    assert not services.two_step.status(alex).required
    enrolment = services.two_step.start_enrolment(alex)
    services.two_step.confirm_enrolment(alex, clinic.code(enrolment.secret))
    clinic.clock.advance(seconds=30)
    step = clinic.second_step(alex.email)  # from now on a code is asked for
    assert not step.enrol
    with pytest.raises(InvalidInput) as wrong:
        services.two_step.turn_off(alex, "not my password", clinic.code(enrolment.secret))
    assert wrong.value.problems == {"password": WRONG_PASSWORD}
    with pytest.raises(InvalidInput) as wrong:
        services.two_step.turn_off(alex, PASSWORD, "000000")
    assert set(wrong.value.problems) == {"code"}
    assert services.two_step.is_on(alex.id)
    services.two_step.turn_off(alex, PASSWORD, clinic.code(enrolment.secret))
    assert not services.two_step.is_on(alex.id)
    assert isinstance(services.auth.password_step(alex.email, PASSWORD), SignedIn)
    assert events(services, AccountAction.TWO_STEP_OFF) == [(alex.id, alex.id)]


def test_staff_can_not_turn_it_off_while_the_clinic_requires_it(clinic: Clinic) -> None:
    services = clinic.services
    secret, _ = clinic.enrol(clinic.taylor.email)
    with pytest.raises(NotAllowed, match=REQUIRED_BY_CLINIC):
        services.two_step.turn_off(clinic.taylor, PASSWORD, clinic.code(secret))
    assert services.two_step.is_on(clinic.taylor.id)
    assert not services.two_step.status(clinic.taylor).may_turn_off


def test_wrong_tries_at_turning_it_off_pause(clinic: Clinic) -> None:
    services = clinic.services
    enrolment = services.two_step.start_enrolment(clinic.alex)
    services.two_step.confirm_enrolment(clinic.alex, clinic.code(enrolment.secret))
    clinic.clock.advance(seconds=30)
    for _ in range(5):
        with pytest.raises(InvalidInput):
            services.two_step.turn_off(clinic.alex, "guess-guess-guess", "000000")
    with pytest.raises(InvalidInput, match="paused"):
        services.two_step.turn_off(clinic.alex, PASSWORD, clinic.code(enrolment.secret))


# -- the admin's reset --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM])
def test_only_an_admin_resets(clinic: Clinic, role: Role) -> None:
    someone = {Role.PATIENT: clinic.alex, Role.THERAPIST: clinic.taylor,
               Role.CARE_TEAM: clinic.jordan}[role]
    clinic.enrol(clinic.jordan.email)
    with pytest.raises(NotAllowed):
        clinic.services.two_step.reset(someone, clinic.jordan.id)
    assert clinic.services.two_step.is_on(clinic.jordan.id)
    assert events(clinic.services, AccountAction.TWO_STEP_RESET) == []


def test_an_admin_resets_a_lost_phone_sessions_end_and_the_person_enrols_again(
        clinic: Clinic) -> None:
    services = clinic.services
    secret, codes = clinic.enrol(clinic.taylor.email)
    step = clinic.second_step(clinic.taylor.email)
    token = services.auth.code_step(step.ticket, clinic.code(secret)).token
    services.two_step.reset(clinic.sam, clinic.taylor.id)
    assert services.auth.resume(token) is None
    assert not services.two_step.is_on(clinic.taylor.id)
    again = services.auth.password_step(clinic.taylor.email, PASSWORD)
    assert isinstance(again, SecondStep) and again.enrol  # set it up again
    assert events(services, AccountAction.TWO_STEP_RESET) == [(clinic.sam.id,
                                                               clinic.taylor.id)]
    new_secret, _ = clinic.enrol(clinic.taylor.email)
    assert new_secret != secret
    step = clinic.second_step(clinic.taylor.email)
    with pytest.raises(SignInFailed):  # the old recovery codes died with the reset
        services.auth.code_step(step.ticket, codes[0])
