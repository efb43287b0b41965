"""Urgent "Is this normal?" answers do not vanish: the patient is asked how they are for
72 hours (until they answer), and a clinician acknowledges the flag with a note that the
caseload shows. On the demo clinic (Casey's emergency answer)."""

from __future__ import annotations

import pytest

from app.domain.accounts import Account
from app.domain.errors import InvalidInput, NotAllowed
from app.main import Services, seed_demo_if_empty
from tests.conftest import FakeClock


@pytest.fixture
def seeded(services: Services) -> Services:
    seed_demo_if_empty(services, lambda _: None)
    return services


def people(services: Services) -> tuple[Account, Account, Account]:
    casey, taylor, alex = (services.accounts.by_email(f"{n}@example.com")
                           for n in ("casey", "taylor", "alex"))
    assert casey and taylor and alex
    return casey, taylor, alex


def test_an_emergency_answer_is_followed_up_until_answered(seeded: Services,
                                                           clock: FakeClock) -> None:
    casey, _, _ = people(seeded)
    due = seeded.followups.due(casey, casey.id)
    assert [d.assessment.level for d in due] == ["emergency"]
    clock.advance(hours=24)  # the next day: still asked
    assert len(seeded.followups.due(casey, casey.id)) == 1
    with pytest.raises(InvalidInput) as refused:
        seeded.followups.record(casey, casey.id, due[0].record_id, got_help="maybe",
                                feeling="better")
    assert set(refused.value.problems) == {"got_help"}
    seeded.followups.record(casey, casey.id, due[0].record_id, got_help="emergency",
                            feeling="better", note="Checked at the ED, all clear")
    assert seeded.followups.due(casey, casey.id) == []
    (record,) = [r for r in seeded.followups.answers(casey, casey.id)
                 if r.answer.record_id == due[0].record_id]
    assert [(f.got_help, f.feeling, f.note) for f in record.follow_ups] == [
        ("emergency", "better", "Checked at the ED, all clear")]


def test_after_72_hours_today_stops_asking(seeded: Services, clock: FakeClock) -> None:
    casey, _, _ = people(seeded)
    clock.advance(hours=73)
    assert seeded.followups.due(casey, casey.id) == []


def test_the_therapist_acknowledges_and_the_caseload_shows_it(seeded: Services) -> None:
    casey, taylor, alex = people(seeded)
    (status,) = [s for s in seeded.caseload.for_clinician(taylor) if s.patient.id == casey.id]
    assert status.urgent_answer is not None and status.urgent_answer.acknowledgement is None
    answer_id = status.urgent_answer.answer.record_id
    seeded.followups.acknowledge(taylor, casey.id, answer_id, note="Phoned Casey: seen in ED")
    (status,) = [s for s in seeded.caseload.for_clinician(taylor) if s.patient.id == casey.id]
    ack = status.urgent_answer.acknowledgement if status.urgent_answer else None
    assert ack is not None and (ack.clinician_name, ack.note) == (
        "Taylor Brooks", "Phoned Casey: seen in ED")
    assert "emergency" in status.flags  # still flagged for 7 days, now with the note
    with pytest.raises(NotAllowed):  # a patient does not acknowledge
        seeded.followups.acknowledge(casey, casey.id, answer_id)
    with pytest.raises(NotAllowed):  # nor does someone the patient did not share with
        seeded.followups.record(alex, casey.id, answer_id, got_help="clinic",
                                feeling="same")
