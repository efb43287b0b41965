"""The clinician's caseload: flags and order by need, on the demo clinic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.accounts import Role, Scope
from app.domain.errors import NotAllowed
from app.main import Services, seed_demo_if_empty
from app.services.access import LIST_COUNT_EVERY, LIST_VIEW
from app.services.caseload import FLAGS
from tests.conftest import FakeClock


@pytest.fixture
def seeded(services: Services) -> Services:
    seed_demo_if_empty(services, lambda _: None)
    return services


def test_the_therapist_sees_casey_first_with_the_emergency_flag(seeded: Services) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    assert taylor is not None
    statuses = seeded.caseload.for_clinician(taylor)
    by_email = {s.patient.email: s for s in statuses}
    assert statuses[0].patient.email == "casey@example.com"
    assert "emergency" in by_email["casey@example.com"].flags
    assert "reassess" in by_email["blair@example.com"].flags
    assert "reassess" not in by_email["alex@example.com"].flags
    assert statuses == sorted(statuses, key=lambda s: (s.priority, s.patient.name))


def test_a_list_view_is_audited_once_a_day_per_patient_and_counted(
    seeded: Services, clock: FakeClock,
) -> None:
    """Each view used to write two audit entries per patient (a caseload of 303 added 606
    versions per view); now the day's entry says who listed them, when, and how often."""
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    assert taylor is not None and alex is not None
    before = len(seeded.access.audit_trail(alex, alex.id))
    for _ in range(3):
        seeded.caseload.for_clinician(taylor)
    trail = seeded.access.audit_trail(alex, alex.id)
    assert len(trail) == before + 1
    assert (trail[0].actor_id, trail[0].action, trail[0].at) == (
        taylor.id, LIST_VIEW, clock.now)
    assert seeded.access.list_view_count(taylor, alex.id) == 3
    clock.now += LIST_COUNT_EVERY
    seeded.caseload.for_clinician(taylor)  # the count is written at most once an hour
    (entry,) = [e for e in seeded.access.audit_trail(alex, alex.id) if e.action == LIST_VIEW]
    assert entry.count == 4
    clock.now += timedelta(days=1)
    seeded.caseload.for_clinician(taylor)  # a new day, a new entry
    listed = [e for e in seeded.access.audit_trail(alex, alex.id) if e.action == LIST_VIEW]
    assert [e.count for e in listed] == [1, 4]


def test_repeated_views_add_no_versions_and_reread_only_who_changed(
    seeded: Services, clock: FakeClock,
) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    assert taylor is not None and alex is not None
    first = seeded.caseload.for_clinician(taylor)
    worked_out = seeded.caseload.worked_out
    store = seeded.access.store
    versions = {p.patient.id: len(store.owner_history(p.patient.id)) for p in first}
    stamp = seeded.access.store.owner_stamp(alex.id)
    again = seeded.caseload.for_clinician(taylor)
    assert again == first
    assert seeded.caseload.worked_out == worked_out  # nobody's record read again
    assert seeded.access.store.owner_stamp(alex.id) == stamp  # nothing written
    assert versions == {p.patient.id: len(store.owner_history(p.patient.id)) for p in again}
    seeded.logbook.check_in(alex, alex.id, pain_now=9)
    after = seeded.caseload.for_clinician(taylor)
    assert seeded.caseload.worked_out == worked_out + 1  # Alex only
    (alex_now,) = [s for s in after if s.patient.id == alex.id]
    (alex_before,) = [s for s in first if s.patient.id == alex.id]
    assert alex_now.summary != alex_before.summary  # the new check-in shows


def test_opening_one_patient_is_audited_each_time(seeded: Services) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    assert taylor is not None and alex is not None
    seeded.caseload.for_clinician(taylor)
    before = len(seeded.access.audit_trail(alex, alex.id))
    seeded.progress.record(taylor, alex.id)
    seeded.progress.record(taylor, alex.id)
    trail = seeded.access.audit_trail(alex, alex.id)
    assert len(trail) == before + 2
    assert [(e.actor_id, e.action) for e in trail if e.action != LIST_VIEW] == [
        (taylor.id, "read:progress")] * 2


def test_an_emergency_flag_leaves_after_seven_days_without_a_save(
    seeded: Services, clock: FakeClock,
) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    assert taylor is not None

    def casey_flags() -> tuple[str, ...]:
        return next(s.flags for s in seeded.caseload.for_clinician(taylor)
                    if s.patient.email == "casey@example.com")

    assert "emergency" in casey_flags()
    clock.now += timedelta(days=8)
    assert "emergency" not in casey_flags()


def test_a_revoked_patient_leaves_the_caseload(seeded: Services) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    blair = seeded.accounts.by_email("blair@example.com")
    assert taylor is not None and blair is not None
    seeded.access.revoke(blair, taylor.id)
    emails = [s.patient.email for s in seeded.caseload.for_clinician(taylor)]
    assert "blair@example.com" not in emails
    with pytest.raises(NotAllowed):
        seeded.progress.record(taylor, blair.id)


def test_a_patient_getting_worse_is_flagged_worse_above_reassess(
    seeded: Services, clock: FakeClock,
) -> None:
    """Pain from 3 to 9 in nine days is the "worse" verdict: the caseload used to call it
    "No meaningful change: reassess" and rank it with the non-responders."""
    taylor = seeded.accounts.by_email("taylor@example.com")
    assert taylor is not None
    drew = seeded.accounts.create("drew@example.com", "Drew Worse", "a long demo passphrase",
                                  Role.PATIENT)
    seeded.access.grant(drew, taylor)
    start = clock.now
    for day, pain in [(0, 3), (1, 3), (2, 3), (7, 9), (8, 9), (9, 9)]:
        clock.now = start + timedelta(days=day, hours=1)
        seeded.logbook.check_in(drew, drew.id, pain_now=pain)
        if day == 1:
            seeded.logbook.log_session(taylor, drew.id, regions=["lumbar"])
    status = next(s for s in seeded.caseload.for_clinician(taylor)
                  if s.patient.email == "drew@example.com")
    assert status.summary is not None and status.summary.worse
    assert "worse" in status.flags and "reassess" not in status.flags
    assert FLAGS["worse"][1] == "Getting worse: reassess"
    assert FLAGS["soreness_not_settling"][0] < FLAGS["worse"][0] < FLAGS["reassess"][0]
    assert status.priority == FLAGS["worse"][0]


