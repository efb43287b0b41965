"""The progress report: one self-contained HTML file with the summary, charts, sessions,
PSFS scores and guidance history, readable only by the patient and granted clinicians."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed, NotFound
from app.main import Services, seed_demo_if_empty
from app.services.report import progress_report_html, report_file_name
from tests.conftest import FakeClock

PASSWORD = "backtrack-test-pw"


@pytest.fixture
def seeded(services: Services) -> Services:
    assert seed_demo_if_empty(services, lambda _: None) is True
    return services


def account(services: Services, email: str) -> Account:
    found = services.accounts.by_email(email)
    assert found is not None, email
    return found


def test_responder_report_is_one_self_contained_file(seeded: Services) -> None:
    alex = account(seeded, "alex@example.com")
    text = progress_report_html(seeded.exports, alex.email, alex)
    assert text.startswith("<!doctype html>")
    assert "Meaningful improvement" in text
    assert re.search(r"points lower than when you started .* a meaningful change", text)
    # plotly.js is inline exactly once; nothing is fetched from anywhere.
    assert text.count("Plotly.newPlot(") == 4
    assert len(re.findall(r"\* plotly\.js[^\n]* v\d", text)) == 1
    assert len(re.findall(r"<script[^>]*>", text)) == 1 + 4  # the library + one per chart
    assert "<script src" not in text and "<link" not in text
    for section in ("summary", "charts", "sessions", "psfs", "milestones", "guidance"):
        assert f'<section id="{section}">' in text
    assert text.count("Lower back (lumbar)") >= 8  # one row per needling session
    assert "Getting out of bed" in text and "Deadlift 60 kg" in text
    assert "Reassess:" not in text


def test_non_responder_report_flags_reassessment(seeded: Services) -> None:
    blair = account(seeded, "blair@example.com")
    text = progress_report_html(seeded.exports, blair.email)  # the operator's command line
    assert "No meaningful change" in text
    assert "Reassess:" in text
    assert "talk with your therapist about your plan" in text


def test_guidance_assessments_are_in_the_report(seeded: Services) -> None:
    casey = account(seeded, "casey@example.com")
    text = progress_report_html(seeded.exports, casey.email, casey)
    guidance = text.split('<section id="guidance">', 1)[1].split("</section>", 1)[0]
    assert "tier-emergency" in guidance
    # The checklist's plain words, not the raw key (issue 12)
    assert "Short of breath or hard to breathe" in guidance
    assert "shortness_of_breath" not in guidance
    assert seeded.guidance.history(casey, casey.id)[0].assessment.advice[:40] in guidance
    book = seeded.rulebook
    assert f"Rulebook {book.reviewed_on.isoformat()} {book.fingerprint}" in guidance


def test_what_the_patient_typed_is_escaped(seeded: Services) -> None:
    alex = account(seeded, "alex@example.com")
    seeded.logbook.add_milestone(alex, alex.id, text="<img src=x onerror=alert(1)> & more")
    text = progress_report_html(seeded.exports, alex.email, alex)
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in text


def test_a_granted_clinician_may_read_it_and_is_audited(seeded: Services) -> None:
    alex = account(seeded, "alex@example.com")
    taylor = account(seeded, "taylor@example.com")
    before = len(seeded.access.audit_trail(alex, alex.id))
    assert "Meaningful improvement" in progress_report_html(seeded.exports, alex.email, taylor)
    trail = seeded.access.audit_trail(alex, alex.id)
    # One look, one event: the "Is this normal?" answers in the report are part of the
    # same export (two events before ExportService: "export:report" and "read:guidance").
    assert len(trail) == before + 1
    assert (trail[0].actor_id, trail[0].action) == (taylor.id, "export:report")


def test_others_may_not_read_it(seeded: Services) -> None:
    alex = account(seeded, "alex@example.com")
    blair = account(seeded, "blair@example.com")
    stranger = seeded.accounts.create("other@example.com", "Other Clinic", PASSWORD,
                                      Role.THERAPIST)
    for actor in (blair, stranger):
        with pytest.raises(NotAllowed):
            progress_report_html(seeded.exports, alex.email, actor)
    with pytest.raises(NotFound, match="No such patient, or no access"):
        progress_report_html(seeded.exports, "nobody@example.com", stranger)


def test_a_patient_without_entries_gets_a_report_too(services: Services) -> None:
    new = services.accounts.create("new@example.com", "New Patient", PASSWORD, Role.PATIENT)
    text = progress_report_html(services.exports, new.email, new)
    assert "Too early to tell" in text
    assert "None logged." in text


def test_report_file_name_has_no_email_or_surname(seeded: Services) -> None:
    alex = account(seeded, "alex@example.com")
    name = report_file_name(alex, datetime(2025, 3, 10, 12, 0))
    assert name == "backtrack-progress-alex-2025-03-10.html"


def test_an_activity_change_is_the_domains_number_with_its_mark(
    services: Services, clock: FakeClock
) -> None:
    """Start 17/3 and now 26/3 is +3.0, meaningful for one activity: the report printed
    "+3.0" without the ✓ when it worked the change out again with round()."""
    pat = services.accounts.create("pat@example.com", "Pat", PASSWORD, Role.PATIENT)
    names = ["Bending", "Walking", "Sitting"]
    activities = services.logbook.set_activities(pat, pat.id, names)
    bending = next(a for a in activities if a.name == "Bending").id
    start = clock.now - timedelta(days=22)
    days_and_ratings = [(0, 5), (1, 6), (2, 6), (20, 8), (21, 9), (22, 9)]
    for day, rating in days_and_ratings:
        services.logbook.check_in(
            pat, pat.id, pain_now=5, recorded_at=start + timedelta(days=day, minutes=1),
            psfs={a.id: (rating if a.id == bending else 5) for a in activities})
    summary = services.progress.summary(pat, pat.id)
    assert summary.psfs_activity_changes[bending] == 3.0
    assert summary.activities_meaningfully_better == (bending,)
    text = progress_report_html(services.exports, pat.email, pat)
    row = re.search(r"<th scope=\"row\">Bending</th>(.*?)</tr>", text)
    assert row is not None
    assert "<td>5.7</td><td>8.7</td><td>+3.0 ✓</td>" in row.group(1)


def test_a_sustained_rise_is_flagged_as_getting_worse(
    services: Services, clock: FakeClock
) -> None:
    pat = services.accounts.create("pat@example.com", "Pat", PASSWORD, Role.PATIENT)
    start = clock.now - timedelta(days=9)
    for day, pain in [(0, 3), (1, 3), (2, 3), (7, 9), (8, 9), (9, 9)]:
        services.logbook.check_in(pat, pat.id, pain_now=pain,
                                  recorded_at=start + timedelta(days=day, minutes=1))
    text = progress_report_html(services.exports, pat.email, pat)
    assert "Getting worse:" in text
