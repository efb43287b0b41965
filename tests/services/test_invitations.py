"""Invitations (app.services.invitations): staff and patients join by a one-time code that
works once, for 72 hours, unless withdrawn or sent again; a patient a therapist invited is
on their caseload on joining; each role may do only its part; every step is in the
clinic's account log; the link is emailed through a real SMTP server when the clinic has
one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from app.domain import kinds
from app.domain.account_audit import AccountAction
from app.domain.accounts import Role, Scope
from app.domain.errors import InvalidInput, NotAllowed
from app.domain.invitations import VALID_FOR, InvitationState, code_digest
from app.domain.passwords import TOO_EASY
from app.main import Services, build_services
from app.services.account_audit import AccountAudit
from app.services.invitations import (
    ALREADY_JOINED,
    HAS_ACCOUNT,
    MUST_AGREE,
    NOT_USABLE,
    PATIENT_HAS_ACCOUNT,
    TOO_MANY,
    WRONG_CODE_WINDOW,
    WRONG_CODES_PER_CLIENT,
    InvitationService,
    InvitationUnusable,
    Issued,
    TooManyTries,
)
from app.services.notifier import Security, SmtpNotifier, SmtpSettings
from app.store.interfaces import Query, Record, RecordStore
from app.store.journal import JournalStore
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.smtp_helpers import HOST, Mailbox, free_port

PASSWORD = "backtrack-test-pw"
CHOSEN = "lantern orchard pebble"


class Clinic:
    def __init__(self, services: Services) -> None:
        make = services.accounts.create
        self.services = services
        self.invitations = services.invitations
        self.admin = make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN)
        self.taylor = make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST)
        self.quinn = make("quinn@example.com", "Quinn Lee", PASSWORD, Role.THERAPIST)
        self.jordan = make("jordan@example.com", "Jordan Patel", PASSWORD, Role.CARE_TEAM)
        self.alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)

    def events(self, action: AccountAction) -> list[tuple[str, str, str]]:
        return [(e.actor_id, e.subject, e.detail)
                for e in AccountAudit(self.services.store).all() if e.action is action]


@pytest.fixture
def clinic(services: Services) -> Clinic:
    return Clinic(services)


def code_of(issued: Issued) -> str:
    return parse_qs(urlsplit(issued.link).query)["code"][0]


def test_an_invitation_gives_a_link_and_keeps_only_the_codes_digest(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, " New.Person@Example.com ",
                                             Role.THERAPIST)
    assert issued.link == f"{FAST_SETTINGS.public_url}/join?code={issued.code}"
    assert code_of(issued) == issued.code and not issued.emailed
    stored = clinic.services.store.find(Query(kinds.INVITATION))
    assert len(stored) == 1 and stored[0].owner is None
    assert issued.code not in str(stored[0].data)
    assert stored[0].data["code_digest"] == code_digest(issued.code)
    assert stored[0].data["email"] == "new.person@example.com"
    assert clinic.events(AccountAction.INVITED) == [
        (clinic.admin.id, issued.invitation.id, "new.person@example.com · therapist")]


def test_staff_join_with_a_password_of_their_own(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.CARE_TEAM)
    found = clinic.invitations.look_up(issued.code.lower().replace("-", " "))
    assert (found.email, found.role, found.inviter_name, found.shares_with) == (
        "riley@example.com", Role.CARE_TEAM, "Sam Admin", "")
    account = clinic.invitations.accept(issued.code, "Riley Stone", CHOSEN,
                                        "Europe/London", False)
    assert (account.email, account.role, account.timezone) == (
        "riley@example.com", Role.CARE_TEAM, "Europe/London")
    # Their own password (signing in may then ask for two-step set-up: the clinic's).
    assert clinic.services.accounts.hasher.verify(account.password_hash, CHOSEN)
    stored = clinic.invitations.invitations.get(issued.invitation.id)
    assert stored is not None
    assert (stored.value.state, stored.value.account_id) == (InvitationState.ACCEPTED,
                                                             account.id)
    assert clinic.events(AccountAction.INVITATION_ACCEPTED) == [
        (account.id, account.id, "care_team")]
    assert clinic.invitations.pending_staff(clinic.admin) == []


def test_a_code_works_once(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    clinic.invitations.accept(issued.code, "Riley", CHOSEN, "UTC", False)
    with pytest.raises(InvitationUnusable, match=NOT_USABLE):
        clinic.invitations.look_up(issued.code)
    with pytest.raises(InvitationUnusable, match=NOT_USABLE):
        clinic.invitations.accept(issued.code, "Someone Else", CHOSEN, "UTC", False)


def test_a_code_expires_after_72_hours(clinic: Clinic, clock: FakeClock) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    clock.advance(seconds=VALID_FOR.total_seconds() - 1)
    assert clinic.invitations.look_up(issued.code).email == "riley@example.com"
    clock.advance(seconds=1)
    with pytest.raises(InvitationUnusable, match=NOT_USABLE):
        clinic.invitations.look_up(issued.code)
    with pytest.raises(InvitationUnusable):
        clinic.invitations.accept(issued.code, "Riley", CHOSEN, "UTC", False)
    assert clinic.services.accounts.by_email("riley@example.com") is None
    [waiting] = clinic.invitations.pending_staff(clinic.admin)  # to be sent again
    assert waiting.expired(clock())


def test_a_withdrawn_code_no_longer_works(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_patient(clinic.taylor, "new@example.com")
    clinic.invitations.revoke(clinic.taylor, issued.invitation.id)
    with pytest.raises(InvitationUnusable, match=NOT_USABLE):
        clinic.invitations.look_up(issued.code)
    assert clinic.invitations.pending_patients(clinic.taylor) == []
    assert clinic.events(AccountAction.INVITATION_REVOKED) == [
        (clinic.taylor.id, issued.invitation.id, "new@example.com · patient")]


def test_sending_again_voids_the_old_code_and_restarts_the_72_hours(
        clinic: Clinic, clock: FakeClock) -> None:
    first = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                            Role.THERAPIST)
    clock.advance(hours=80)  # expired: it can still be sent again
    again = clinic.invitations.resend(clinic.admin, first.invitation.id)
    assert again.code != first.code and again.invitation.id == first.invitation.id
    assert again.invitation.expires_at == clock() + VALID_FOR
    with pytest.raises(InvitationUnusable):
        clinic.invitations.look_up(first.code)
    assert clinic.invitations.look_up(again.code).email == "riley@example.com"
    assert clinic.events(AccountAction.INVITATION_RESENT) == [
        (clinic.admin.id, first.invitation.id, "riley@example.com · therapist")]


def test_the_same_answer_for_unknown_used_expired_and_withdrawn(
        clinic: Clinic, clock: FakeClock) -> None:
    invite = clinic.invitations.invite_staff
    used = invite(clinic.admin, "a@example.com", Role.THERAPIST)
    clinic.invitations.accept(used.code, "A Person", CHOSEN, "UTC", False)
    withdrawn = invite(clinic.admin, "b@example.com", Role.THERAPIST)
    clinic.invitations.revoke(clinic.admin, withdrawn.invitation.id)
    expired = invite(clinic.admin, "c@example.com", Role.THERAPIST)
    clock.advance(hours=73)
    answers = set()
    for code in (used.code, withdrawn.code, expired.code, "AAAA-BBBB-CCCC"):
        with pytest.raises(InvitationUnusable) as refused:
            clinic.invitations.look_up(code, "10.0.0.9")
        answers.add(str(refused.value))
    assert answers == {NOT_USABLE}


def test_wrong_codes_from_one_address_pause_it(clinic: Clinic, clock: FakeClock) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    for n in range(WRONG_CODES_PER_CLIENT):
        with pytest.raises(InvitationUnusable, match=NOT_USABLE):
            clinic.invitations.look_up(f"AAAA-BBBB-{n:04d}", "10.0.0.9")
    with pytest.raises(TooManyTries, match=TOO_MANY):  # even the right code, from there
        clinic.invitations.look_up(issued.code, "10.0.0.9")
    with pytest.raises(TooManyTries):
        clinic.invitations.accept(issued.code, "Riley", CHOSEN, "UTC", False, "10.0.0.9")
    assert clinic.invitations.look_up(issued.code, "10.0.0.10").email == \
        "riley@example.com"  # another place is not paused
    clock.advance(seconds=WRONG_CODE_WINDOW.total_seconds())
    assert clinic.invitations.look_up(issued.code, "10.0.0.9").email == \
        "riley@example.com"


def test_a_patient_joins_agrees_to_share_and_is_on_the_therapists_caseload(
        clinic: Clinic) -> None:
    issued = clinic.invitations.invite_patient(clinic.taylor, "casey@example.com")
    found = clinic.invitations.look_up(issued.code)
    assert (found.role, found.inviter_name, found.shares_with) == (
        Role.PATIENT, "Taylor Brooks", "Taylor Brooks")
    with pytest.raises(InvalidInput) as refused:
        clinic.invitations.accept(issued.code, "Casey Rivera", CHOSEN, "UTC", False)
    assert refused.value.problems == {"agrees": MUST_AGREE}
    casey = clinic.invitations.accept(issued.code, "Casey Rivera", CHOSEN, "UTC", True)
    assert casey.role is Role.PATIENT
    assert [p.id for p in clinic.services.access.shared_patients(clinic.taylor)] == [
        casey.id]
    assert clinic.services.access.relation(clinic.taylor, casey.id)[1] is \
        Scope.default_for(Role.THERAPIST)
    assert clinic.services.access.shared_patients(clinic.quinn) == []
    assert [s.patient.name for s in clinic.services.caseload.for_clinician(
        clinic.taylor)] == ["Casey Rivera"]


def test_a_patient_an_admin_invited_shares_with_nobody_yet(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_patient(clinic.admin, "casey@example.com")
    assert clinic.invitations.look_up(issued.code).shares_with == ""
    casey = clinic.invitations.accept(issued.code, "Casey Rivera", CHOSEN, "UTC", False)
    assert clinic.services.access.granted_clinicians(casey.id) == []


def test_a_refused_password_leaves_the_invitation_usable(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    with pytest.raises(InvalidInput) as refused:
        clinic.invitations.accept(issued.code, "Riley", "password12", "UTC", False)
    assert refused.value.problems == {"password": TOO_EASY}
    with pytest.raises(InvalidInput) as no_name:
        clinic.invitations.accept(issued.code, " ", CHOSEN, "Mars/Olympus", False)
    assert set(no_name.value.problems) == {"name", "timezone"}
    assert clinic.invitations.accept(issued.code, "Riley", CHOSEN, "UTC", False).email == \
        "riley@example.com"


def test_an_address_with_an_account_is_refused(clinic: Clinic) -> None:
    with pytest.raises(InvalidInput) as patient:
        clinic.invitations.invite_patient(clinic.taylor, "ALEX@example.com")
    assert patient.value.problems == {"email": PATIENT_HAS_ACCOUNT}
    assert "sharing code" in PATIENT_HAS_ACCOUNT
    with pytest.raises(InvalidInput) as staff:
        clinic.invitations.invite_staff(clinic.admin, "quinn@example.com", Role.THERAPIST)
    assert staff.value.problems == {"email": HAS_ACCOUNT}
    with pytest.raises(InvalidInput):
        clinic.invitations.invite_staff(clinic.admin, "not an address", Role.THERAPIST)
    assert clinic.events(AccountAction.INVITED) == []


def test_a_second_invitation_to_a_waiting_address_is_refused(clinic: Clinic) -> None:
    clinic.invitations.invite_patient(clinic.taylor, "casey@example.com")
    with pytest.raises(InvalidInput, match="Taylor Brooks already invited"):
        clinic.invitations.invite_patient(clinic.quinn, "casey@example.com")


def test_each_role_does_only_its_part(clinic: Clinic) -> None:
    invitations = clinic.invitations
    for someone in (clinic.taylor, clinic.jordan, clinic.alex):
        with pytest.raises(NotAllowed):
            invitations.invite_staff(someone, "x@example.com", Role.THERAPIST)
        with pytest.raises(NotAllowed):
            invitations.pending_staff(someone)
    for someone in (clinic.jordan, clinic.alex):
        with pytest.raises(NotAllowed):
            invitations.invite_patient(someone, "x@example.com")
    with pytest.raises(InvalidInput):  # staff invitations are for staff roles
        invitations.invite_staff(clinic.admin, "x@example.com", Role.PATIENT)
    staff = invitations.invite_staff(clinic.admin, "s@example.com", Role.ADMIN)
    mine = invitations.invite_patient(clinic.taylor, "p@example.com")
    for someone in (clinic.quinn, clinic.jordan, clinic.alex):  # not theirs to change
        with pytest.raises(NotAllowed):
            invitations.resend(someone, mine.invitation.id)
        with pytest.raises(NotAllowed):
            invitations.revoke(someone, mine.invitation.id)
    with pytest.raises(NotAllowed):
        invitations.revoke(clinic.taylor, staff.invitation.id)
    assert invitations.pending_patients(clinic.quinn) == []
    assert [i.email for i in invitations.pending_patients(clinic.taylor)] == ["p@example.com"]
    assert [i.email for i in invitations.pending_patients(clinic.admin)] == ["p@example.com"]
    invitations.revoke(clinic.admin, mine.invitation.id)  # an admin may
    assert set(clinic.events(AccountAction.INVITED)) == {
        (clinic.admin.id, staff.invitation.id, "s@example.com · admin"),
        (clinic.taylor.id, mine.invitation.id, "p@example.com · patient")}
    assert [e[0] for e in clinic.events(AccountAction.INVITATION_REVOKED)] == [
        clinic.admin.id]


# -- two tabs accepting the same code at the same moment -------------------------------

ACCEPTERS = 6


class _InvitationReadTogether:
    """Every accepter reads the invitation before any of them goes on."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(ACCEPTERS)
        self.armed = False

    def find(self, found: list[Record], query: Query) -> list[Record]:
        if self.armed and query.kind == kinds.INVITATION and "code_digest" in query.where:
            self.barrier.wait(timeout=30)
        return found


