"""Access control: who may read a patient's data, grants, invite codes, the audit trail."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.domain.accounts import Account, Role, Scope
from app.domain.errors import InvalidInput, NotAllowed
from app.main import Services, build_services
from app.services.access import GRANT, INVITE
from app.store.interfaces import Query, Record, RecordStore
from app.store.journal import JournalStore
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock

PASSWORD = "backtrack-test-pw"


@dataclass
class People:
    patient: Account
    other_patient: Account
    therapist: Account
    care_team: Account
    admin: Account


@pytest.fixture
def people(services: Services) -> People:
    return sign_up_people(services)


def sign_up_people(services: Services) -> People:
    """Two patients, a therapist, a care-team member and an admin; nobody shares yet."""
    make = services.accounts.create
    return People(
        patient=make("alex@example.com", "Alex", PASSWORD, Role.PATIENT),
        other_patient=make("blair@example.com", "Blair", PASSWORD, Role.PATIENT),
        therapist=make("taylor@example.com", "Taylor", PASSWORD, Role.THERAPIST),
        care_team=make("jordan@example.com", "Jordan", PASSWORD, Role.CARE_TEAM),
        admin=make("admin@example.com", "Sam", PASSWORD, Role.ADMIN),
    )


def test_patient_reads_own_data_without_an_audit_event(services: Services,
                                                       people: People) -> None:
    services.logbook.check_in(people.patient, people.patient.id, pain_now=4)
    data = services.logbook.load(people.patient, people.patient.id)
    assert [c.value.pain_now for c in data.check_ins] == [4]
    assert services.access.audit_trail(people.patient, people.patient.id) == []


@pytest.mark.parametrize("who", ["therapist", "care_team", "other_patient", "admin"])
def test_nobody_else_reads_without_a_grant(services: Services, people: People,
                                           who: str) -> None:
    services.logbook.check_in(people.patient, people.patient.id, pain_now=4)
    actor = getattr(people, who)
    with pytest.raises(NotAllowed):
        services.logbook.load(actor, people.patient.id)
    with pytest.raises(NotAllowed):
        services.logbook.check_in(actor, people.patient.id, pain_now=1)
    assert services.access.audit_trail(people.patient, people.patient.id) == []


def test_granted_therapist_reads_and_every_read_is_audited(
        services: Services, people: People, clock: FakeClock) -> None:
    services.logbook.check_in(people.patient, people.patient.id, pain_now=4)
    services.access.grant(people.patient, people.therapist)
    data = services.logbook.load(people.therapist, people.patient.id, "read:progress")
    assert [c.value.pain_now for c in data.check_ins] == [4]
    clock.advance(minutes=5)
    services.logbook.load(people.therapist, people.patient.id, "read:dashboard")
    trail = services.access.audit_trail(people.patient, people.patient.id)
    assert [(ev.actor_id, ev.actor_role, ev.action, ev.at) for ev in trail] == [
        (people.therapist.id, "therapist", "read:dashboard", clock.now),
        (people.therapist.id, "therapist", "read:progress", clock.now.replace(minute=0)),
    ]
    assert all(ev.patient_id == people.patient.id for ev in trail)
    # The trail belongs to the patient: it is stored under the patient's records.
    audit = [r for r in services.store.owner_history(people.patient.id) if r.kind == "audit"]
    assert len(audit) == 2


def test_grant_lets_the_clinician_write_too(services: Services, people: People) -> None:
    services.access.grant(people.patient, people.care_team, Scope.FULL)
    saved = services.logbook.check_in(people.care_team, people.patient.id, pain_now=2)
    assert saved.value.patient_id == people.patient.id


def test_grant_is_listed_both_ways_and_not_duplicated(services: Services,
                                                      people: People) -> None:
    first = services.access.grant(people.patient, people.therapist)
    again = services.access.grant(people.patient, people.therapist)
    assert first == again
    assert services.access.granted_clinicians(people.patient.id) == [people.therapist]
    assert services.access.shared_patients(people.therapist) == [people.patient]
    assert services.access.shared_patients(people.care_team) == []


def test_grant_to_one_patient_does_not_open_another(services: Services,
                                                    people: People) -> None:
    services.access.grant(people.patient, people.therapist)
    with pytest.raises(NotAllowed):
        services.logbook.load(people.therapist, people.other_patient.id)


def test_revoke_removes_access(services: Services, people: People) -> None:
    services.access.grant(people.patient, people.therapist)
    services.logbook.load(people.therapist, people.patient.id)
    services.access.revoke(people.patient, people.therapist.id)
    with pytest.raises(NotAllowed):
        services.logbook.load(people.therapist, people.patient.id)
    assert services.access.granted_clinicians(people.patient.id) == []
    assert services.access.shared_patients(people.therapist) == []
    # Revoking keeps history: the grant is a new version, not erased.
    grants = [r for r in services.store.owner_history(people.patient.id) if r.kind == "grant"]
    assert [(r.version, r.data["revoked"]) for r in grants] == [(1, False), (2, True)]


def test_grant_again_after_revoke(services: Services, people: People) -> None:
    services.access.grant(people.patient, people.therapist)
    services.access.revoke(people.patient, people.therapist.id)
    services.access.grant(people.patient, people.therapist)
    services.logbook.load(people.therapist, people.patient.id)


def test_only_patients_grant_and_only_to_clinicians(services: Services,
                                                    people: People) -> None:
    with pytest.raises(NotAllowed):
        services.access.grant(people.therapist, people.care_team)
    with pytest.raises(InvalidInput):
        services.access.grant(people.patient, people.admin)
    with pytest.raises(InvalidInput):
        services.access.grant(people.patient, people.other_patient)
    with pytest.raises(NotAllowed):
        services.logbook.load(people.other_patient, people.patient.id)


def test_invite_code_redeemed_by_a_therapist_grants_access(services: Services,
                                                           people: People) -> None:
    code = services.access.create_invite(people.patient)
    assert len(code) == len("ABCD-EF01-2345")
    patient = services.access.redeem_invite(people.therapist, f"  {code.lower()} ")
    assert patient == people.patient
    assert services.access.shared_patients(people.therapist) == [people.patient]
    services.logbook.load(people.therapist, people.patient.id)


def test_used_invite_code_cannot_be_reused(services: Services, people: People) -> None:
    code = services.access.create_invite(people.patient)
    services.access.redeem_invite(people.therapist, code)
    with pytest.raises(InvalidInput) as caught:
        services.access.redeem_invite(people.care_team, code)
    assert set(caught.value.problems) == {"code"}
    with pytest.raises(NotAllowed):
        services.logbook.load(people.care_team, people.patient.id)


def test_an_invite_code_works_for_seven_days_only(services: Services, people: People,
                                                   clock: FakeClock) -> None:
    code = services.access.create_invite(people.patient)
    late = services.access.create_invite(people.patient)
    clock.advance(days=7)
    services.access.redeem_invite(people.therapist, code)  # exactly 7 days: still fine
    clock.advance(seconds=1)
    with pytest.raises(InvalidInput, match="not valid"):
        services.access.redeem_invite(people.care_team, late)
    assert not services.access.may_read(people.care_team, people.patient.id)


def test_unknown_invite_code_is_refused(services: Services, people: People) -> None:
    with pytest.raises(InvalidInput):
        services.access.redeem_invite(people.therapist, "0000-0000-0000")


def test_invite_codes_differ(services: Services, people: People) -> None:
    codes = {services.access.create_invite(people.patient) for _ in range(20)}
    assert len(codes) == 20


def test_patient_sees_who_looked(services: Services, people: People) -> None:
    services.access.grant(people.patient, people.therapist)
    services.access.grant(people.patient, people.care_team, Scope.FULL)
    services.logbook.load(people.therapist, people.patient.id, "read:progress")
    services.logbook.activities_of(people.care_team, people.patient.id)
    services.logbook.load(people.patient, people.patient.id)
    trail = services.access.audit_trail(people.patient, people.patient.id)
    assert {(ev.actor_id, ev.action) for ev in trail} == {
        (people.therapist.id, "read:progress"), (people.care_team.id, "read:activities")}
    assert services.access.audit_trail(people.other_patient, people.other_patient.id) == []


def test_admin_cannot_read_patient_data(services: Services, people: People) -> None:
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)
    with pytest.raises(NotAllowed):
        services.logbook.load(people.admin, people.patient.id)
    with pytest.raises(NotAllowed):
        services.logbook.activities_of(people.admin, people.patient.id)
    with pytest.raises(NotAllowed):
        services.portability.export_json(people.admin, people.patient.email)


def test_history_read_by_a_clinician_is_checked_and_audited(services: Services,
                                                           people: People) -> None:
    entry = services.logbook.check_in(people.patient, people.patient.id, pain_now=3)
    with pytest.raises(NotAllowed):
        services.logbook.check_in_history(people.therapist, entry.value.id)
    services.access.grant(people.patient, people.therapist)
    assert len(services.logbook.check_in_history(people.therapist, entry.value.id)) == 1
    assert [ev.action for ev in services.access.audit_trail(people.patient, people.patient.id)] == [
        "read:history"]


@pytest.mark.parametrize("who", ["therapist", "care_team", "other_patient", "admin"])
def test_only_the_patient_sees_who_read_their_record(services: Services, people: People,
                                                     who: str) -> None:
    services.access.grant(people.patient, people.therapist)
    services.access.grant(people.patient, people.care_team)
    services.logbook.load(people.therapist, people.patient.id, "read:progress")
    with pytest.raises(NotAllowed):
        services.access.audit_trail(getattr(people, who), people.patient.id)
    assert len(services.access.audit_trail(people.patient, people.patient.id)) == 1


def test_may_read_answers_without_an_audit_event(services: Services, people: People) -> None:
    assert services.access.may_read(people.patient, people.patient.id)
    assert not services.access.may_read(people.therapist, people.patient.id)
    services.access.grant(people.patient, people.therapist)
    assert services.access.may_read(people.therapist, people.patient.id)
    for who in (people.care_team, people.other_patient, people.admin):
        assert not services.access.may_read(who, people.patient.id)
    assert services.access.audit_trail(people.patient, people.patient.id) == []


CLINICIANS = 10


class _InviteReadTogether:
    """Every redeemer reads the code before any of them goes on: the worst interleaving,
    made certain instead of left to the scheduler."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(CLINICIANS)

    def latest(self, store: RecordStore, kind: str, record_id: str) -> Record | None:
        found = store.latest(kind, record_id)
        if kind == INVITE:
            self.barrier.wait(timeout=30)
        return found


