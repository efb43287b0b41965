"""The spreadsheet export: one CSV per kind of entry in a ZIP, latest versions in the
patient's time, text that cannot run as a formula, and the same access rules as reading."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed
from app.main import Services
from app.services.spreadsheet import export_csv_zip, safe
from tests.conftest import FakeClock

PASSWORD = "spreadsheet-test-pw"


def tables(blob: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: list(csv.reader(io.StringIO(
            archive.read(name).decode("utf-8").removeprefix("\ufeff"))))
            for name in archive.namelist()}


@pytest.fixture
def patient(services: Services, clock: FakeClock) -> Account:
    """Kim in Tokyo: two activities, a corrected check-in, a session, soreness, a
    milestone, and notes that look like formulas."""
    log = services.logbook
    kim = services.accounts.create("kim@example.com", "Kim", PASSWORD, Role.PATIENT,
                                   timezone="Asia/Tokyo")
    walk, sit, _ = log.set_activities(kim, kim.id, ["Walking", "=Sitting", "Bending"])
    session = log.log_session(kim, kim.id, regions=["lumbar", "gluteal"],
                              performed_at=clock.now - timedelta(hours=30),
                              note="+1 needle")
    log.log_soreness(kim, kim.id, session_id=session.value.id, soreness=3,
                     note="@home")
    first = log.check_in(kim, kim.id, pain_now=7, worst_24h=8, regions=["lower_back"],
                         psfs={walk.id: 4, sit.id: 5}, note="=HYPERLINK(\"x\")")
    log.correct_check_in(kim, first.value.id, expected_version=1, pain_now=6, worst_24h=8,
                         regions=["lower_back"], psfs={walk.id: 4, sit.id: 5},
                         note="-ish")
    log.add_milestone(kim, kim.id, text="Walked 30 min")
    return kim


def test_one_csv_per_kind_with_the_latest_versions_in_local_time(
        services: Services, patient: Account, clock: FakeClock) -> None:
    out = tables(export_csv_zip(services.logbook, patient, patient.id))
    assert sorted(out) == ["check-ins.csv", "milestones.csv", "needling-sessions.csv",
                           "soreness.csv"]
    header, *rows = out["check-ins.csv"]
    assert header == ["date", "time", "pain now (0-10)", "worst in 24 h (0-10)",
                      "where it hurts", "Walking (0-10)", "'=Sitting (0-10)",
                      "Bending (0-10)", "note"]
    tokyo = clock.now + timedelta(hours=9)  # the FakeClock is UTC
    assert rows == [[f"{tokyo:%Y-%m-%d}", f"{tokyo:%H:%M}", "6", "8", "Lower back", "4",
                     "5", "", "'-ish"]]  # the correction, not the original
    [session] = out["needling-sessions.csv"][1:]
    assert session[2] == "Lower back (lumbar); Buttock (gluteal)"
    assert session[3] == "'+1 needle"
    [soreness] = out["soreness.csv"][1:]
    assert soreness[2:] == ["3", "30", session[0], "'@home"]
    assert out["milestones.csv"][1][1] == "Walked 30 min"


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("fine = ok", "fine = ok"), ("", ""),
])
def test_text_never_runs_as_a_formula(text: str, cell: str) -> None:
    assert safe(text) == cell


def test_the_same_access_as_reading(services: Services, patient: Account) -> None:
    therapist = services.accounts.create("t@example.com", "T", PASSWORD, Role.THERAPIST)
    with pytest.raises(NotAllowed):
        export_csv_zip(services.logbook, therapist, patient.id)
    services.access.grant(patient, therapist)
    assert export_csv_zip(services.logbook, therapist, patient.id)
    [event] = services.access.audit_trail(patient, patient.id)
    assert (event.actor_id, event.action) == (therapist.id, "export:csv")
