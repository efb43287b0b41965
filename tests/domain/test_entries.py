"""Validation of every field of every entry the patient or therapist logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.domain import entries as e
from app.domain.errors import InvalidInput
from app.domain.scales import NOTE_MAX_CHARS

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
ACTIVITIES = ("act-walk", "act-sit", "act-bend")


def check_in(**overrides: Any) -> e.CheckIn:
    fields: dict[str, Any] = {
        "id": "c1", "patient_id": "p1", "recorded_at": NOW, "now": NOW, "pain_now": 4,
        "activity_ids": ACTIVITIES,
    }
    fields.update(overrides)
    return e.new_check_in(**fields)


def problems_of(call: Any, **overrides: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call(**overrides)
    return caught.value.problems


def assert_plain(message: str) -> None:
    """A message a patient can read: a sentence, no exception class names or reprs."""
    assert message and message[0].isupper() and message.endswith(".")
    for leak in ("Error", "Traceback", "None", "nan", "<", "{"):
        assert leak not in message, message


def session(**overrides: Any) -> e.NeedlingSession:
    fields: dict[str, Any] = {
        "id": "s1", "patient_id": "p1", "performed_at": NOW - timedelta(hours=30),
        "now": NOW, "regions": ["lumbar"], "recorded_by": "t1",
    }
    fields.update(overrides)
    return e.new_needling_session(**fields)


# -- check-in: pain now ---------------------------------------------------------------


@pytest.mark.parametrize("pain", [0, 1, 5, 10, 7.0])
def test_pain_now_accepts_whole_numbers_zero_to_ten(pain: object) -> None:
    entry = check_in(pain_now=pain)
    assert entry.pain_now == int(pain)  # type: ignore[call-overload]
    assert type(entry.pain_now) is int


@pytest.mark.parametrize("pain", [11, -1, 2.5, True, False, "5", float("nan"), float("inf"),
                                  None, [5]])
def test_pain_now_rejects_anything_but_a_whole_number_zero_to_ten(pain: object) -> None:
    problems = problems_of(check_in, pain_now=pain)
    assert set(problems) == {"pain_now"}
    assert_plain(problems["pain_now"])
    assert "0" in problems["pain_now"] and "10" in problems["pain_now"]


def test_out_of_range_pain_message_repeats_what_was_typed() -> None:
    assert "11" in problems_of(check_in, pain_now=11)["pain_now"]


# -- check-in: worst in 24 h ------------------------------------------------------------


def test_worst_24h_is_optional_and_may_equal_pain_now() -> None:
    assert check_in(worst_24h=None).worst_24h is None
    assert check_in(pain_now=6, worst_24h=6).worst_24h == 6
    assert check_in(pain_now=6, worst_24h=9).worst_24h == 9


def test_worst_24h_lower_than_pain_now_is_rejected() -> None:
    problems = problems_of(check_in, pain_now=6, worst_24h=3)
    assert set(problems) == {"worst_24h"}
    assert_plain(problems["worst_24h"])


@pytest.mark.parametrize("worst", [11, -2, 3.5, True, "8"])
def test_worst_24h_out_of_range_is_rejected(worst: object) -> None:
    problems = problems_of(check_in, pain_now=0, worst_24h=worst)
    assert set(problems) == {"worst_24h"}
    assert_plain(problems["worst_24h"])


# -- check-in: regions --------------------------------------------------------------


def test_known_pain_regions_are_kept_in_order_without_duplicates() -> None:
    entry = check_in(regions=["lower_back", "leg_left", "lower_back"])
    assert entry.regions == ("lower_back", "leg_left")


def test_unknown_pain_region_is_rejected_by_name() -> None:
    problems = problems_of(check_in, regions=["lower_back", "elbow"])
    assert set(problems) == {"regions"}
    assert "elbow" in problems["regions"]
    assert_plain(problems["regions"])


def test_needling_region_key_is_not_a_pain_region() -> None:
    assert "regions" in problems_of(check_in, regions=["lumbar"])


# -- check-in: PSFS -----------------------------------------------------------------


def test_psfs_ratings_for_own_activities_are_kept() -> None:
    entry = check_in(psfs={"act-walk": 0, "act-sit": 10, "act-bend": None})
    assert entry.psfs == {"act-walk": 0, "act-sit": 10}


def test_psfs_for_unknown_activity_is_rejected() -> None:
    problems = problems_of(check_in, psfs={"act-walk": 5, "someone-elses": 5})
    assert set(problems) == {"psfs.someone-elses"}
    assert_plain(problems["psfs.someone-elses"])


@pytest.mark.parametrize("value", [11, -1, 4.5, True, "7"])
def test_psfs_rating_out_of_range_is_rejected(value: object) -> None:
    problems = problems_of(check_in, psfs={"act-sit": value})
    assert set(problems) == {"psfs.act-sit"}
    assert_plain(problems["psfs.act-sit"])


# -- check-in: time ------------------------------------------------------------------


def test_recorded_at_a_little_ahead_is_a_clock_drift_and_accepted() -> None:
    ahead = NOW + timedelta(minutes=4, seconds=59)
    assert check_in(recorded_at=ahead).recorded_at == ahead
    assert check_in(recorded_at=NOW + timedelta(minutes=5)).recorded_at


def test_recorded_at_in_the_future_beyond_tolerance_is_rejected() -> None:
    problems = problems_of(check_in, recorded_at=NOW + timedelta(minutes=5, seconds=1))
    assert set(problems) == {"recorded_at"}
    assert "future" in problems["recorded_at"]
    assert_plain(problems["recorded_at"])


def test_recorded_at_in_the_past_is_accepted() -> None:
    earlier = NOW - timedelta(days=3)
    assert check_in(recorded_at=earlier).recorded_at == earlier


def test_naive_recorded_at_is_rejected() -> None:
    problems = problems_of(check_in, recorded_at=datetime(2025, 3, 10, 11, 0))
    assert set(problems) == {"recorded_at"}
    assert_plain(problems["recorded_at"])


# -- check-in: note -------------------------------------------------------------------


def test_note_up_to_the_limit_is_kept_and_trimmed() -> None:
    assert check_in(note="x" * 2000).note == "x" * 2000
    assert check_in(note="  Stiff today \n").note == "Stiff today"
    assert check_in(note=None).note == ""


def test_note_of_twenty_thousand_chars_is_rejected_with_a_clear_message() -> None:
    problems = problems_of(check_in, note="y" * 20_000)
    assert set(problems) == {"note"}
    message = problems["note"]
    assert f"{NOTE_MAX_CHARS:,}" in message and "20,000" in message
    assert_plain(message)


def test_note_just_over_the_limit_is_rejected() -> None:
    assert "note" in problems_of(check_in, note="z" * (NOTE_MAX_CHARS + 1))


# -- check-in: all at once -----------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        check_in, pain_now=12, worst_24h="a lot", regions=["tail"], psfs={"nope": 3},
        recorded_at=NOW + timedelta(days=1), note="n" * 5000,
    )
    assert set(problems) == {"pain_now", "worst_24h", "regions", "psfs.nope", "recorded_at",
                             "note"}
    for message in problems.values():
        assert_plain(message)


def test_invalid_input_message_lists_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_in(pain_now=11, note="n" * 3000)
    assert "pain_now" in str(caught.value) and "note" in str(caught.value)


# -- needling session ----------------------------------------------------------------


def test_needling_session_is_built() -> None:
    built = session(regions=["thoracic", "shoulder"], note=" twitchy ")
    assert built.regions == ("thoracic", "shoulder")
    assert built.recorded_by == "t1"
    assert built.note == "twitchy"


def test_needling_session_without_regions_is_rejected() -> None:
    problems = problems_of(session, regions=[])
    assert set(problems) == {"regions"}
    assert_plain(problems["regions"])


def test_needling_session_with_unknown_region_is_rejected() -> None:
    problems = problems_of(session, regions=["lumbar", "knee"])
    assert set(problems) == {"regions"}
    assert "knee" in problems["regions"]


def test_pain_region_key_is_not_a_needling_region() -> None:
    assert "regions" in problems_of(session, regions=["lower_back"])


def test_needling_session_duplicate_regions_collapse() -> None:
    assert session(regions=["neck", "lumbar", "neck", "lumbar"]).regions == ("neck", "lumbar")


def test_needling_session_time_and_note_are_checked() -> None:
    problems = problems_of(session, performed_at=NOW + timedelta(hours=2), note="q" * 2001)
    assert set(problems) == {"performed_at", "note"}
    assert "future" in problems["performed_at"]
    assert "performed_at" in problems_of(session, performed_at=datetime(2025, 3, 9, 9, 0))


# -- soreness -------------------------------------------------------------------------


def soreness(**overrides: Any) -> e.SorenessEntry:
    fields: dict[str, Any] = {
        "id": "so1", "patient_id": "p1", "session": session(), "recorded_at": NOW,
        "now": NOW, "soreness": 3,
    }
    fields.update(overrides)
    return e.new_soreness_entry(**fields)


def test_soreness_entry_is_tied_to_its_session() -> None:
    entry = soreness(soreness=0)
    assert entry.session_id == "s1"
    assert entry.soreness == 0
    assert soreness(soreness=10).soreness == 10


def test_soreness_before_the_session_is_rejected() -> None:
    earlier = session().performed_at - timedelta(minutes=1)
    problems = problems_of(soreness, recorded_at=earlier)
    assert set(problems) == {"recorded_at"}
    assert_plain(problems["recorded_at"])


def test_soreness_for_another_patients_session_is_rejected() -> None:
    problems = problems_of(soreness, session=session(patient_id="p2"))
    assert set(problems) == {"session_id"}
    assert_plain(problems["session_id"])


@pytest.mark.parametrize("value", [-1, 11, 2.5, True, "3", float("nan")])
def test_soreness_out_of_range_is_rejected(value: object) -> None:
    problems = problems_of(soreness, soreness=value)
    assert set(problems) == {"soreness"}
    assert_plain(problems["soreness"])


def test_soreness_in_the_future_and_long_note_are_rejected() -> None:
    problems = problems_of(soreness, recorded_at=NOW + timedelta(hours=1), note="s" * 2001)
    assert set(problems) == {"recorded_at", "note"}


def test_naive_soreness_time_is_rejected_as_invalid_input() -> None:
    problems = problems_of(soreness, recorded_at=datetime(2025, 3, 10, 11, 0))
    assert set(problems) == {"recorded_at"}


def test_hours_since_is_computed_from_the_session() -> None:
    s = session(performed_at=NOW - timedelta(hours=30))
    assert e.hours_since(s, NOW) == pytest.approx(30.0)
    assert e.hours_since(s, NOW - timedelta(hours=29, minutes=30)) == pytest.approx(0.5)
    assert e.hours_since(s, s.performed_at - timedelta(hours=1)) == 0.0


# -- PSFS plan ------------------------------------------------------------------------


def test_psfs_plan_of_three_to_five_is_accepted_and_cleaned() -> None:
    assert e.check_psfs_plan(["  Walking   far ", "Sitting", "Bending\tforward"]) == (
        "Walking far", "Sitting", "Bending forward")
    assert len(e.check_psfs_plan(["a", "b", "c", "d", "e"])) == 5


@pytest.mark.parametrize("count", [0, 2, 6])
def test_psfs_plan_with_wrong_number_of_activities_is_rejected(count: int) -> None:
    problems = problems_of(e.check_psfs_plan, names=[f"Activity {i}" for i in range(count)])
    assert set(problems) == {"activities"}
    assert "3" in problems["activities"] and "5" in problems["activities"]
    assert_plain(problems["activities"])


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_psfs_plan_with_empty_name_is_rejected(blank: str | None) -> None:
    problems = problems_of(e.check_psfs_plan, names=["Walking", blank, "Sitting"])
    assert set(problems) == {"activity.1"}
    assert_plain(problems["activity.1"])


def test_psfs_plan_duplicate_names_differing_in_case_are_rejected() -> None:
    problems = problems_of(e.check_psfs_plan, names=["Walking", "Sitting", " WALKING "])
    assert set(problems) == {"activity.2"}
    assert_plain(problems["activity.2"])


def test_psfs_plan_overlong_name_is_rejected() -> None:
    problems = problems_of(e.check_psfs_plan, names=["Walking", "Sitting", "x" * 81])
    assert set(problems) == {"activity.2"}


# -- milestone ------------------------------------------------------------------------


def milestone(**overrides: Any) -> e.Milestone:
    fields: dict[str, Any] = {
        "id": "m1", "patient_id": "p1", "achieved_on": TODAY, "today": TODAY,
        "text": "Got out of bed without the grab",
    }
    fields.update(overrides)
    return e.new_milestone(**fields)


def test_milestone_today_or_earlier_is_accepted() -> None:
    assert milestone().achieved_on == TODAY
    assert milestone(achieved_on=date(2024, 12, 1), text="  Walked   30 minutes ").text == (
        "Walked 30 minutes")


def test_milestone_in_the_future_is_rejected() -> None:
    problems = problems_of(milestone, achieved_on=TODAY + timedelta(days=1))
    assert set(problems) == {"achieved_on"}
    assert "future" in problems["achieved_on"]
    assert_plain(problems["achieved_on"])


@pytest.mark.parametrize("text", ["", "  \n ", None])
def test_milestone_without_text_is_rejected(text: str | None) -> None:
    problems = problems_of(milestone, text=text)
    assert set(problems) == {"text"}
    assert_plain(problems["text"])


def test_milestone_text_and_note_limits() -> None:
    problems = problems_of(milestone, text="t" * 201, note="n" * 2001)
    assert set(problems) == {"text", "note"}


# -- ODI ----------------------------------------------------------------------------


def odi(sections: list[object]) -> e.OdiAnswer:
    return e.new_odi_answer(id="o1", patient_id="p1", recorded_at=NOW, now=NOW,
                            sections=sections)


def test_odi_percent_is_the_share_of_the_maximum() -> None:
    assert odi([5] * 10).percent == 100.0
    assert odi([0] * 10).percent == 0.0
    assert odi([2] * 10).percent == pytest.approx(40.0)


def test_odi_percent_counts_only_answered_sections() -> None:
    answer = odi([3, 3, None, None, None, None, None, None, None, None])
    assert answer.sections[2] is None
    assert answer.percent == pytest.approx(60.0)


@pytest.mark.parametrize("sections", [[1] * 9, [1] * 11, []])
def test_odi_needs_ten_sections(sections: list[object]) -> None:
    assert "sections" in problems_of(odi, sections=sections)


def test_odi_section_out_of_range_is_rejected() -> None:
    problems = problems_of(odi, sections=[0, 1, 6, 2, -1, 1, 1, 1, 1, 2.5])
    assert set(problems) == {"sections.2", "sections.4", "sections.9"}


def test_odi_with_no_answers_is_rejected() -> None:
    problems = problems_of(odi, sections=[None] * 10)
    assert set(problems) == {"sections"}
    assert_plain(problems["sections"])


def test_odi_time_is_checked() -> None:
    with pytest.raises(InvalidInput) as caught:
        e.new_odi_answer(id="o1", patient_id="p1", recorded_at=NOW + timedelta(hours=1),
                         now=NOW, sections=[1] * 10)
    assert set(caught.value.problems) == {"recorded_at"}


# -- PGIC -----------------------------------------------------------------------------


def pgic(rating: object, recorded_at: datetime = NOW) -> e.PgicAnswer:
    return e.new_pgic_answer(id="g1", patient_id="p1", recorded_at=recorded_at, now=NOW,
                             rating=rating)


@pytest.mark.parametrize("rating", [1, 4, 7])
def test_pgic_one_to_seven_is_accepted(rating: int) -> None:
    assert pgic(rating).rating == rating


@pytest.mark.parametrize("rating", [0, 8, 3.5, True, "2"])
def test_pgic_outside_one_to_seven_is_rejected(rating: object) -> None:
    problems = problems_of(pgic, rating=rating)
    assert set(problems) == {"rating"}
    assert_plain(problems["rating"])


def test_pgic_time_is_checked() -> None:
    assert set(problems_of(pgic, rating=2, recorded_at=NOW + timedelta(days=1))) == {
        "recorded_at"}
