"""GuidanceService on the in-memory store: every assessment is kept with its input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.guidance import RulebookError, parse_report
from app.services.guidance import ASSESSMENT_KIND, GuidanceService, load_rulebook
from app.store.interfaces import Query
from app.store.memory import MemoryStore

RULEBOOK_PATH = Path(__file__).resolve().parents[2] / "assets" / "guidance" / "rulebook.json"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

EASING = parse_report(
    {
        "hours_since_needling": 30,
        "needled_regions": ["lumbar"],
        "soreness_now": 3,
        "soreness_trend": "better",
        "pain_now": 4,
        "pain_usual": 4,
        "symptoms": [],
    }
)
RED_FLAG = parse_report(
    {
        "hours_since_needling": 30,
        "needled_regions": ["lumbar"],
        "soreness_now": 3,
        "soreness_trend": "better",
        "pain_now": 4,
        "pain_usual": 4,
        "symptoms": ["saddle_numbness"],
    }
)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore) -> GuidanceService:
    return GuidanceService(store, load_rulebook(RULEBOOK_PATH))


def test_assessment_is_saved_with_input_and_result(
    service: GuidanceService, store: MemoryStore
) -> None:
    assessment, record = service.assess("patient-1", RED_FLAG, assessed_at=T0)
    assert assessment.level == "emergency"
    assert record.kind == ASSESSMENT_KIND and record.owner == "patient-1"
    assert record.data == {
        "input": RED_FLAG.to_json(),
        "result": assessment.to_json(),
        "assessed_at": T0.isoformat(),
        "rulebook": {"reviewed_on": service.rulebook.reviewed_on.isoformat(),
                     "fingerprint": service.rulebook.fingerprint},
    }
    stored = store.latest(ASSESSMENT_KIND, record.id)
    assert stored is not None and stored.data == record.data
    json.dumps(stored.data)  # plain JSON, nothing else


def test_history_is_newest_first_and_per_patient(service: GuidanceService) -> None:
    service.assess("patient-1", EASING, assessed_at=T0)
    service.assess("patient-1", RED_FLAG, assessed_at=T0 + timedelta(hours=5))
    service.assess("patient-1", EASING, assessed_at=T0 + timedelta(hours=2))
    service.assess("patient-2", RED_FLAG, assessed_at=T0 + timedelta(hours=9))
    history = service.history("patient-1")
    assert [item.assessed_at for item in history] == [
        T0 + timedelta(hours=5),
        T0 + timedelta(hours=2),
        T0,
    ]
    assert [item.assessment.level for item in history] == ["emergency", "self_care", "self_care"]
    assert history[0].report == RED_FLAG
    assert [i.assessment.level for i in service.history("patient-2")] == ["emergency"]
    assert service.history("nobody") == []


def test_same_time_keeps_the_last_saved_first(service: GuidanceService) -> None:
    service.assess("p", EASING, assessed_at=T0)
    service.assess("p", RED_FLAG, assessed_at=T0)
    assert [i.assessment.level for i in service.history("p")] == ["emergency", "self_care"]


def test_default_time_comes_from_the_clock(store: MemoryStore) -> None:
    service = GuidanceService(store, load_rulebook(RULEBOOK_PATH), clock=lambda: T0)
    _, record = service.assess("p", EASING)
    assert record.data["assessed_at"] == T0.isoformat()


def test_naive_time_is_refused(service: GuidanceService, store: MemoryStore) -> None:
    with pytest.raises(ValueError):
        service.assess("p", EASING, assessed_at=datetime(2026, 5, 1, 9, 0))
    assert store.find(Query(kind=ASSESSMENT_KIND)) == []


def test_history_round_trips_the_exact_answer(service: GuidanceService) -> None:
    assessment, _ = service.assess("p", RED_FLAG, assessed_at=T0)
    assert service.history("p")[0].assessment == assessment


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
                                                  store: MemoryStore) -> None:
    service.assess("patient-1", EASING, assessed_at=T0)
    # An assessment saved before rulebooks were recorded still reads back, without one.
    store.save(ASSESSMENT_KIND, "older", {"input": EASING.to_json(),
               "result": service.history("patient-1")[0].assessment.to_json(),
               "assessed_at": (T0 - timedelta(days=1)).isoformat()},
               owner="patient-1", expected_version=0)
    newest, older = service.history("patient-1")
    book = service.rulebook
    assert newest.rulebook == f"{book.reviewed_on.isoformat()} {book.fingerprint}"
    assert older.rulebook is None
