"""A care-team member the patient shares "reminders and logging only" with cannot reach a
pain score through any service call the screens can make (issue 13's bar).

Every public method of every service in app.services.facade.ScreenServices that takes
(actor, patient …) is called as that care-team member on a patient with a full record
(check-ins with pain scores and notes, a session, soreness, questionnaires, an "Is this
normal?" answer); so are the methods that reach an entry by its id and the actor-wide
lists (caseload, adherence, plans). Each either raises NotAllowed or returns nothing
that holds a score: no check-in, soreness entry, questionnaire answer, progress record or
summary, "Is this normal?" answer, and none of the patient's notes, in objects, text or
files. A method added later with arguments this test does not know fails it until it is
listed here. The same walk with an "Everything" grant must find scores (so the probe
sees them when they are there).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from typing import Any

import pytest

from app.domain import entries as e
from app.domain import kinds
from app.domain.accounts import Account, Role, Scope
from app.domain.errors import NotAllowed
from app.domain.guidance import Assessment, SymptomReport, parse_report
from app.domain.policy import Operation
from app.domain.progress import ProgressRecord, ResponseSummary
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.facade import ScreenServices
from app.services.followup import AnswerRecord
from app.services.guidance import PastAssessment
from app.services.logbook import PatientData
from app.services.reminder_overview import Group
from tests.conftest import FakeClock

PASSWORD = "backtrack-test-pw"
NOTE = "NOTE-ONLY-THE-PATIENT-AND-FULL-GRANTS-SEE"
REPORT = parse_report({"hours_since_needling": 30, "needled_regions": ["lumbar"],
                       "soreness_now": 3, "soreness_trend": "better", "pain_now": 7,
                       "pain_usual": 4, "symptoms": []})
# What holds a pain score (or a score from which it is worked out), or the patient's words.
SCORED = (e.CheckIn, e.SorenessEntry, e.OdiAnswer, e.PgicAnswer, ProgressRecord,
          ResponseSummary, PatientData, PastAssessment, AnswerRecord, Assessment,
          SymptomReport)
SCORE_WORDS = (NOTE, "pain_now", "worst_24h", "soreness_now", "pain_usual")
ACTOR_NAMES = {"actor", "clinician", "viewer", "account"}
PATIENT_NAMES = {"patient_id", "patient", "patient_email", "patient_email_or_id"}


@dataclasses.dataclass
class Chart:
    """The patient's record the walk tries to reach, and who tries."""

    services: Services
    patient: Account
    care_team: Account
    check_in_id: str
    session_id: str
    soreness_id: str
    milestone_id: str
    assessment_id: str