class _MemoryTogether(MemoryStore):
    together = _InviteReadTogether()

    def latest(self, kind: str, record_id: str) -> Record | None:
        return self.together.latest(super(), kind, record_id)  # type: ignore[arg-type]


class _JournalTogether(JournalStore):
    together = _InviteReadTogether()

    def latest(self, kind: str, record_id: str) -> Record | None:
        return self.together.latest(super(), kind, record_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind_of_store", ["memory", "journal"])
def test_one_code_redeemed_by_ten_clinicians_at_once_grants_exactly_once(
        tmp_path: Path, clock: FakeClock, kind_of_store: str) -> None:
    store: RecordStore = (_MemoryTogether() if kind_of_store == "memory"
                          else _JournalTogether.open(tmp_path / "store"))
    services = build_services(FAST_SETTINGS, store, clock=clock)
    make = services.accounts.create
    patient = make("alex@example.com", "Alex", PASSWORD, Role.PATIENT)
    clinicians = [make(f"t{n}@example.com", f"T{n}", PASSWORD, Role.THERAPIST)
                  for n in range(CLINICIANS)]
    code = services.access.create_invite(patient)
    outcomes: list[str] = []

    def redeem(clinician: Account) -> None:
        try:
            services.access.redeem_invite(clinician, code)
        except InvalidInput:
            outcomes.append("refused")
        except Exception as exc:  # any other failure is a wrong answer
            outcomes.append(type(exc).__name__)
        else:
            outcomes.append("granted")

    threads = [threading.Thread(target=redeem, args=(c,)) for c in clinicians]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.find(Query(GRANT, owner=patient.id))) == 1
    assert len(services.access.granted_clinicians(patient.id)) == 1
    assert sorted(outcomes) == ["granted"] + ["refused"] * (CLINICIANS - 1)
    services.close()