def test_every_flag_has_a_chip_colour() -> None:
    from app.ui.flags import FLAG_COLOURS

    assert set(FLAG_COLOURS) == set(FLAGS)


def test_the_care_team_sees_only_whether_a_narrow_patient_logged(seeded: Services) -> None:
    """Blair and Casey share "reminders and logging only" with the care team (the demo
    keeps its default): their lines hold days since the last check-in, no summary, no
    urgent answer (Casey's emergency answer is not theirs to see), and reading them
    leaves the adherence read in the trail, not a progress or guidance read."""
    jordan = seeded.accounts.by_email("jordan@example.com")
    casey = seeded.accounts.by_email("casey@example.com")
    assert jordan is not None and casey is not None
    before = len(seeded.access.audit_trail(casey, casey.id))
    by_email = {s.patient.email: s for s in seeded.caseload.for_clinician(jordan)}
    for email in ("blair@example.com", "casey@example.com"):
        status = by_email[email]
        assert status.scope is Scope.REMINDERS_AND_LOGGING
        assert status.summary is None and status.urgent_answer is None
        assert set(status.flags) <= {"stopped_logging"}
        assert status.days_since_check_in is not None and status.days_since_check_in >= 0
    assert "emergency" not in by_email["casey@example.com"].flags
    alex = by_email["alex@example.com"]  # Alex chose "Everything" for the care team
    assert alex.scope is Scope.FULL and alex.summary is not None
    trail = seeded.access.audit_trail(casey, casey.id)
    assert [(e.actor_id, e.action) for e in trail[:len(trail) - before]] == [
        (jordan.id, "read:reminders:read_activity")]


def test_days_since_check_in_are_the_patients_days(seeded: Services,
                                                   clock: FakeClock) -> None:
    jordan = seeded.accounts.by_email("jordan@example.com")
    blair = seeded.accounts.by_email("blair@example.com")
    assert jordan is not None and blair is not None
    seeded.logbook.check_in(blair, blair.id, pain_now=5)
    status = next(s for s in seeded.caseload.for_clinician(jordan) if s.patient.id == blair.id)
    assert status.days_since_check_in == 0 and status.flags == ()
    clock.advance(days=4)
    status = next(s for s in seeded.caseload.for_clinician(jordan) if s.patient.id == blair.id)
    assert status.days_since_check_in == 4
    assert status.flags == ("stopped_logging",)


def test_the_background_refresh_works_out_who_saved_and_audits_nothing(
    seeded: Services,
) -> None:
    """The server's job keeps statuses up to date as entries are saved, so the list finds
    them ready; nobody looked, so nothing goes into anyone's trail."""
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    assert taylor is not None and alex is not None
    trail = len(seeded.access.audit_trail(alex, alex.id))
    assert seeded.caseload.refresh() >= 3  # every shared patient, once per scope
    assert seeded.caseload.refresh() == 0  # nothing changed
    seeded.logbook.check_in(alex, alex.id, pain_now=2)
    assert seeded.caseload.refresh() == 1  # Alex (one status: both see everything)
    assert len(seeded.access.audit_trail(alex, alex.id)) == trail
    worked_out = seeded.caseload.worked_out
    statuses = seeded.caseload.for_clinician(taylor)
    assert seeded.caseload.worked_out == worked_out  # the list found them ready
    (alex_now,) = [s for s in statuses if s.patient.id == alex.id]
    assert alex_now.summary is not None


def test_the_lists_basis_moves_when_what_it_shows_can_change_and_only_then(
    seeded: Services, clock: FakeClock,
) -> None:
    """An open list looks at its basis every few seconds and is drawn again when it moved:
    a patient's save, a grant given, narrowed or revoked, the patient's day turning. Its
    own audit entries (a list view) do not move it, and looking reads no one's records
    and audits nothing."""
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    blair = seeded.accounts.by_email("blair@example.com")
    assert taylor is not None and alex is not None and blair is not None
    caseload = seeded.caseload
    first = caseload.basis(taylor)
    assert {item[0] for item in first} == {s.patient.id for s in caseload.for_clinician(taylor)}
    trail = len(seeded.access.audit_trail(alex, alex.id))
    worked_out = caseload.worked_out
    assert caseload.basis(taylor) == first  # the list view's audit entry is not a change
    assert caseload.worked_out == worked_out
    assert len(seeded.access.audit_trail(alex, alex.id)) == trail

    seeded.logbook.check_in(alex, alex.id, pain_now=9)
    saved = caseload.basis(taylor)
    assert saved != first
    assert caseload.basis(taylor) == saved

    seeded.access.set_scope(blair, taylor.id, Scope.REMINDERS_AND_LOGGING)
    narrowed = caseload.basis(taylor)
    assert narrowed != saved
    seeded.access.revoke(blair, taylor.id)
    revoked = caseload.basis(taylor)
    assert blair.id not in {item[0] for item in revoked}

    clock.now += timedelta(days=1)
    assert caseload.basis(taylor) != revoked
    assert len(seeded.access.audit_trail(alex, alex.id)) == trail