def build_chart(services: Services, scope: Scope) -> Chart:
    make = services.accounts.create
    patient = make("alex@example.com", "Alex", PASSWORD, Role.PATIENT)
    care_team = make("jordan@example.com", "Jordan", PASSWORD, Role.CARE_TEAM)
    services.access.grant(patient, care_team, scope)
    log = services.logbook
    log.set_activities(patient, patient.id, ["Walking", "Sitting", "Lifting"])
    check_in = log.check_in(patient, patient.id, pain_now=7, worst_24h=9, note=NOTE)
    session = log.log_session(patient, patient.id, regions=["lumbar"], note=NOTE)
    soreness = log.log_soreness(patient, patient.id, session_id=session.value.id,
                                soreness=5, note=NOTE)
    log.answer_odi(patient, patient.id, [2] * 10)
    log.answer_pgic(patient, patient.id, 5)
    milestone = log.add_milestone(patient, patient.id, text="Walked to the shop", note=NOTE)
    _, assessment = services.guidance.assess(patient, patient.id, REPORT)
    services.screens.reminders.schedule(
        care_team, patient.id, template=Template.DAILY_CHECK_IN,
        schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00"))
    return Chart(services, patient, care_team, check_in.value.id, session.value.id,
                 soreness.value.id, milestone.id, assessment.id)


# The arguments beyond (actor, patient) of the methods that need some: service → method →
# a function of the chart giving them.
Extra = Callable[[Chart], dict[str, Any]]
EXTRA: dict[str, dict[str, Extra]] = {
    "access": {"authorize": lambda c: {"operation": Operation.READ_LOGGING},
               "check_read": lambda c: {"action": "read:record"},
               "may": lambda c: {"operation": Operation.READ_LOGGING}},
    "logbook": {"add_milestone": lambda c: {"text": "Ran"},
                "answer_odi": lambda c: {"sections": [1] * 10},
                "answer_pgic": lambda c: {"rating": 3},
                "check_in": lambda c: {"pain_now": 2},
                "log_session": lambda c: {"regions": ["lumbar"]},
                "log_soreness": lambda c: {"session_id": c.session_id, "soreness": 2},
                "set_activities": lambda c: {"names": ["Running", "Cycling", "Sitting"]}},
    "guidance": {"assess": lambda c: {"report": REPORT}},
    "followups": {"acknowledge": lambda c: {"assessment_id": c.assessment_id},
                  "record": lambda c: {"assessment_id": c.assessment_id,
                                       "got_help": "clinic", "feeling": "better"}},
    "reminders": {"authorize": lambda c: {"operation": "read_plans"},
                  "schedule": lambda c: {
                      "template": Template.HOME_EXERCISE,
                      "schedule": Schedule(Repeat.DAILY, date(2025, 3, 11), "18:00")},
                  "set_email": lambda c: {"on": False}},
    "exports": {"export": lambda c: {"fmt": "json"}},
}
# Methods taking (actor, patient …) that are not calls on a record: why.
NOT_A_READ = {
    # Works out flags from a progress record the caller already read (through
    # progress.record, which the narrow grant refuses); it has nothing to read with.
    ("caseload", "status_of"),
}


def patient_methods() -> Iterator[tuple[str, str, inspect.Signature]]:
    """Every public (actor, patient …) method of every screen service."""
    for spec in dataclasses.fields(ScreenServices):
        cls = typing.get_type_hints(ScreenServices)[spec.name]
        for name, function in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            signature = inspect.signature(function)
            params = list(signature.parameters)[1:3]
            if len(params) == 2 and params[0] in ACTOR_NAMES and params[1] in PATIENT_NAMES:
                yield spec.name, name, signature


def call_with_patient(chart: Chart, service: str, method: str,
                      signature: inspect.Signature, patient_by: str) -> Any:
    bound = getattr(getattr(chart.services.screens, service), method)
    extra = EXTRA.get(service, {}).get(method, lambda c: {})(chart)
    needed = [p.name for p in list(signature.parameters.values())[3:]
              if p.default is inspect.Parameter.empty
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    missing = set(needed) - set(extra)
    assert not missing, f"{service}.{method} needs {missing}: add them to EXTRA"
    patient = chart.patient.email if patient_by == "email" else chart.patient.id
    return bound(chart.care_team, patient, **extra)


def by_entry_id(chart: Chart) -> dict[str, Callable[[], Any]]:
    """The calls that reach one of the patient's entries by its id."""
    log, actor = chart.services.screens.logbook, chart.care_team
    calls: dict[str, Callable[[], Any]] = {
        "logbook.get_check_in": lambda: log.get_check_in(actor, chart.check_in_id),
        "logbook.check_in_history": lambda: log.check_in_history(actor, chart.check_in_id),
    }
    for kind, entry_id in ((kinds.SESSION, chart.session_id),
                           (kinds.SORENESS, chart.soreness_id),
                           (kinds.MILESTONE, chart.milestone_id)):
        calls[f"logbook.get_entry({kind})"] = partial(log.get_entry, actor, kind, entry_id)
        calls[f"logbook.entry_history({kind})"] = partial(log.entry_history, actor, kind,
                                                          entry_id)
    for fmt in ("json", "csv", "report"):
        calls[f"exports.export({fmt})"] = partial(chart.services.screens.exports.export,
                                                  actor, chart.patient.id, fmt)
    return calls


def actor_wide(chart: Chart) -> dict[str, Callable[[], Any]]:
    """The lists across every patient who shared with the actor."""
    screens, actor = chart.services.screens, chart.care_team
    calls: dict[str, Callable[[], Any]] = {
        "caseload.for_clinician": lambda: screens.caseload.for_clinician(actor),
        "reminders.preview": lambda: screens.reminders.preview(
            actor, [chart.patient.id], template=Template.DAILY_CHECK_IN,
            schedule=Schedule(Repeat.DAILY, date(2025, 3, 12), "19:00")),
    }
    overview = screens.reminder_overview
    for group in Group:
        calls[f"reminder_overview.group({group.value})"] = partial(overview.group, actor,
                                                                   group)
    for name, function in inspect.getmembers(type(overview), inspect.isfunction):
        params = list(inspect.signature(function).parameters.values())[1:]
        if not name.startswith("_") and params and params[0].name == "actor" and all(
                p.default is not inspect.Parameter.empty for p in params[1:]):
            calls[f"reminder_overview.{name}"] = partial(getattr(overview, name), actor)
    return calls


def scores_in(value: Any, seen: set[int] | None = None, depth: int = 0) -> list[str]:
    """What in `value` holds a score or the patient's words (empty: nothing)."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 12:
        return []
    seen.add(id(value))
    if isinstance(value, SCORED):
        return [type(value).__name__]
    if isinstance(value, bytes | str):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        return [word for word in SCORE_WORDS if word in text]
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif hasattr(value, "__dict__") and not isinstance(value, type) \
            and type(value).__module__.startswith("app."):
        items = list(vars(value).values())
    else:
        return []
    return [found for item in items for found in scores_in(item, seen, depth + 1)]


def walk(chart: Chart) -> dict[str, list[str]]:
    """Every call, and what each returned that holds a score ("refused": NotAllowed)."""
    results: dict[str, list[str]] = {}

    def attempt(name: str, call: Callable[[], Any]) -> None:
        try:
            results[name] = scores_in(call())
        except NotAllowed:
            results[name] = ["refused"]

    for service, method, signature in patient_methods():
        if (service, method) in NOT_A_READ:
            continue
        patient_by = "email" if "email" in list(signature.parameters)[2] and \
            "or_id" not in list(signature.parameters)[2] else "id"
        attempt(f"{service}.{method}",
                partial(call_with_patient, chart, service, method, signature, patient_by))
    for name, call in {**by_entry_id(chart), **actor_wide(chart)}.items():
        attempt(name, call)
    return results


def test_the_walk_covers_every_patient_method_of_every_screen_service(
        services: Services) -> None:
    found = {(s, m) for s, m, _ in patient_methods()}
    assert ("logbook", "load") in found and ("progress", "summary") in found
    assert ("reminders", "planned") in found and ("guidance", "history") in found
    assert found >= NOT_A_READ
    results = walk(build_chart(services, Scope.REMINDERS_AND_LOGGING))
    assert {f"{s}.{m}" for s, m in found - NOT_A_READ} <= set(results)


def test_no_call_reaches_a_pain_score_under_reminders_and_logging_only(
        services: Services) -> None:
    results = walk(build_chart(services, Scope.REMINDERS_AND_LOGGING))
    leaks = {name: found for name, found in results.items()
             if found and found != ["refused"]}
    assert leaks == {}
    # What the care team may still do: the reminders side, nothing of the record.
    allowed = {name for name, found in results.items() if found != ["refused"]}
    assert {"reminders.planned", "reminders.schedule", "caseload.for_clinician",
            "reminder_overview.activity"} <= allowed
    assert {"logbook.load", "progress.summary", "progress.record", "guidance.history",
            "followups.answers", "logbook.get_check_in", "exports.export(json)",
            "logbook.activities_of", "logbook.check_in"} <= set(results) - allowed


def test_the_same_walk_finds_the_scores_under_everything(services: Services,
                                                          clock: FakeClock) -> None:
    results = walk(build_chart(services, Scope.FULL))
    assert results["logbook.load"] == ["PatientData"]
    assert "ResponseSummary" in results["caseload.for_clinician"]
    assert NOTE in results["exports.export(json)"]
    assert results["logbook.get_check_in"] == ["CheckIn"]


@pytest.mark.parametrize("scope", list(Scope))
def test_the_walk_leaves_the_patient_able_to_see_everything(services: Services,
                                                            scope: Scope) -> None:
    chart = build_chart(services, scope)
    data = chart.services.screens.logbook.load(chart.patient, chart.patient.id)
    assert [c.value.pain_now for c in data.check_ins] == [7]
