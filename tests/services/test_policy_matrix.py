"""The whole policy matrix, walked through the real services: for every role × operation
× relation × scope of the grant the table (app.domain.policy) allows, the service call
succeeds; for every one it refuses, the call raises NotAllowed and leaves no audit event;
a clinician's allowed read leaves exactly one audit event, the patient's own none. A
shared relation is walked under each scope a patient can choose ("Everything",
"Reminders and logging only"), for the therapist and the care team alike.

A service that decides differently from the table (a check of its own, or none) fails
here, whoever owns it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from app.domain import policy
from app.domain.accounts import Account, Role, Scope
from app.domain.errors import NotAllowed
from app.domain.guidance import parse_report
from app.domain.policy import Operation, Relation
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services, build_services
from app.services.export_formats import build_exports
from app.services.reminders import ReminderService
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock

PASSWORD = "backtrack-test-pw"
REPORT = parse_report({"hours_since_needling": 30, "needled_regions": ["lumbar"],
                       "soreness_now": 3, "soreness_trend": "better", "pain_now": 4,
                       "pain_usual": 4, "symptoms": []})


@dataclass
class World:
    services: Services
    reminders: ReminderService
    patient: Account  # Alex: the record every patient-record operation is about
    actors: dict[tuple[Role, Relation], Account]
    narrow: dict[Role, Account]  # a clinician Alex shares "reminders and logging only" with
    assessment_id: str
    sharing_code: str  # from another patient, for redeeming


def build_world(clock: FakeClock) -> World:
    services = build_services(FAST_SETTINGS, MemoryStore(), clock=clock)
    make = services.accounts.create
    alex = make("alex@example.com", "Alex", PASSWORD, Role.PATIENT)
    blair = make("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    casey = make("casey@example.com", "Casey", PASSWORD, Role.PATIENT)
    taylor = make("taylor@example.com", "Taylor", PASSWORD, Role.THERAPIST)
    quinn = make("quinn@example.com", "Quinn", PASSWORD, Role.THERAPIST)
    jordan = make("jordan@example.com", "Jordan", PASSWORD, Role.CARE_TEAM)
    riley = make("riley@example.com", "Riley", PASSWORD, Role.CARE_TEAM)
    sam = make("sam@example.com", "Sam", PASSWORD, Role.ADMIN)
    drew = make("drew@example.com", "Drew", PASSWORD, Role.THERAPIST)
    morgan = make("morgan@example.com", "Morgan", PASSWORD, Role.CARE_TEAM)
    services.access.grant(alex, taylor, Scope.FULL)
    services.access.grant(alex, jordan, Scope.FULL)
    services.access.grant(alex, drew, Scope.REMINDERS_AND_LOGGING)
    services.access.grant(alex, morgan)  # the care team's default: the narrow scope
    _, record = services.guidance.assess(alex, alex.id, REPORT)
    actors = {
        (Role.PATIENT, Relation.OWN): alex, (Role.PATIENT, Relation.NOT_SHARED): blair,
        (Role.THERAPIST, Relation.OWN): taylor, (Role.THERAPIST, Relation.SHARED): taylor,
        (Role.THERAPIST, Relation.NOT_SHARED): quinn,
        (Role.CARE_TEAM, Relation.OWN): jordan, (Role.CARE_TEAM, Relation.SHARED): jordan,
        (Role.CARE_TEAM, Relation.NOT_SHARED): riley,
        (Role.ADMIN, Relation.OWN): sam, (Role.ADMIN, Relation.NOT_SHARED): sam,
    }
    for role, someone in ((Role.PATIENT, alex), (Role.THERAPIST, taylor),
                          (Role.CARE_TEAM, jordan), (Role.ADMIN, sam)):
        actors[(role, Relation.NONE)] = someone
    return World(services, ReminderService(services.store, services.access, clock), alex,
                 actors, {Role.THERAPIST: drew, Role.CARE_TEAM: morgan}, record.id,
                 services.access.create_invite(casey))


# How each operation is done through the real services: (actor, the patient's id).
Probe = Callable[[World, Account, str], object]
PROBES: dict[Operation, Probe] = {
    Operation.READ_LOGGING: lambda w, a, p: w.services.logbook.load(a, p),
    Operation.READ_PROGRESS: lambda w, a, p: w.services.progress.summary(a, p),
    Operation.READ_GUIDANCE: lambda w, a, p: w.services.guidance.history(a, p),
    Operation.READ_REMINDERS: lambda w, a, p: w.reminders.planned(a, p),
    Operation.EXPORT: lambda w, a, p: build_exports(
        w.services.store, w.services.accounts, w.services.access, w.services.logbook,
        w.services.progress, w.services.guidance).export(a, p, "json"),
    Operation.READ_AUDIT_TRAIL: lambda w, a, p: w.services.access.audit_trail(a, p),
    Operation.READ_SHARING: lambda w, a, p: w.services.access.clinicians_with_access(a, p),
    Operation.WRITE_ENTRY: lambda w, a, p: w.services.logbook.check_in(a, p, pain_now=3),
    Operation.RECORD_SESSION: lambda w, a, p: w.services.logbook.log_session(
        a, p, regions=["lumbar"]),
    Operation.ASSESS: lambda w, a, p: w.services.guidance.assess(a, p, REPORT),
    Operation.ACKNOWLEDGE: lambda w, a, p: w.services.followups.acknowledge(
        a, p, w.assessment_id, note="Called them"),
    Operation.SCHEDULE_REMINDERS: lambda w, a, p: w.reminders.schedule(
        a, p, template=Template.HOME_EXERCISE,
        schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00")),
    Operation.RESPOND_REMINDER: lambda w, a, p: w.reminders.unread_count(a, p),
    Operation.CHOOSE_CHANNELS: lambda w, a, p: w.reminders.set_email(a, p, False),
    # The actor's own: these calls take no patient, the relation is always OWN.
    Operation.REMEMBER_RISK_FACTORS: lambda w, a, p: w.services.guidance
    .remember_risk_factors(a, ()),
    Operation.SHARE: lambda w, a, p: w.services.access.grant(
        a, w.actors[(Role.THERAPIST, Relation.NOT_SHARED)]),
    Operation.UNSHARE: lambda w, a, p: w.services.access.revoke(
        a, w.actors[(Role.THERAPIST, Relation.SHARED)].id),
    Operation.CREATE_SHARING_CODE: lambda w, a, p: w.services.access.create_invite(a),
    Operation.UPDATE_OWN_PROFILE: lambda w, a, p: w.services.accounts.update_profile(
        a, name="New Name"),
    Operation.DELETE_OWN_ACCOUNT: lambda w, a, p: w.services.screens.erasure
    .delete_my_account(a, "DELETE"),
    # About no patient's record.
    Operation.REDEEM_SHARING_CODE: lambda w, a, p: w.services.access.redeem_invite(
        a, w.sharing_code),
    Operation.MANAGE_CLINIC: lambda w, a, p: w.services.clinic.update(
        a, name="Harbour Physio", phone="555 0100", emergency_number="911"),
    Operation.CREATE_ACCOUNT: lambda w, a, p: w.services.accounts.create(
        "new@example.com", "New", PASSWORD, Role.THERAPIST, actor=a),
    Operation.INVITE_STAFF: lambda w, a, p: w.services.invitations.invite_staff(
        a, "staff@example.com", Role.CARE_TEAM),
    Operation.INVITE_PATIENT: lambda w, a, p: w.services.invitations.invite_patient(
        a, "invited@example.com"),
    Operation.RESET_TWO_STEP: lambda w, a, p: w.services.two_step.reset(a, p),
    Operation.MANAGE_ACCOUNTS: lambda w, a, p: w.services.screens.account_admin.search(a),
    Operation.READ_ACCOUNT_LOG: lambda w, a, p: w.services.screens.audit_log.rows(a),
}
NOT_YET_THROUGH_A_SERVICE: set[Operation] = set()

OWN_ONLY = {Operation.REMEMBER_RISK_FACTORS, Operation.SHARE, Operation.UNSHARE,
            Operation.CREATE_SHARING_CODE, Operation.UPDATE_OWN_PROFILE,
            Operation.DELETE_OWN_ACCOUNT}
NO_PATIENT = {Operation.REDEEM_SHARING_CODE, Operation.MANAGE_CLINIC,
              Operation.CREATE_ACCOUNT}
NO_PATIENT |= {Operation.INVITE_STAFF, Operation.INVITE_PATIENT}  # invitations (issue 14)
NO_PATIENT |= {Operation.MANAGE_ACCOUNTS, Operation.READ_ACCOUNT_LOG}
NO_PATIENT |= {Operation.RESET_TWO_STEP}  # about an account, not a record (issue 14)
POSSIBLE = {  # a patient or an admin is never granted access to someone's record
    Role.PATIENT: {Relation.OWN, Relation.NOT_SHARED, Relation.NONE},
    Role.THERAPIST: set(Relation), Role.CARE_TEAM: set(Relation),
    Role.ADMIN: {Relation.OWN, Relation.NOT_SHARED, Relation.NONE},
}


def relations_of(operation: Operation) -> set[Relation]:
    if operation in OWN_ONLY:
        return {Relation.OWN}
    if operation in NO_PATIENT:
        return {Relation.NONE}
    return {Relation.OWN, Relation.SHARED, Relation.NOT_SHARED}


def scopes_of(relation: Relation) -> list[Scope]:
    """A grant's scope matters under a shared relation only."""
    return list(Scope) if relation is Relation.SHARED else [Scope.FULL]


