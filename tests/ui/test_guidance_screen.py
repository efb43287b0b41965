"""The guidance screens built in-process against the real services: the checklist offers
every key in plain words, risk factors are remembered and pre-filled, no verdict before
the checklist, and an urgent answer prints the numbers to call and nothing reassuring."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.domain.guidance import SYMPTOM_KEYS, Assessment, Reason
from app.main import Services
from app.ui.screens import guidance
from tests.conftest import FakeClock
from tests.ui.test_patient_screens import StubShell as _StubShell
from tests.ui.test_patient_screens import walk


def StubShell(services: Services, account: Account) -> Any:
    """The patient screens' stand-in shell, typed loosely for the builders."""
    return _StubShell(services, account)


def texts(control: Any) -> list[str]:
    found: list[str] = []
    for c in walk(control):
        if isinstance(c, ft.Text) and c.value:
            found.append(str(c.value))
        elif isinstance(c, ft.FilledButton | ft.OutlinedButton | ft.TextButton) and isinstance(
                c.content, str):
            found.append(c.content)
    return found


def checkbox_labels(view: Any) -> list[str]:
    return [str(c.semantics_label) for c in walk(view) if isinstance(c, ft.Checkbox)]


@pytest.fixture
def patient(services: Services) -> Account:
    return services.accounts.create("pat@example.com", "Pat", "backtrack-test-pw",
                                    Role.PATIENT)


def test_the_checklist_offers_every_key_in_plain_words(services: Services,
                                                        patient: Account) -> None:
    view = guidance.build(StubShell(services, patient))
    labels = checkbox_labels(view)
    rulebook = services.rulebook
    for key in SYMPTOM_KEYS:
        assert rulebook.symptom_labels[key] in labels, key
    for key, text in rulebook.risk_factor_labels.items():
        assert text in labels, key
    assert sorted(guidance.checklist_keys()) == sorted(SYMPTOM_KEYS)
    assert any("temperature" in str(c.label) for c in walk(view)
               if isinstance(c, ft.TextField))
    assert guidance.NOT_A_DIAGNOSIS in texts(view)


def _submit(view: Any) -> None:
    button = next(c for c in walk(view) if isinstance(c, ft.FilledButton)
                  and c.content == "Check my symptoms")
    handler: Any = button.on_click
    # A thread of its own: a browser test earlier in the same run may leave an event loop
    # running in this one (Playwright's sync API), and asyncio.run() refuses to nest.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, handler(None)).result()


def _tick(view: Any, label: str) -> None:
    box = next(c for c in walk(view) if isinstance(c, ft.Checkbox) and c.semantics_label == label)
    box.value = True


def test_risk_factors_are_remembered_on_the_profile_and_prefilled(
    services: Services, patient: Account, clock: FakeClock
) -> None:
    shell = StubShell(services, patient)
    view = guidance.build(shell)
    _tick(view, services.rulebook.risk_factor_labels["blood_thinners"])
    _tick(view, services.rulebook.symptom_labels["large_bruise"])
    for picker in (c for c in walk(view) if isinstance(c, guidance.ScoreRow)):
        picker.value = 2
    _submit(view)
    assert shell.went and shell.went[-1].startswith("/guidance/result?id=")
    assert services.guidance.risk_factors(patient.id) == ("blood_thinners",)
    assert services.accounts.get(patient.id).risk_factors == ("blood_thinners",)
    answer = services.guidance.history(patient, patient.id)[0]
    assert answer.report.risk_factors == ("blood_thinners",)
    assert "blood_thinners_bleeding_or_bruise" in answer.assessment.rule_ids
    again = guidance.build(StubShell(services, patient))
    ticked = [str(c.semantics_label) for c in walk(again)
              if isinstance(c, ft.Checkbox) and c.value]
    assert ticked == [services.rulebook.risk_factor_labels["blood_thinners"]]


def test_a_typed_temperature_out_of_range_is_refused_on_the_field(
    services: Services, patient: Account
) -> None:
    shell = StubShell(services, patient)
    view = guidance.build(shell)
    field = next(c for c in walk(view) if isinstance(c, ft.TextField))
    field.value = "385"
    _submit(view)
    assert field.error and "34 to 43" in str(field.error)
    assert shell.went == []
    assert services.guidance.history(patient, patient.id) == []


def test_pain_on_breathing_in_after_an_upper_back_session_is_get_help_now(
    services: Services, patient: Account, clock: FakeClock
) -> None:
    services.logbook.log_session(patient, patient.id, performed_at=clock.now - timedelta(
        hours=5), regions=["thoracic"])
    shell = StubShell(services, patient)
    view = guidance.build(shell)
    _tick(view, services.rulebook.symptom_labels["pain_on_breathing_in"])
    _submit(view)
    answer = services.guidance.history(patient, patient.id)[0]
    assert answer.assessment.level == "emergency"
    assert answer.report.temperature_c is None


def _shown_for(services: Services, patient: Account, assessment: Assessment) -> list[str]:
    return texts(guidance.verdict_panel(StubShell(services, patient), assessment))


def test_an_urgent_answer_prints_the_numbers_and_nothing_reassuring(
    services: Services, patient: Account
) -> None:
    clinic = services.clinic.current()
    old_answer = Assessment(  # saved before the engine left reassuring reasons out
        level="emergency",
        reasons=(Reason("lung_signs_after_needling_near_chest", "Breathing trouble.", "X"),
                 Reason("tired_first_day", "Tiredness is common and passes.", "Y"),
                 Reason("answers_missing", "Please add your pain. Then check again.", "Z")),
        advice="Call now.", check_again_hours=0)
    shown = _shown_for(services, patient, old_answer)
    assert f"Emergency number: {clinic.emergency_number}" in shown
    if clinic.phone:
        assert f"{clinic.name}: {clinic.phone}" in shown
    assert "Check again later" not in shown
    assert "Tiredness is common and passes." not in shown
    assert "Please add your pain. Then check again." not in shown
    assert guidance.NOT_A_DIAGNOSIS in shown
    calm = Assessment(level="self_care", reasons=(Reason("soreness_easing", "Easing.", "Z"),),
                      advice="Keep moving.", check_again_hours=24)
    calm_shown = _shown_for(services, patient, calm)
    assert "Check again later" in calm_shown and guidance.NOT_A_DIAGNOSIS in calm_shown
    assert not any(text.startswith("Emergency number") for text in calm_shown)


def test_the_summary_after_logging_soreness_gives_no_verdict(
    services: Services, patient: Account, clock: FakeClock
) -> None:
    session = services.logbook.log_session(patient, patient.id, performed_at=clock.now
                                           - timedelta(hours=30), regions=["lumbar"])
    services.logbook.log_soreness(patient, patient.id, session_id=session.value.id, soreness=2)
    shown = texts(ft.Column(guidance.verdict_summary(StubShell(services, patient),
                                                     session.value.id)))
    labels = {tier.label for tier in services.rulebook.tiers.values()}
    assert not labels & set(shown), shown
    assert guidance.NOT_A_DIAGNOSIS in shown
