"""The logbook: saving, correcting (append-only versions) and reading back entries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.accounts import Account, Role
from app.domain.entries import hours_since
from app.domain.errors import InvalidInput, NotFound
from app.main import Services
from app.store.interfaces import VersionConflict
from tests.conftest import FakeClock

PASSWORD = "backtrack-test-pw"


@pytest.fixture
def patient(services: Services) -> Account:
    return services.accounts.create("alex@example.com", "Alex", PASSWORD, Role.PATIENT)


@pytest.fixture
def therapist(services: Services, patient: Account) -> Account:
    taylor = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                      Role.THERAPIST)
    services.access.grant(patient, taylor)
    return taylor


def record_count(services: Services, patient: Account) -> int:
    return len(services.store.owner_history(patient.id))


# -- check-ins ----------------------------------------------------------------------


def test_check_in_is_saved_and_loaded(services: Services, patient: Account,
                                      clock: FakeClock) -> None:
    saved = services.logbook.check_in(patient, patient.id, pain_now=5, worst_24h=7,
                                      regions=["lower_back"], note=" tight ")
    assert saved.version == 1 and not saved.corrected
    data = services.logbook.load(patient, patient.id)
    assert data.patient == patient
    assert len(data.check_ins) == 1
    loaded = data.check_ins[0].value
    assert loaded == saved.value
    assert (loaded.pain_now, loaded.worst_24h, loaded.regions, loaded.note) == (
        5, 7, ("lower_back",), "tight")
    assert loaded.recorded_at == clock.now
    assert loaded.patient_id == patient.id


def test_several_check_ins_a_day_are_kept_in_time_order(services: Services,
                                                        patient: Account,
                                                        clock: FakeClock) -> None:
    morning = clock.now - timedelta(hours=3)
    services.logbook.check_in(patient, patient.id, pain_now=3)
    services.logbook.check_in(patient, patient.id, pain_now=6, recorded_at=morning)
    clock.advance(hours=2)
    services.logbook.check_in(patient, patient.id, pain_now=2)
    data = services.logbook.load(patient, patient.id)
    assert [c.value.pain_now for c in data.check_ins] == [6, 3, 2]
    assert len({c.value.id for c in data.check_ins}) == 3


def test_invalid_check_in_saves_nothing(services: Services, patient: Account) -> None:
    before = record_count(services, patient)
    with pytest.raises(InvalidInput) as caught:
        services.logbook.check_in(patient, patient.id, pain_now=11, note="x" * 20_000)
    assert set(caught.value.problems) == {"pain_now", "note"}
    assert record_count(services, patient) == before
    assert services.logbook.load(patient, patient.id).check_ins == []


def test_future_check_in_is_refused(services: Services, patient: Account,
                                    clock: FakeClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.logbook.check_in(patient, patient.id, pain_now=3,
                                  recorded_at=clock.now + timedelta(hours=1))
    assert set(caught.value.problems) == {"recorded_at"}


def test_correction_is_a_new_version_and_history_keeps_the_original(
        services: Services, patient: Account, clock: FakeClock) -> None:
    first = services.logbook.check_in(patient, patient.id, pain_now=8, worst_24h=9,
                                      regions=["lower_back"], note="typo")
    clock.advance(minutes=10)
    second = services.logbook.correct_check_in(
        patient, first.value.id, expected_version=1, pain_now=3, worst_24h=4,
        regions=["leg_left"], note="meant 3")
    assert second.version == 2 and second.corrected
    assert second.value.id == first.value.id
    assert second.value.recorded_at == first.value.recorded_at
    loaded = services.logbook.load(patient, patient.id).check_ins
    assert [(c.version, c.value.pain_now) for c in loaded] == [(2, 3)]
    history = services.logbook.check_in_history(patient, first.value.id)
    assert [h.version for h in history] == [1, 2]
    assert history[0].value == first.value
    assert (history[0].value.pain_now, history[0].value.worst_24h, history[0].value.note,
            history[0].value.regions) == (8, 9, "typo", ("lower_back",))
    assert history[1].value.pain_now == 3


def test_stale_correction_raises_version_conflict(services: Services,
                                                  patient: Account,
                                                  therapist: Account) -> None:
    first = services.logbook.check_in(patient, patient.id, pain_now=8)
    services.logbook.correct_check_in(patient, first.value.id, expected_version=1,
                                      pain_now=7)
    with pytest.raises(VersionConflict):
        services.logbook.correct_check_in(therapist, first.value.id, expected_version=1,
                                          pain_now=2)
    history = services.logbook.check_in_history(patient, first.value.id)
    assert [h.value.pain_now for h in history] == [8, 7]


def test_invalid_correction_saves_nothing(services: Services, patient: Account) -> None:
    first = services.logbook.check_in(patient, patient.id, pain_now=8)
    before = record_count(services, patient)
    with pytest.raises(InvalidInput):
        services.logbook.correct_check_in(patient, first.value.id, expected_version=1,
                                          pain_now=-3)
    assert record_count(services, patient) == before
    assert len(services.logbook.check_in_history(patient, first.value.id)) == 1


def test_correcting_a_missing_check_in_is_not_found(services: Services,
                                                    patient: Account) -> None:
    with pytest.raises(NotFound):
        services.logbook.correct_check_in(patient, "nope", expected_version=1, pain_now=2)
    with pytest.raises(NotFound):
        services.logbook.check_in_history(patient, "nope")


# -- sessions and soreness -------------------------------------------------------------


def test_session_logged_by_the_therapist(services: Services, patient: Account,
                                         therapist: Account, clock: FakeClock) -> None:
    saved = services.logbook.log_session(therapist, patient.id, regions=["lumbar", "hip"])
    assert saved.value.recorded_by == therapist.id
    assert saved.value.performed_at == clock.now
    data = services.logbook.load(patient, patient.id)
    assert data.last_session == saved.value
    assert data.session(saved.value.id) == saved.value
    assert data.session("other") is None


def test_invalid_session_saves_nothing(services: Services, patient: Account) -> None:
    before = record_count(services, patient)
    with pytest.raises(InvalidInput):
        services.logbook.log_session(patient, patient.id, regions=[])
    assert record_count(services, patient) == before


def test_soreness_is_tied_to_its_session_with_hours_computed(
        services: Services, patient: Account, therapist: Account, clock: FakeClock) -> None:
    session = services.logbook.log_session(therapist, patient.id, regions=["lumbar"],
                                           performed_at=clock.now - timedelta(hours=1))
    clock.advance(hours=23)
    sore = services.logbook.log_soreness(patient, patient.id, session_id=session.value.id,
                                         soreness=4)
    assert sore.value.session_id == session.value.id
    assert sore.value.recorded_at == clock.now
    data = services.logbook.load(patient, patient.id)
    [loaded] = data.soreness
    linked = data.session(loaded.value.session_id)
    assert linked is not None
    assert hours_since(linked, loaded.value.recorded_at) == pytest.approx(24.0)


def test_soreness_needs_an_existing_session(services: Services, patient: Account) -> None:
    before = record_count(services, patient)
    with pytest.raises(InvalidInput) as caught:
        services.logbook.log_soreness(patient, patient.id, session_id="missing", soreness=3)
    assert set(caught.value.problems) == {"session_id"}
    assert record_count(services, patient) == before


def test_soreness_for_another_patients_session_is_refused(services: Services,
                                                          patient: Account) -> None:
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    theirs = services.logbook.log_session(blair, blair.id, regions=["neck"])
    with pytest.raises(InvalidInput) as caught:
        services.logbook.log_soreness(patient, patient.id, session_id=theirs.value.id,
                                      soreness=3)
    assert set(caught.value.problems) == {"session_id"}
    assert services.logbook.load(patient, patient.id).soreness == []


def test_soreness_out_of_range_saves_nothing(services: Services, patient: Account) -> None:
    session = services.logbook.log_session(patient, patient.id, regions=["lumbar"])
    before = record_count(services, patient)
    with pytest.raises(InvalidInput):
        services.logbook.log_soreness(patient, patient.id, session_id=session.value.id,
                                      soreness=11)
    assert record_count(services, patient) == before


# -- PSFS activities -----------------------------------------------------------------


def test_set_activities_keeps_ids_for_kept_names_and_retires_removed_ones(
        services: Services, patient: Account, clock: FakeClock) -> None:
    first = services.logbook.set_activities(patient, patient.id,
                                            ["Walking", "Sitting", "Bending forward"])
    assert [a.name for a in first] == ["Walking", "Sitting", "Bending forward"]
    ids = {a.name: a.id for a in first}
    clock.advance(days=1)
    second = services.logbook.set_activities(patient, patient.id,
                                             ["walking", "Bending forward", "Running",
                                              "Lifting"])
    names = [a.name for a in second]
    assert names == ["Walking", "Bending forward", "Running", "Lifting"]
    assert second[0].id == ids["Walking"]
    assert second[1].id == ids["Bending forward"]
    assert ids["Sitting"] not in {a.id for a in second}
    retired = services.store.history("psfs_activity", ids["Sitting"])
    assert [(r.version, r.data["retired"]) for r in retired] == [(1, False), (2, True)]
    assert services.logbook.activities_of(patient, patient.id) == second


def test_ratings_only_for_active_activities(services: Services, patient: Account) -> None:
    acts = services.logbook.set_activities(patient, patient.id, ["Walking", "Sitting",
                                                                 "Bending"])
    saved = services.logbook.check_in(patient, patient.id, pain_now=3,
                                      psfs={acts[0].id: 6, acts[1].id: 2})
    assert saved.value.psfs == {acts[0].id: 6, acts[1].id: 2}
    services.logbook.set_activities(patient, patient.id, ["Walking", "Bending", "Running"])
    with pytest.raises(InvalidInput) as caught:
        services.logbook.check_in(patient, patient.id, pain_now=3, psfs={acts[1].id: 4})
    assert set(caught.value.problems) == {f"psfs.{acts[1].id}"}


def test_invalid_activity_plan_changes_nothing(services: Services, patient: Account) -> None:
    services.logbook.set_activities(patient, patient.id, ["Walking", "Sitting", "Bending"])
    before = record_count(services, patient)
    with pytest.raises(InvalidInput):
        services.logbook.set_activities(patient, patient.id, ["Walking", "walking", "Sitting"])
    with pytest.raises(InvalidInput):
        services.logbook.set_activities(patient, patient.id, ["Walking"])
    assert record_count(services, patient) == before


# -- milestones, ODI, PGIC ------------------------------------------------------------


def test_milestone_is_saved(services: Services, patient: Account, clock: FakeClock) -> None:
    saved = services.logbook.add_milestone(patient, patient.id, text="Walked 30 minutes")
    assert saved.achieved_on == clock.now.date()
    earlier = services.logbook.add_milestone(patient, patient.id, text="Sat through dinner",
                                             achieved_on=date(2025, 1, 5))
    loaded = services.logbook.load(patient, patient.id).milestones
    assert [m.value for m in loaded] == [earlier, saved]


def test_future_milestone_saves_nothing(services: Services, patient: Account,
                                        clock: FakeClock) -> None:
    before = record_count(services, patient)
    with pytest.raises(InvalidInput):
        services.logbook.add_milestone(patient, patient.id, text="Ran a marathon",
                                       achieved_on=clock.now.date() + timedelta(days=1))
    assert record_count(services, patient) == before


def test_milestone_today_in_the_patients_time_zone(services: Services,
                                                   clock: FakeClock) -> None:
    kiwi = services.accounts.create("kiwi@example.com", "Kiwi", PASSWORD, Role.PATIENT,
                                    timezone="Pacific/Auckland")
    clock.now = clock.now.replace(hour=20)  # 08:00 the next day in Auckland
    local_today = clock.now.date() + timedelta(days=1)
    saved = services.logbook.add_milestone(kiwi, kiwi.id, text="Tied my shoes",
                                           achieved_on=local_today)
    assert saved.achieved_on == local_today


def test_pgic_and_odi_are_saved(services: Services, patient: Account) -> None:
    services.logbook.answer_pgic(patient, patient.id, 2)
    services.logbook.answer_odi(patient, patient.id, [1, 2, 3, None, 0, 1, 2, 3, 4, 5])
    data = services.logbook.load(patient, patient.id)
    assert [p.rating for p in data.pgic] == [2]
    assert data.odi[0].percent == pytest.approx(100 * 21 / 45)


def test_invalid_pgic_and_odi_save_nothing(services: Services, patient: Account) -> None:
    before = record_count(services, patient)
    for rating in (0, 8):
        with pytest.raises(InvalidInput):
            services.logbook.answer_pgic(patient, patient.id, rating)
    with pytest.raises(InvalidInput):
        services.logbook.answer_odi(patient, patient.id, [6] * 10)
    assert record_count(services, patient) == before


def test_reminder_preferences_default_then_saved_as_versions(services: Services) -> None:
    from app.domain.reminders import ReminderPrefs

    patient = services.accounts.create("rem@example.com", "Rem", "backtrack-test-pw",
                                       Role.PATIENT)
    assert services.logbook.reminders(patient, patient.id) == ReminderPrefs(patient.id)
    changed = ReminderPrefs(patient.id, check_in_time="08:30", session_follow_ups=False)
    services.logbook.set_reminders(patient, changed)
    services.logbook.set_reminders(patient, changed)
    assert services.logbook.reminders(patient, patient.id) == changed
    assert len(services.logbook.reminder_prefs.history(patient.id)) == 2
    with pytest.raises(InvalidInput):
        services.logbook.set_reminders(patient, ReminderPrefs(patient.id, quiet_from="late"))


# -- correcting and withdrawing sessions, soreness, milestones ----------------------------


def test_a_session_logged_with_the_wrong_region_is_corrected_and_the_original_kept(
        services: Services, patient: Account, clock: FakeClock) -> None:
    first = services.logbook.log_session(patient, patient.id, regions=["thoracic"])
    fixed = services.logbook.correct_session(
        patient, first.value.id, expected_version=1, regions=["lumbar"],
        performed_at=first.value.performed_at)
    assert fixed.version == 2
    data = services.logbook.load(patient, patient.id)
    assert [s.value.regions for s in data.sessions] == [("lumbar",)]
    history = services.logbook.entry_history(patient, "needling_session", first.value.id)
    assert [v.value.regions for v in history] == [("thoracic",), ("lumbar",)]  # type: ignore[attr-defined]
    with pytest.raises(VersionConflict):
        services.logbook.correct_session(patient, first.value.id, expected_version=1,
                                         regions=["neck"],
                                         performed_at=first.value.performed_at)


def test_a_withdrawn_session_drops_out_with_its_soreness_but_stays_in_history(
        services: Services, patient: Account, clock: FakeClock) -> None:
    session = services.logbook.log_session(patient, patient.id, regions=["thoracic"])
    clock.advance(hours=4)
    services.logbook.log_soreness(patient, patient.id, session_id=session.value.id,
                                  soreness=5)
    services.logbook.withdraw(patient, "needling_session", session.value.id,
                              expected_version=1)
    data = services.logbook.load(patient, patient.id)
    assert data.sessions == [] and data.soreness == [] and data.last_session is None
    history = services.logbook.entry_history(patient, "needling_session", session.value.id)
    assert len(history) == 2
    ((kind, withdrawn),) = services.logbook.withdrawn(patient, patient.id)
    assert kind == "needling_session" and withdrawn.value.regions == ("thoracic",)
    with pytest.raises(NotFound):
        services.logbook.withdraw(patient, "needling_session", session.value.id,
                                  expected_version=2)


def test_soreness_and_milestones_are_corrected_or_withdrawn(
        services: Services, patient: Account, clock: FakeClock) -> None:
    session = services.logbook.log_session(patient, patient.id, regions=["lumbar"])
    clock.advance(hours=20)
    sore = services.logbook.log_soreness(patient, patient.id, session_id=session.value.id,
                                         soreness=8)
    services.logbook.correct_soreness(patient, sore.value.id, expected_version=1, soreness=3)
    milestone = services.logbook.add_milestone(patient, patient.id, text="Walked 30 mins")
    services.logbook.correct_milestone(patient, milestone.id, expected_version=1,
                                       text="Walked 45 minutes",
                                       achieved_on=milestone.achieved_on)
    data = services.logbook.load(patient, patient.id)
    assert [s.value.soreness for s in data.soreness] == [3]
    assert [(m.value.text, m.version) for m in data.milestones] == [("Walked 45 minutes", 2)]
    services.logbook.withdraw(patient, "milestone", milestone.id, expected_version=2)
    assert services.logbook.load(patient, patient.id).milestones == []
    with pytest.raises(InvalidInput):
        services.logbook.correct_soreness(patient, sore.value.id, expected_version=2,
                                          soreness=11)


def test_someone_without_access_cannot_correct_or_withdraw(
        services: Services, patient: Account) -> None:
    from app.domain.errors import NotAllowed

    stranger = services.accounts.create("sam@example.com", "Sam", PASSWORD, Role.PATIENT)
    session = services.logbook.log_session(patient, patient.id, regions=["lumbar"])
    with pytest.raises(NotAllowed):
        services.logbook.withdraw(stranger, "needling_session", session.value.id,
                                  expected_version=1)
    with pytest.raises(NotAllowed):
        services.logbook.correct_session(stranger, session.value.id, expected_version=1,
                                         regions=["neck"],
                                         performed_at=session.value.performed_at)
