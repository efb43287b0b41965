"""The clinician's caseload: flags and order by need, on the demo clinic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.accounts import Role, Scope
from app.domain.errors import NotAllowed
from app.main import Services, seed_demo_if_empty
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


def test_every_caseload_read_is_audited(seeded: Services) -> None:
    taylor = seeded.accounts.by_email("taylor@example.com")
    alex = seeded.accounts.by_email("alex@example.com")
    assert taylor is not None and alex is not None
    before = len(seeded.access.audit_trail(alex, alex.id))
    seeded.caseload.for_clinician(taylor)
    trail = seeded.access.audit_trail(alex, alex.id)
    assert len(trail) == before + 2  # the progress record and the "Is this normal?" answers
    assert {(e.actor_id, e.action) for e in trail[:2]} == {
        (taylor.id, "read:progress"), (taylor.id, "read:guidance")}


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
