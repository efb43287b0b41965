"""GuidanceService on the in-memory store: every assessment is kept with its input, and
only the patient and the clinicians they granted may save or read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed
from app.domain.guidance import RulebookError, parse_report
from app.main import Services
from app.services.guidance import ASSESSMENT_KIND, GuidanceService, load_rulebook
from app.store.interfaces import Query
from tests.conftest import FakeClock

RULEBOOK_PATH = Path(__file__).resolve().parents[2] / "assets" / "guidance" / "rulebook.json"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

EASING_INPUT = {
    "hours_since_needling": 30,
    "needled_regions": ["lumbar"],
    "soreness_now": 3,
    "soreness_trend": "better",
    "pain_now": 4,
    "pain_usual": 4,
    "symptoms": [],
}
EASING = parse_report(EASING_INPUT)
RED_FLAG = parse_report({**EASING_INPUT, "symptoms": ["saddle_numbness"]})


PASSWORD = "guidance-test-pw"


def person(services: Services, email: str, role: Role = Role.PATIENT) -> Account:
    return services.accounts.create(email, email.split("@")[0].title(), PASSWORD, role)


@pytest.fixture
def service(services: Services) -> GuidanceService:
    return services.guidance


@pytest.fixture
def pat(services: Services) -> Account:
    return person(services, "pat@example.com")


@pytest.fixture
def sam(services: Services) -> Account:
    return person(services, "sam@example.com")


def test_assessment_is_saved_with_input_and_result(service: GuidanceService,
                                                   services: Services, pat: Account) -> None:
    assessment, record = service.assess(pat, pat.id, RED_FLAG, assessed_at=T0)
    assert assessment.level == "emergency"
    assert record.kind == ASSESSMENT_KIND and record.owner == pat.id
    assert record.data == {
        "input": RED_FLAG.to_json(),
        "result": assessment.to_json(),
        "assessed_at": T0.isoformat(),
        "rulebook": {"reviewed_on": service.rulebook.reviewed_on.isoformat(),
                     "fingerprint": service.rulebook.fingerprint},
    }
    stored = services.store.latest(ASSESSMENT_KIND, record.id)
    assert stored is not None and stored.data == record.data
    json.dumps(stored.data)  # plain JSON, nothing else


def test_history_is_newest_first_and_per_patient(service: GuidanceService, pat: Account,
                                                 sam: Account) -> None:
    service.assess(pat, pat.id, EASING, assessed_at=T0)
    service.assess(pat, pat.id, RED_FLAG, assessed_at=T0 + timedelta(hours=5))
    service.assess(pat, pat.id, EASING, assessed_at=T0 + timedelta(hours=2))
    service.assess(sam, sam.id, RED_FLAG, assessed_at=T0 + timedelta(hours=9))
    history = service.history(pat, pat.id)
    assert [item.assessed_at for item in history] == [
        T0 + timedelta(hours=5),
        T0 + timedelta(hours=2),
        T0,
    ]
    assert [item.assessment.level for item in history] == ["emergency", "self_care", "self_care"]
    assert history[0].report == RED_FLAG
    assert [i.assessment.level for i in service.history(sam, sam.id)] == ["emergency"]


def test_only_the_patient_and_granted_clinicians_save_or_read(
        service: GuidanceService, services: Services, pat: Account, sam: Account) -> None:
    therapist = person(services, "taylor@example.com", Role.THERAPIST)
    service.assess(pat, pat.id, RED_FLAG, assessed_at=T0)
    for who in (sam, therapist):
        with pytest.raises(NotAllowed):
            service.history(who, pat.id)
        with pytest.raises(NotAllowed):
            service.assess(who, pat.id, EASING, assessed_at=T0)
    assert services.access.audit_trail(pat, pat.id) == []  # the patient's reads: no audit
    services.access.grant(pat, therapist)
    assert [p.assessment.level for p in service.history(therapist, pat.id)] == ["emergency"]
    [event] = services.access.audit_trail(pat, pat.id)
    assert (event.actor_id, event.action) == (therapist.id, "read:guidance")


def test_same_time_keeps_the_last_saved_first(service: GuidanceService, pat: Account) -> None:
    service.assess(pat, pat.id, EASING, assessed_at=T0)
    service.assess(pat, pat.id, RED_FLAG, assessed_at=T0)
    assert [i.assessment.level for i in service.history(pat, pat.id)] == [
        "emergency", "self_care"]


def test_default_time_comes_from_the_clock(service: GuidanceService, pat: Account,
                                           clock: FakeClock) -> None:
    _, record = service.assess(pat, pat.id, EASING)
    assert record.data["assessed_at"] == clock.now.astimezone(UTC).isoformat()


def test_naive_time_is_refused(service: GuidanceService, services: Services,
                               pat: Account) -> None:
    with pytest.raises(ValueError):
        service.assess(pat, pat.id, EASING, assessed_at=datetime(2026, 5, 1, 9, 0))
    assert services.store.find(Query(kind=ASSESSMENT_KIND)) == []


def test_history_round_trips_the_exact_answer(service: GuidanceService, pat: Account) -> None:
    assessment, _ = service.assess(pat, pat.id, RED_FLAG, assessed_at=T0)
    assert service.history(pat, pat.id)[0].assessment == assessment


def test_missing_rulebook_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="Cannot read"):
        load_rulebook(tmp_path / "nope.json")


def test_invalid_rulebook_json_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "rulebook.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RulebookError, match="not valid JSON"):
        load_rulebook(bad)
    bad.write_text('{"schema_version": 9}', encoding="utf-8")
    with pytest.raises(RulebookError, match="schema_version"):
        load_rulebook(bad)


def test_history_names_the_rulebook_that_answered(service: GuidanceService,
                                                  services: Services, pat: Account) -> None:
    service.assess(pat, pat.id, EASING, assessed_at=T0)
    # An assessment saved before rulebooks were recorded still reads back, without one.
    services.store.save(ASSESSMENT_KIND, "older", {
        "input": EASING.to_json(),
        "result": service.history(pat, pat.id)[0].assessment.to_json(),
        "assessed_at": (T0 - timedelta(days=1)).isoformat()},
        owner=pat.id, expected_version=0)
    newest, older = service.history(pat, pat.id)
    book = service.rulebook
    assert newest.rulebook == f"{book.reviewed_on.isoformat()} {book.fingerprint}"
    assert older.rulebook is None


def test_risk_factors_are_remembered_only_by_the_patient(
    service: GuidanceService, services: Services, pat: Account
) -> None:
    assert service.risk_factors(pat.id) == ()
    saved = service.remember_risk_factors(pat, ("age_over_50", "blood_thinners"))
    assert saved.risk_factors == ("blood_thinners", "age_over_50")  # the checklist's order
    assert service.risk_factors(pat.id) == ("blood_thinners", "age_over_50")
    assert services.accounts.get(pat.id).risk_factors == ("blood_thinners", "age_over_50")
    therapist = person(services, "tay@example.com", Role.THERAPIST)
    with pytest.raises(NotAllowed):
        service.remember_risk_factors(therapist, ("age_over_50",))
    from app.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        service.remember_risk_factors(pat, ("smoker",))
    service.remember_risk_factors(pat, ())
    assert service.risk_factors(pat.id) == ()


def test_remembered_risk_factors_are_read_like_the_guidance_record(
    service: GuidanceService, services: Services, pat: Account
) -> None:
    service.remember_risk_factors(pat, ("age_over_50",))
    assert service.remembered_risk_factors(pat, pat.id) == ("age_over_50",)
    other = person(services, "other@example.com", Role.PATIENT)
    therapist = person(services, "tay@example.com", Role.THERAPIST)
    for stranger in (other, therapist):
        with pytest.raises(NotAllowed):
            service.remembered_risk_factors(stranger, pat.id)
    services.access.grant(pat, therapist)
    assert service.remembered_risk_factors(therapist, pat.id) == ("age_over_50",)
    assert [(e.actor_id, e.action) for e in services.access.audit_trail(pat, pat.id)] == [
        (therapist.id, "read:guidance")]


def test_an_old_saved_assessment_without_the_new_keys_still_reads_back(
    service: GuidanceService, services: Services, pat: Account
) -> None:
    old = {"input": EASING_INPUT, "assessed_at": T0.isoformat(),
           "result": {"level": "self_care", "check_again_hours": 24, "advice": "Keep moving.",
                      "reasons": [{"rule": "soreness_easing", "text": "Easing.",
                                   "source": "J Clin Med 2021"}]}}
    services.store.save(ASSESSMENT_KIND, "old-one", old, owner=pat.id, expected_version=0)
    (past,) = service.history(pat, pat.id)
    assert past.report.risk_factors == () and past.report.temperature_c is None
    assert past.assessment.level == "self_care" and past.rulebook is None