CASES = [(role, operation, relation, scope) for operation in PROBES for role in Role
         for relation in sorted(relations_of(operation) & POSSIBLE[role])
         for scope in scopes_of(relation)]


def test_every_operation_is_walked() -> None:
    assert set(PROBES) | NOT_YET_THROUGH_A_SERVICE == set(Operation)
    assert not set(PROBES) & NOT_YET_THROUGH_A_SERVICE


def test_the_narrow_scope_is_walked_for_both_clinicians() -> None:
    narrow = {(r, o) for r, o, rel, s in CASES if s is Scope.REMINDERS_AND_LOGGING}
    assert {r for r, _ in narrow} == {Role.THERAPIST, Role.CARE_TEAM}
    assert {Operation.READ_LOGGING, Operation.READ_REMINDERS} <= {o for _, o in narrow}


@pytest.mark.parametrize(("role", "operation", "relation", "scope"), CASES,
                         ids=[f"{r.value}-{o.name.lower()}-{rel.value}-{s.value}"
                              for r, o, rel, s in CASES])
def test_the_services_decide_as_the_table_says(role: Role, operation: Operation,
                                               relation: Relation, scope: Scope,
                                               clock: FakeClock) -> None:
    world = build_world(clock)
    actor = world.narrow[role] if scope is Scope.REMINDERS_AND_LOGGING else \
        world.actors[(role, relation)]
    patient_id = actor.id if relation is Relation.OWN else world.patient.id
    if relation is Relation.SHARED:  # the world holds the grant the case is about
        assert world.services.access.relation(actor, patient_id) == (relation, scope)
    before = world.services.access.audit.find(world.patient.id)
    probe = PROBES[operation]
    allowed = policy.allows(role, operation, relation, scope)
    if allowed:
        probe(world, actor, patient_id)
    else:
        with pytest.raises(NotAllowed):
            probe(world, actor, patient_id)
    added = [e.value for e in world.services.access.audit.find(world.patient.id)
             if e not in before]
    if not allowed or relation is Relation.OWN:
        assert added == []
    elif operation.is_read:  # a clinician's read: one event, naming them and the read
        assert [(e.actor_id, policy.operation_for(e.action)) for e in added] == [
            (actor.id, operation)]
    world.services.close()