class _MemoryTogether(MemoryStore):
    together = _InvitationReadTogether()

    def find(self, query: Query) -> list[Record]:
        return self.together.find(super().find(query), query)


class _JournalTogether(JournalStore):
    together = _InvitationReadTogether()

    def find(self, query: Query) -> list[Record]:
        return self.together.find(super().find(query), query)


@pytest.mark.parametrize("kind_of_store", ["memory", "journal"])
def test_a_code_accepted_in_several_tabs_at_once_makes_one_account(
        tmp_path: Path, clock: FakeClock, kind_of_store: str) -> None:
    store: RecordStore = (_MemoryTogether() if kind_of_store == "memory"
                          else _JournalTogether.open(tmp_path / "store"))
    together = store.together  # type: ignore[attr-defined]
    together.armed = False
    together.barrier = threading.Barrier(ACCEPTERS)
    services = build_services(FAST_SETTINGS, store, clock=clock)
    taylor = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                      Role.THERAPIST)
    issued = services.invitations.invite_patient(taylor, "casey@example.com")
    together.armed = True
    outcomes: list[str] = []

    def accept(n: int) -> None:
        try:
            services.invitations.accept(issued.code, f"Casey {n}", CHOSEN, "UTC", True)
        except InvitationUnusable:
            outcomes.append("refused")
        except Exception as exc:  # any other failure is a wrong answer
            outcomes.append(f"{type(exc).__name__}: {exc}")
        else:
            outcomes.append("joined")

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(ACCEPTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    together.armed = False
    assert sorted(outcomes) == ["joined"] + ["refused"] * (ACCEPTERS - 1)
    assert len(services.accounts.with_role(Role.PATIENT)) == 1
    assert len(services.access.shared_patients(taylor)) == 1
    services.close()


# -- email ------------------------------------------------------------------------------

@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname=HOST, port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_the_link_is_emailed_through_the_clinics_mail_server(
        services: Services, clinic: Clinic, clock: FakeClock,
        smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    notifier = SmtpNotifier(SmtpSettings(HOST, port, "desk@clinic.example", Security.NONE))
    invitations = InvitationService(
        services.store, services.accounts, services.access, AccountAudit(services.store),
        notifier_source=lambda: notifier, clinic_name=lambda: "Harbour Physio",
        base_url="https://clinic.example/", clock=clock, dispatch=lambda work: work())
    issued = invitations.invite_patient(clinic.taylor, "casey@example.com")
    assert issued.emailed and invitations.email_available()
    [(recipients, message)] = box.messages
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert recipients == ["casey@example.com"]
    assert str(message["Subject"]) == "Your invitation to BackTrack (Harbour Physio)"
    assert issued.link == f"https://clinic.example/join?code={issued.code}"
    assert issued.link in body and issued.code in body and "Taylor Brooks" in body
    assert "72 hours" in body and "pain" not in body.lower()
    again = invitations.resend(clinic.taylor, issued.invitation.id)
    assert len(box.messages) == 2 and again.link in str(box.messages[1][1])


def test_without_a_mail_server_nothing_is_sent_and_the_link_is_shown(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_patient(clinic.taylor, "casey@example.com")
    assert not issued.emailed and issued.link.endswith(issued.code)
    assert not clinic.invitations.email_available()


def test_no_stored_version_holds_a_code(clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    again = clinic.invitations.resend(clinic.admin, issued.invitation.id)
    versions = clinic.services.store.history(kinds.INVITATION, issued.invitation.id)
    assert len(versions) == 2
    text = str([v.data for v in versions])
    assert issued.code not in text and again.code not in text


def test_an_account_made_meanwhile_for_the_address_is_named_and_the_code_kept(
        clinic: Clinic) -> None:
    issued = clinic.invitations.invite_staff(clinic.admin, "riley@example.com",
                                             Role.THERAPIST)
    clinic.services.accounts.create("riley@example.com", "Riley", PASSWORD, Role.THERAPIST)
    with pytest.raises(InvalidInput) as refused:
        clinic.invitations.accept(issued.code, "Riley", CHOSEN, "UTC", False)
    assert refused.value.problems == {"code": ALREADY_JOINED}
    [waiting] = clinic.invitations.pending_staff(clinic.admin)  # given back, not used up
    assert waiting.state is InvitationState.PENDING
