"""A patient's record as one HL7 FHIR `Bundle` of type `collection` (issue 16).

`FhirExport` is one more exporter behind app.services.exports.ExportService (which checks
access and audits before calling it). It reads the patient's latest version of every
record, maps each to FHIR resources (docs/interop.md lists every mapping; the codes come
from assets/fhir/codes.json through app.services.fhir_codes), and validates the whole
bundle against the R4B models of `fhir.resources` before returning it: a bundle that would
not validate is never handed out (FhirInvalid, a bug, not a user error).

What a bundle holds: the Patient; pain now (LOINC 72514-3) and worst pain in 24 h as
Observations in the patient's time zone, with the pain regions; soreness after needling
as an Observation `partOf` its session; needling sessions as Procedures with their
regions and who recorded them (the Patient or a Practitioner); PSFS, ODI and PGIC answers
as QuestionnaireResponses pointing at Questionnaires in the same bundle; milestones as
Observations; "Is this normal?" answers as RiskAssessments (tier, reasons, advice, the
rulebook's version, the exact symptom report); the care team's reminders as
CommunicationRequests. Each record is its latest version (`meta.versionId`); a withdrawn
one is kept with status `entered-in-error`. Every fullUrl is a `urn:uuid:` derived from
BackTrack's own id (app.services.fhir_codes.full_url), so exports are stable.

fhir.resources is imported only by the fhir_* service modules.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Final, TypeVar

from app.domain import entries as e
from app.domain import kinds
from app.domain.accounts import Account
from app.domain.codec import from_json
from app.domain.followup import FEELING, GOT_HELP, FollowUp
from app.domain.reminder_plan import Reminder, Repeat
from app.domain.zones import zone_of
from app.services.base import Clock, system_clock
from app.services.fhir_codes import FhirCodes, full_url, load_codes
from app.store.interfaces import Record, RecordStore

ENTERED_IN_ERROR: Final = "entered-in-error"
T = TypeVar("T")

# The local extensions BackTrack writes (docs/interop.md): their names under
# codes.systems["extension"].
EXT_PAIN_LOCATION: Final = "pain-location"
EXT_ACCOUNT_CREATED: Final = "account-created"
EXT_ACTIVITY_CREATED: Final = "psfs-activity-created"
EXT_ACTIVITY_RETIRED: Final = "psfs-activity-retired"
EXT_GUIDANCE_REPORT: Final = "guidance-symptom-report"
EXT_GUIDANCE_ANSWER: Final = "guidance-answer"
RULEBOOK_CODE: Final = "guidance-rulebook"
ODI_SCORE_LINK: Final = "score"
PGIC_LINK: Final = "pgic"


class FhirInvalid(Exception):
    """A bundle does not validate against the R4B models: for one BackTrack built, a bug
    in a mapping; for one being imported, a refusal. `entry` is the index of the entry at
    fault (None: the Bundle itself), `where` the path inside it."""

    def __init__(self, entry: int | None, where: str, why: str) -> None:
        self.entry = entry
        self.where = where
        self.why = why
        inside = f"entry.{entry}.resource." if entry is not None else ""
        super().__init__(f"{inside}{where}: {why}")


def odi_link(section: int) -> str:
    """The linkId of ODI section `section` (0-based): odi-1 … odi-10."""
    return f"odi-{section + 1}"


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Check a bundle against fhir.resources' R4B models: the Bundle itself, and every
    resource in it by the model of its resourceType. Raises FhirInvalid naming the first
    problem.

    Each resource is validated by its own model rather than through Bundle.entry.resource:
    the same checks (the Bundle resolves each entry to that very model) at about two
    thirds of the cost, which keeps two years of daily data under a second."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    entries = bundle.get("entry") or []
    shell = {**bundle, "entry": [{k: v for k, v in entry.items() if k != "resource"}
                                 if isinstance(entry, dict) else entry
                                 for entry in entries]}
    try:
        Bundle.model_validate(shell)
        for index, entry in enumerate(entries):
            resource = entry.get("resource")
            if resource is None:
                continue
            try:
                model = get_fhir_model_class(str(resource.get("resourceType")))
            except (KeyError, ValueError):
                raise FhirInvalid(index, "resourceType", "not an R4B resource") from None
            try:
                model.model_validate(resource)
            except ValidationError as exc:
                raise _invalid(exc, index) from None
    except ValidationError as exc:
        raise _invalid(exc, None) from None


def _invalid(exc: Any, entry: int | None) -> FhirInvalid:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return FhirInvalid(entry, where or "resource", str(first.get("msg")))


class FhirExport:
    """The FHIR exporter (app.services.exports.Exporter)."""

    name = "fhir"
    file_suffix = ".fhir.json"

    def __init__(self, store: RecordStore, clock: Clock = system_clock,
                 codes: FhirCodes | None = None) -> None:
        self.store = store
        self.clock = clock
        self.codes = codes or load_codes()
        # FHIR's own MIME parameter names the release (R4B 4.3.0 → "4.3").
        release = ".".join(self.codes.fhir_version.split(".")[:2])
        self.media_type = f"application/fhir+json; fhirVersion={release}"

    def export(self, actor: Account | None, patient: Account) -> bytes:
        bundle = self.bundle(patient)
        validate_bundle(bundle)
        # Compact: two years of daily data is megabytes, and machines read it.
        return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def bundle(self, patient: Account) -> dict[str, Any]:
        """The bundle as plain JSON-able data (not yet validated)."""
        latest: dict[tuple[str, str], Record] = {}
        for record in self.store.owner_history(patient.id):
            key = (record.kind, record.id)
            held = latest.get(key)
            if held is None or record.version > held.version:
                latest[key] = record
        by_kind: dict[str, list[Record]] = {}
        for record in latest.values():
            by_kind.setdefault(record.kind, []).append(record)
        writer = _BundleWriter(self.codes, patient, self.store)
        return writer.write(by_kind, self.clock())


@dataclass(frozen=True)
class _Decoded:
    record: Record
    value: Any


class _BundleWriter:
    """One export: the patient, their zone, and the entries written so far."""

    def __init__(self, codes: FhirCodes, patient: Account, store: RecordStore) -> None:
        self.codes = codes
        self.patient = patient
        self.store = store
        self.zone: tzinfo = zone_of(patient.timezone) or UTC
        self.patient_url = full_url(kinds.ACCOUNT, patient.id)
        self.entries: list[dict[str, Any]] = []
        self.practitioners: dict[str, str] = {}  # account id → fullUrl

    # -- the bundle ------------------------------------------------------------------------

    def write(self, by_kind: dict[str, list[Record]], now: datetime) -> dict[str, Any]:
        def decoded(kind: str, cls: type[T], when: Callable[[T], Any]) -> list[_Decoded]:
            items = [_Decoded(r, from_json(cls, r.data)) for r in by_kind.get(kind, [])]
            return sorted(items, key=lambda d: (when(d.value), d.record.id))

        accounts = by_kind.get(kinds.ACCOUNT, [])
        account = max(accounts, key=lambda r: r.version) if accounts else None
        self._add(self.patient_url, self._patient(account))
        activities = decoded(kinds.ACTIVITY, e.PsfsActivity, lambda a: a.created_at)
        sessions = decoded(kinds.SESSION, e.NeedlingSession, lambda s: s.performed_at)
        check_ins = decoded(kinds.CHECK_IN, e.CheckIn, lambda c: c.recorded_at)
        soreness = decoded(kinds.SORENESS, e.SorenessEntry, lambda s: s.recorded_at)
        milestones = decoded(kinds.MILESTONE, e.Milestone, lambda m: m.achieved_on)
        odi = decoded(kinds.ODI, e.OdiAnswer, lambda a: a.recorded_at)
        pgic = decoded(kinds.PGIC, e.PgicAnswer, lambda a: a.recorded_at)
        follow_ups = decoded(kinds.FOLLOW_UP, FollowUp, lambda f: f.recorded_at)
        reminders = decoded(kinds.REMINDER, Reminder, lambda r: r.created_at)
        assessments = sorted(by_kind.get(kinds.ASSESSMENT, []),
                             key=lambda r: (str(r.data.get("assessed_at")), r.id))
        names = {a.value.id: a.value.name for a in activities}
        if activities:
            self._psfs_questionnaire([a.value for a in activities])
        if odi:
            self._odi_questionnaire()
        if pgic:
            self._pgic_questionnaire()
        for item in sessions:
            self._session(item)
        for item in check_ins:
            self._check_in(item, names)
        for item in soreness:
            self._soreness(item)
        for item in milestones:
            self._milestone(item)
        for item in odi:
            self._odi(item)
        for item in pgic:
            self._pgic(item)
        for record in assessments:
            self._assessment(record)
        for item in follow_ups:
            self._follow_up(item)
        for item in reminders:
            self._reminder(item)
        return {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": self._instant(now)},
            "type": "collection",
            "timestamp": self._instant(now),
            "entry": self.entries,
        }

    def _add(self, url: str, resource: dict[str, Any]) -> None:
        resource["id"] = url.removeprefix("urn:uuid:")
        self.entries.append({"fullUrl": url, "resource": resource})

    # -- shared pieces ---------------------------------------------------------------------

    def _local(self, moment: datetime) -> str:
        """A moment on the patient's own clock, with its offset (FHIR dateTime)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).isoformat()

    @staticmethod
    def _instant(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat()

    def _meta(self, record: Record) -> dict[str, Any]:
        meta: dict[str, Any] = {"versionId": str(record.version)}
        if record.saved_at:
            meta["lastUpdated"] = record.saved_at
        return meta

    def _identifier(self, kind: str, record_id: str) -> dict[str, str]:
        return {"system": f"{self.codes.system('record_id')}/{kind}", "value": record_id}

    def _subject(self) -> dict[str, str]:
        return {"reference": self.patient_url}

    def _ext(self, name: str, **value: Any) -> dict[str, Any]:
        return {"url": self.codes.extension_url(name), **value}

    def _status(self, record: Record, usual: str) -> str:
        return ENTERED_IN_ERROR if record.deleted else usual

    def _observation(self, record: Record, code: str, when: str,
                     **fields: Any) -> dict[str, Any]:
        survey = {"coding": [{"system": self.codes.system("observation_category"),
                              "code": "survey", "display": "Survey"}]}
        return {
            "resourceType": "Observation",
            "meta": self._meta(record),
            "identifier": [self._identifier(record.kind, record.id)],
            "status": self._status(record, "final"),
            "category": [survey],
            "code": self.codes.codes[code].concept(),
            "subject": self._subject(),
            "effectiveDateTime": when,
            **fields,
        }

    @staticmethod
    def _note(text: str) -> dict[str, Any]:
        return {"note": [{"text": text}]} if text else {}

    def _author(self, account_id: str) -> dict[str, str]:
        """The Patient, or a Practitioner entry (added once) for a clinician's account."""
        if account_id == self.patient.id:
            return self._subject()
        url = self.practitioners.get(account_id)
        if url is None:
            url = full_url("practitioner", account_id)
            self.practitioners[account_id] = url
            held = self.store.latest(kinds.ACCOUNT, account_id)
            practitioner: dict[str, Any] = {
                "resourceType": "Practitioner",
                "identifier": [self._identifier(kinds.ACCOUNT, account_id)]}
            name = held.data.get("name") if held is not None and not held.deleted else None
            if isinstance(name, str) and name:
                practitioner["name"] = [{"text": name}]
            self._add(url, practitioner)
        return {"reference": url}

    # -- resources -------------------------------------------------------------------------

    def _patient(self, account: Record | None) -> dict[str, Any]:
        patient = self.patient
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [self._identifier(kinds.ACCOUNT, patient.id)],
            "active": patient.active,
            "name": [{"text": patient.name}],
            "telecom": [{"system": "email", "value": patient.email}],
            "extension": [
                {"url": self.codes.system("timezone_extension"), "valueCode": patient.timezone},
                self._ext(EXT_ACCOUNT_CREATED, valueDateTime=self._local(patient.created_at)),
            ],
        }
        if account is not None:
            resource["meta"] = self._meta(account)
        return resource

    def _psfs_questionnaire(self, activities: Iterable[e.PsfsActivity]) -> None:
        items = []
        for activity in activities:
            extensions = [self._ext(EXT_ACTIVITY_CREATED,
                                    valueDateTime=self._local(activity.created_at))]
            if activity.retired:
                extensions.append(self._ext(EXT_ACTIVITY_RETIRED, valueBoolean=True))
            items.append({"linkId": activity.id, "text": activity.name, "type": "integer",
                          "extension": extensions})
        self._questionnaire("psfs", self.psfs_url(), "PSFS",
                            f"Patient-specific functional scale: {self.patient.name}'s "
                            "activities, each rated 0 (unable) to 10 (as before)", items)

    def psfs_url(self) -> str:
        return self.codes.questionnaire_url(f"psfs-{self.patient.id}")

    def _odi_questionnaire(self) -> None:
        items: list[dict[str, Any]] = [
            {"linkId": odi_link(i), "text": section, "type": "integer"}
            for i, section in enumerate(self.codes.odi_sections)]
        score = self.codes.codes["odi_score"]
        items.append({"linkId": ODI_SCORE_LINK, "code": [score.coding()],
                      "text": score.display, "type": "decimal", "readOnly": True})
        self._questionnaire("odi", self.codes.questionnaire_url("odi"), "ODI",
                            "Oswestry disability index: ten sections, each 0 to 5", items)

    def _pgic_questionnaire(self) -> None:
        options = [{"valueCoding": code.coding()}
                   for _, code in sorted(self.codes.pgic_answers.items())]
        self._questionnaire("pgic", self.codes.questionnaire_url("pgic"), "PGIC",
                            "Patient global impression of change", [
                                {"linkId": PGIC_LINK, "type": "choice",
                                 "text": "Since you started treatment, how would you "
                                         "describe the change in your back problem?",
                                 "answerOption": options}])

    def _questionnaire(self, code: str, url: str, name: str, title: str,
                       items: list[dict[str, Any]]) -> None:
        self._add(full_url("questionnaire", url), {
            "resourceType": "Questionnaire",
            "url": url,
            "name": name,
            "title": title,
            "status": "active",
            "subjectType": ["Patient"],
            "code": [self.codes.codes[code].coding()],
            "item": items,
        })

    def _session(self, item: _Decoded) -> None:
        session: e.NeedlingSession = item.value
        record = item.record
        self._add(full_url(record.kind, record.id), {
            "resourceType": "Procedure",
            "meta": self._meta(record),
            "identifier": [self._identifier(record.kind, record.id)],
            "status": self._status(record, "completed"),
            "code": self.codes.codes["needling"].concept(),
            "subject": self._subject(),
            "performedDateTime": self._local(session.performed_at),
            "recorder": self._author(session.recorded_by),
            "bodySite": [self.codes.region_concept(r) for r in session.regions],
            **self._note(session.note),
        })

    def _check_in(self, item: _Decoded, activity_names: dict[str, str]) -> None:
        check_in: e.CheckIn = item.value
        record = item.record
        when = self._local(check_in.recorded_at)
        pain: dict[str, Any] = self._observation(record, "pain_now", when,
                                                 valueInteger=check_in.pain_now)
        if len(check_in.regions) == 1:  # FHIR's bodySite holds one site
            pain["bodySite"] = self.codes.region_concept(check_in.regions[0])
        elif check_in.regions:  # several: each in a pain-location extension, in order
            pain["extension"] = [self._ext(EXT_PAIN_LOCATION,
                                           valueCodeableConcept=self.codes.region_concept(r))
                                 for r in check_in.regions]
        pain.update(self._note(check_in.note))
        self._add(full_url(record.kind, record.id), pain)
        if check_in.worst_24h is not None:
            self._add(full_url(record.kind, record.id, "worst_24h"), self._observation(
                record, "worst_24h", when, valueInteger=check_in.worst_24h))
        if check_in.psfs:
            self._add(full_url(record.kind, record.id, "psfs"), self._response(
                record, self.psfs_url(), when, [
                    {"linkId": activity_id, "text": activity_names.get(activity_id, ""),
                     "answer": [{"valueInteger": rating}]}
                    for activity_id, rating in check_in.psfs.items()]))

    def _response(self, record: Record, questionnaire: str, when: str,
                  items: list[dict[str, Any]]) -> dict[str, Any]:
        for item in items:
            if not item.get("text"):
                item.pop("text", None)
        return {
            "resourceType": "QuestionnaireResponse",
            "meta": self._meta(record),
            "identifier": self._identifier(record.kind, record.id),
            "questionnaire": questionnaire,
            "status": self._status(record, "completed"),
            "subject": self._subject(),
            "authored": when,
            "author": self._subject(),
            "item": items,
        }

    def _soreness(self, item: _Decoded) -> None:
        entry: e.SorenessEntry = item.value
        record = item.record
        self._add(full_url(record.kind, record.id), self._observation(
            record, "soreness", self._local(entry.recorded_at),
            partOf=[{"reference": full_url(kinds.SESSION, entry.session_id)}],
            valueInteger=entry.soreness, **self._note(entry.note)))

    def _milestone(self, item: _Decoded) -> None:
        milestone: e.Milestone = item.value
        record = item.record
        self._add(full_url(record.kind, record.id), self._observation(
            record, "milestone", milestone.achieved_on.isoformat(),
            valueString=milestone.text, **self._note(milestone.note)))

    def _odi(self, item: _Decoded) -> None:
        answer: e.OdiAnswer = item.value
        items: list[dict[str, Any]] = [
            {"linkId": odi_link(i), "text": self.codes.odi_sections[i],
             "answer": [{"valueInteger": score}]}
            for i, score in enumerate(answer.sections) if score is not None]
        items.append({"linkId": ODI_SCORE_LINK, "text": self.codes.codes["odi_score"].display,
                      "answer": [{"valueDecimal": round(answer.percent, 1)}]})
        self._add(full_url(item.record.kind, item.record.id), self._response(
            item.record, self.codes.questionnaire_url("odi"),
            self._local(answer.recorded_at), items))

    def _pgic(self, item: _Decoded) -> None:
        answer: e.PgicAnswer = item.value
        self._add(full_url(item.record.kind, item.record.id), self._response(
            item.record, self.codes.questionnaire_url("pgic"),
            self._local(answer.recorded_at), [
                {"linkId": PGIC_LINK,
                 "answer": [{"valueCoding": self.codes.pgic_answers[answer.rating].coding()}]}]))

    def _assessment(self, record: Record) -> None:
        data = record.data
        result = data["result"]
        assessed_at = datetime.fromisoformat(data["assessed_at"])
        resource: dict[str, Any] = {
            "resourceType": "RiskAssessment",
            "meta": self._meta(record),
            "identifier": [self._identifier(record.kind, record.id)],
            "status": "final",
            "code": self.codes.codes["guidance"].concept(),
            "subject": self._subject(),
            "occurrenceDateTime": self._local(assessed_at),
            "prediction": [{
                "qualitativeRisk": self.codes.tiers[result["level"]].concept(),
                "rationale": " ".join(r["text"] for r in result["reasons"])}],
            "mitigation": result["advice"],
            "extension": [
                self._ext(EXT_GUIDANCE_REPORT,
                          valueString=json.dumps(data["input"], sort_keys=True,
                                                 ensure_ascii=False)),
                self._ext(EXT_GUIDANCE_ANSWER,
                          valueString=json.dumps(result, sort_keys=True, ensure_ascii=False)),
            ],
        }
        rulebook = data.get("rulebook")
        if isinstance(rulebook, dict):
            resource["method"] = {"coding": [{
                "system": self.codes.system("rulebook"),
                "version": f"{rulebook.get('reviewed_on')} {rulebook.get('fingerprint')}",
                "code": RULEBOOK_CODE,
                "display": f"BackTrack guidance rulebook reviewed on "
                           f"{rulebook.get('reviewed_on')}"}]}
        self._add(full_url(record.kind, record.id), resource)

    def _follow_up(self, item: _Decoded) -> None:
        follow_up: FollowUp = item.value
        record = item.record
        local = self.codes.system("local")
        self._add(full_url(record.kind, record.id), {
            "resourceType": "Observation",
            "meta": self._meta(record),
            "identifier": [self._identifier(record.kind, record.id)],
            "status": "final",
            "code": {"coding": [{"system": local, "code": "guidance-follow-up",
                                 "display": "Follow-up after an urgent 'Is this normal?' "
                                            "answer"}]},
            "subject": self._subject(),
            "focus": [{"reference": full_url(kinds.ASSESSMENT, follow_up.assessment_id)}],
            "effectiveDateTime": self._local(follow_up.recorded_at),
            "component": [
                {"code": {"coding": [{"system": local, "code": "got-help",
                                      "display": "Did you get help?"}]},
                 "valueCodeableConcept": {"coding": [{
                     "system": local, "code": f"got-help-{follow_up.got_help}",
                     "display": GOT_HELP.get(follow_up.got_help, follow_up.got_help)}]}},
                {"code": {"coding": [{"system": local, "code": "feeling",
                                      "display": "How are you now?"}]},
                 "valueCodeableConcept": {"coding": [{
                     "system": local, "code": f"feeling-{follow_up.feeling}",
                     "display": FEELING.get(follow_up.feeling, follow_up.feeling)}]}},
            ],
            **self._note(follow_up.note),
        })

    def _reminder(self, item: _Decoded) -> None:
        reminder: Reminder = item.value
        record = item.record
        text = reminder.template.label + (f": {reminder.message}" if reminder.message else "")
        resource: dict[str, Any] = {
            "resourceType": "CommunicationRequest",
            "meta": self._meta(record),
            "identifier": [self._identifier(record.kind, record.id)],
            "status": "revoked" if reminder.cancelled or record.deleted else "active",
            "category": [{"coding": [{"system": self.codes.system("reminder"),
                                      "code": reminder.template.value,
                                      "display": reminder.template.label}]}],
            "subject": self._subject(),
            "recipient": [self._subject()],
            "payload": [{"contentString": text}],
            "authoredOn": self._local(reminder.created_at),
        }
        if reminder.created_by != "automatic":
            resource["requester"] = self._author(reminder.created_by)
        schedule = reminder.schedule
        if reminder.appointment_at is not None:
            resource["occurrenceDateTime"] = self._local(reminder.appointment_at)
        elif schedule.repeat in (Repeat.ONCE, Repeat.AT_MOMENTS) and schedule.moments:
            resource["occurrenceDateTime"] = self._local(schedule.moments[0])
        elif schedule.first_day is not None:
            period = {"start": schedule.first_day.isoformat()}
            if schedule.until is not None:
                period["end"] = schedule.until.isoformat()
            resource["occurrencePeriod"] = period
        self._add(full_url(record.kind, record.id), resource)


