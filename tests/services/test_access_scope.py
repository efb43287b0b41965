"""A grant's scope: what a sharing code gives each role, the patient changing it per person
(a new grant version, in force at once), old grants without a scope, imports, and the
audit trail of a narrow grant's reads."""

from __future__ import annotations

import json
from datetime import date

import pytest

from app.domain.accounts import Grant, Scope
from app.domain.codec import from_json, to_json
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services, build_services
from app.services.access import GRANT
from app.services.reminders import ReminderService
from app.store.interfaces import Change
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.test_access import People, sign_up_people


@pytest.fixture
def people(services: Services) -> People:
    return sign_up_people(services)


def test_a_sharing_code_gives_the_therapist_everything_and_the_care_team_reminders_only(
        services: Services, people: People) -> None:
    access = services.access
    access.redeem_invite(people.therapist, access.create_invite(people.patient))
    access.redeem_invite(people.care_team, access.create_invite(people.patient))
    assert access.scope_of(people.therapist, people.patient.id) is Scope.FULL
    assert access.scope_of(people.care_team, people.patient.id) is \
        Scope.REMINDERS_AND_LOGGING
    assert {(s.clinician.id, s.scope) for s in access.sharing(people.patient,
                                                              people.patient.id)} == {
        (people.therapist.id, Scope.FULL), (people.care_team.id, Scope.REMINDERS_AND_LOGGING)}
    services.logbook.check_in(people.patient, people.patient.id, pain_now=6)
    assert services.logbook.load(people.therapist, people.patient.id).check_ins
    with pytest.raises(NotAllowed, match="reminders and logging only"):
        services.logbook.load(people.care_team, people.patient.id)


def test_the_patient_widens_and_narrows_a_grant_and_it_holds_at_once(
        services: Services, people: People) -> None:
    access = services.access
    access.grant(people.patient, people.care_team)
    services.logbook.check_in(people.patient, people.patient.id, pain_now=6)
    with pytest.raises(NotAllowed):
        services.progress.summary(people.care_team, people.patient.id)
    access.set_scope(people.patient, people.care_team.id, Scope.FULL)
    services.progress.summary(people.care_team, people.patient.id)
    access.set_scope(people.patient, people.care_team.id, Scope.REMINDERS_AND_LOGGING)
    with pytest.raises(NotAllowed):
        services.progress.summary(people.care_team, people.patient.id)
    # Each change is a new version of the one grant, kept in its history.
    (grant,) = access.grants.find(people.patient.id)
    assert [v.value.scope for v in access.grants.history(grant.value.id)] == [
        Scope.REMINDERS_AND_LOGGING, Scope.FULL, Scope.REMINDERS_AND_LOGGING]


def test_only_the_patient_changes_a_scope_and_only_for_someone_they_share_with(
        services: Services, people: People) -> None:
    access = services.access
    access.grant(people.patient, people.care_team)
    with pytest.raises(NotAllowed):
        access.set_scope(people.care_team, people.care_team.id, Scope.FULL)
    with pytest.raises(NotFound):
        access.set_scope(people.patient, people.therapist.id, Scope.FULL)
    with pytest.raises(NotFound):  # another patient's grant is not theirs to change
        access.set_scope(people.other_patient, people.care_team.id, Scope.FULL)
    assert access.scope_of(people.care_team, people.patient.id) is \
        Scope.REMINDERS_AND_LOGGING


def test_a_grant_stored_before_scopes_reads_as_everything(services: Services,
                                                         people: People) -> None:
    grant = Grant("g1", people.patient.id, people.therapist.id, services.access.clock())
    raw = to_json(grant)
    del raw["scope"]
    assert from_json(Grant, raw).scope is Scope.FULL
    assert from_json(Grant, raw, strict=True).scope is Scope.FULL  # an old export
    raw["scope"] = "nearly_everything"
    with pytest.raises(ValueError, match="scope"):
        from_json(Grant, raw, strict=True)
    # Straight in the store, as an older BackTrack wrote it: the care team reads it all.
    old = to_json(Grant("g2", people.patient.id, people.care_team.id,
                        services.access.clock()))
    del old["scope"]
    services.store.save_all([Change(GRANT, "g2", old, owner=people.patient.id,
                                    expected_version=0)])
    assert services.access.scope_of(people.care_team, people.patient.id) is Scope.FULL
    services.logbook.load(people.care_team, people.patient.id)


def _import_into_a_new_clinic(text: str, clock: FakeClock) -> Services:
    other = build_services(FAST_SETTINGS, MemoryStore(), clock=clock)
    other.portability.import_json(text)
    return other


def _with_grant_scope(text: str, scope: str | None) -> str:
    """The export with each grant's scope set to `scope` (None: left out, as before)."""
    document = json.loads(text)
    for record in document["records"]:
        if record["kind"] == GRANT:
            record["data"].pop("scope")
            if scope is not None:
                record["data"]["scope"] = scope
    return json.dumps(document)


def test_an_export_carries_the_scope_and_the_import_checks_it(
        services: Services, people: People, clock: FakeClock) -> None:
    services.access.grant(people.patient, people.care_team)
    text = services.portability.export_json(people.patient, people.patient.email)
    imported = _import_into_a_new_clinic(text, clock)
    (grant,) = imported.access.grants.find(people.patient.id)
    assert grant.value.scope is Scope.REMINDERS_AND_LOGGING
    older = _import_into_a_new_clinic(_with_grant_scope(text, None), clock)
    (grant,) = older.access.grants.find(people.patient.id)
    assert grant.value.scope is Scope.FULL  # an export from before scopes
    with pytest.raises(InvalidInput, match="scope"):
        _import_into_a_new_clinic(_with_grant_scope(text, "nearly_everything"), clock)
    for built in (imported, older):
        built.close()


def test_a_narrow_grants_reads_are_audited_in_the_patients_trail(
        services: Services, people: People, clock: FakeClock) -> None:
    services.access.grant(people.patient, people.care_team)
    reminders = ReminderService(services.store, services.access, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.DAILY_CHECK_IN,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00"))
    reminders.planned(people.care_team, people.patient.id)
    with pytest.raises(NotAllowed):
        services.logbook.load(people.care_team, people.patient.id)
    trail = services.access.audit_trail(people.patient, people.patient.id)
    assert [(e.actor_id, e.action) for e in trail] == [
        (people.care_team.id, "read:reminders:read_plans")]
