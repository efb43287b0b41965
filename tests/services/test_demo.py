"""The demo clinic: six accounts and three patients whose stories the data must tell."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import mean

import pytest

from app.domain.accounts import Account, Role
from app.domain.zones import to_local
from app.main import Services, seed_demo_if_empty
from app.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.services.logbook import PatientData
from app.store.interfaces import Query
from tests.conftest import FakeClock


def quiet(_: str) -> None:
    pass


@pytest.fixture
def seeded(services: Services) -> Services:
    assert seed_demo_if_empty(services, quiet) is True
    return services


def account(services: Services, email: str) -> Account:
    found = services.accounts.by_email(email)
    assert found is not None, email
    return found


def record(services: Services, email: str) -> PatientData:
    patient = account(services, email)
    return services.logbook.load(patient, patient.id)


def weekly_means(data: PatientData, now: datetime) -> tuple[float, float]:
    pains = [(c.value.recorded_at, c.value.pain_now) for c in data.check_ins]
    start = pains[0][0]
    first = [p for at, p in pains if at < start + timedelta(days=7)]
    last = [p for at, p in pains if at >= now - timedelta(days=7)]
    assert len(first) >= 3 and len(last) >= 3
    return mean(first), mean(last)


def test_the_six_demo_accounts_exist_with_their_roles(seeded: Services) -> None:
    for email, name, role in DEMO_ACCOUNTS:
        found = account(seeded, email)
        assert (found.name, found.role) == (name, role)
    assert len(seeded.store.find(Query("account"))) == 6


@pytest.mark.parametrize("email", [email for email, _, _ in DEMO_ACCOUNTS])
def test_every_demo_account_signs_in_with_the_demo_password(seeded: Services,
                                                            email: str) -> None:
    assert seeded.auth.sign_in(email, DEMO_PASSWORD).account.email == email


def test_demo_patients_are_shared_with_the_therapist_and_care_team(seeded: Services) -> None:
    therapist = account(seeded, "taylor@example.com")
    care_team = account(seeded, "jordan@example.com")
    patients = {a.email for a in seeded.access.shared_patients(therapist)}
    assert patients == {"alex@example.com", "blair@example.com", "casey@example.com"}
    assert {a.email for a in seeded.access.shared_patients(care_team)} == patients
    admin = account(seeded, "admin@example.com")
    assert admin.role is Role.ADMIN
    assert seeded.clinic.current().name == "Riverside Physio (demo)"


def test_demo_data_is_in_the_past_and_fully_logged(seeded: Services, clock: FakeClock) -> None:
    for email in ("alex@example.com", "blair@example.com", "casey@example.com"):
        data = record(seeded, email)
        assert data.check_ins and data.sessions and data.soreness
        assert len(data.activities) >= 3
        assert all(c.value.recorded_at < clock.now for c in data.check_ins)
        assert all(s.value.performed_at < clock.now for s in data.sessions)
        for sore in data.soreness:
            session = data.session(sore.value.session_id)
            assert session is not None
            assert session.performed_at <= sore.value.recorded_at < clock.now


# The demo is seeded whenever the app first starts, so its stories must hold at any hour.
HOURS = [0, 7, 12, 23]


@pytest.mark.parametrize("hour", HOURS)
def test_alex_improves_meaningfully(services: Services, clock: FakeClock, hour: int) -> None:
    clock.now = clock.now.replace(hour=hour, minute=30)
    seed_demo_if_empty(services, quiet)
    data = record(services, "alex@example.com")
    first, last = weekly_means(data, clock.now)
    assert first - last >= 2
    assert len(data.milestones) == 3


@pytest.mark.parametrize("hour", HOURS)
def test_blair_shows_no_meaningful_change(services: Services, clock: FakeClock,
                                          hour: int) -> None:
    clock.now = clock.now.replace(hour=hour, minute=30)
    seed_demo_if_empty(services, quiet)
    data = record(services, "blair@example.com")
    first, last = weekly_means(data, clock.now)
    assert abs(first - last) < 2
    assert len(data.sessions) >= 3  # a reasonable trial happened


@pytest.mark.parametrize("hour", HOURS)
def test_casey_asked_yesterday_the_day_after_an_upper_back_session(
        services: Services, clock: FakeClock, hour: int) -> None:
    """Issue 12: Today follows up her emergency answer "from the day before", so the
    answer is dated yesterday in her zone, ~20 h after her upper-back session (the day
    before that), and no session comes after it."""
    clock.now = clock.now.replace(hour=hour, minute=30)
    seed_demo_if_empty(services, quiet)
    casey = account(services, "casey@example.com")
    data = record(services, "casey@example.com")
    session = data.last_session
    assert session is not None
    assert set(session.regions) == {"thoracic", "shoulder"}
    (answer,) = services.guidance.history(casey, casey.id)
    today = to_local(clock.now, casey.timezone).date()
    assert to_local(answer.assessed_at, casey.timezone).date() == today - timedelta(days=1)
    assert to_local(session.performed_at, casey.timezone).date() == today - timedelta(days=2)
    assert answer.assessed_at - session.performed_at == timedelta(hours=20)
    assert answer.report.hours_since_needling == 20
    assert set(answer.report.needled_regions or ()) == {"thoracic", "shoulder"}
    # Still followed up on Today (72 h) and still flagged on the caseload.
    assert [d.record_id for d in services.followups.due(casey, casey.id)] == [answer.record_id]


def test_seeding_twice_does_not_duplicate(seeded: Services) -> None:
    def counts() -> list[int]:
        accounts = seeded.store.find(Query("account"))
        return [len(accounts)] + [len(seeded.store.owner_history(a.id)) for a in accounts]

    before = counts()
    assert seed_demo_if_empty(seeded, quiet) is False
    assert counts() == before


def test_a_store_with_any_account_is_left_alone(services: Services) -> None:
    services.accounts.create("someone@example.com", "Someone", "long enough pw", Role.ADMIN)
    assert seed_demo_if_empty(services, quiet) is False
    assert services.accounts.by_email("alex@example.com") is None


def test_casey_reported_a_warning_sign_that_came_out_as_emergency(seeded: Services) -> None:
    casey = account(seeded, "casey@example.com")
    past = seeded.guidance.history(casey, casey.id)
    assert len(past) == 1
    assert past[0].assessment.level == "emergency"
    assert "shortness_of_breath" in past[0].report.symptoms
    assert set(past[0].report.needled_regions or ()) & {"thoracic", "shoulder"}