# The patient's record kinds a bundle carries, and those it leaves out with the reason
# (docs/interop.md, "What is lost"). tests/services/test_fhir.py fails when a new kind of
# patient record is in neither, so each new kind gets a decision.
MAPPED_KINDS: Final = (kinds.ACCOUNT, kinds.ACTIVITY, kinds.SESSION, kinds.CHECK_IN,
                       kinds.SORENESS, kinds.MILESTONE, kinds.ODI, kinds.PGIC,
                       kinds.ASSESSMENT, kinds.FOLLOW_UP, kinds.REMINDER)
NOT_IN_BUNDLE: Final[dict[str, str]] = {
    kinds.REMINDER_PREFS: "the patient's own reminder settings: how the app behaves",
    kinds.GRANT: "who may read the record: the clinic's access control",
    kinds.INVITE: "a sharing code opens the record: never in a file",
    kinds.AUDIT: "who read the record: the clinic's audit trail",
    kinds.ACKNOWLEDGEMENT: "a clinician's note that they saw an urgent answer: the "
                           "clinic's own workflow",
    kinds.DELIVERY: "when a reminder was sent: the clinic's delivery log",
    kinds.OUTCOME: "whether a reminder was answered: the clinic's delivery log",
    kinds.REMINDER_CHANNELS: "how reminders reach the patient: how the app behaves",
    kinds.CALENDAR_FEED: "its digest opens the calendar: never in a file",
    "two_step": "the second step of signing in: a secret, never in a file",
}
