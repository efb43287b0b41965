"""Reading a FHIR bundle written by app.services.fhir_export back into a patient's record.

The bundle is untrusted input and is read in two steps, like the JSON import:

1. without the store (`read_bundle`): the bytes and JSON (the same limits as the JSON
   import: app.services.import_envelope), the R4B models of fhir.resources, a bundle of
   type `collection`, then every entry mapped back to BackTrack records. Anything it does
   not understand is refused with a message naming the entry and resource ("Entry 12
   (Observation urn:uuid:…): …"): a resource type BackTrack does not write, a code it
   does not know, a reference that does not resolve inside the bundle, a subject other
   than the bundle's patient. Reminders (CommunicationRequest) are understood but left
   out, as the JSON import leaves out sharing codes: a reminder plan belongs to the
   clinic that made it.
2. with the store (`import_bundle`): the records go through Portability.import_export,
   i.e. the very checks of the JSON import (app.services.import_checks: ranges, regions,
   times, references, ids taken by someone else) before anything is written. A refusal
   there names the entry the record came from. Nothing is ever half-imported.

A bundle carries each record's latest version only: it is imported as version 1 (and a
withdrawn entry, status entered-in-error, as version 1 plus its withdrawal). Earlier
versions stay in the JSON export (docs/interop.md, "What is lost").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from app.domain import entries as e
from app.domain import kinds
from app.domain.accounts import Account, Role
from app.domain.codec import to_json
from app.domain.errors import InvalidInput
from app.domain.followup import FollowUp
from app.domain.scales import ODI_SECTIONS
from app.services import import_checks as checks
from app.services.fhir_codes import FhirCodes, load_codes
from app.services.fhir_export import (
    ENTERED_IN_ERROR,
    EXT_ACCOUNT_CREATED,
    EXT_ACTIVITY_CREATED,
    EXT_ACTIVITY_RETIRED,
    EXT_GUIDANCE_ANSWER,
    EXT_GUIDANCE_REPORT,
    EXT_PAIN_LOCATION,
    ODI_SCORE_LINK,
    PGIC_LINK,
    RULEBOOK_CODE,
    FhirInvalid,
    odi_link,
    validate_bundle,
)
from app.services.import_envelope import is_aware
from app.services.portability import Imported, Portability
from app.store.interfaces import Record

# Kinds whose entries the app lets a patient withdraw (a tombstone version): only these
# may arrive as entered-in-error.
_WITHDRAWABLE: Final = (kinds.SESSION, kinds.SORENESS, kinds.MILESTONE)
_RECORD_REFUSAL: Final = re.compile(r"^Record (\d+) \([^)]*\)")
LEFT_OUT_REMINDERS: Final = "CommunicationRequest"


class _Refused(Exception):
    """One entry cannot be read; turned into a refusal naming it."""


@dataclass(frozen=True)
class FhirRead:
    """A bundle that passed step 1: the export it amounts to, where each record came from
    (for refusals in step 2), and what was understood but left out."""

    export: checks.Export
    sources: list[str]
    left_out: dict[str, int] = field(default_factory=dict)


def read_bundle(raw: bytes | str, now: datetime, codes: FhirCodes | None = None) -> FhirRead:
    """Step 1 (no store). Raises InvalidInput (field "file") naming the problem."""
    text = checks.decode_bytes(raw) if isinstance(raw, bytes) else raw
    document = checks.parse_json(text)
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise checks.refusal("This is not a FHIR bundle (no resourceType Bundle). "
                             "Nothing was imported.")
    _validate(document)
    if document.get("type") != "collection":
        raise checks.refusal(f"The bundle is of type {document.get('type')!r}; BackTrack "
                             "reads bundles of type 'collection'. Nothing was imported.")
    return _Reader(codes or load_codes(), document, now).read()


def import_bundle(portability: Portability, read: FhirRead) -> Imported:
    """Step 2: the same checks as the JSON import, then the write (all or nothing)."""
    try:
        result = portability.import_export(read.export)
    except InvalidInput as exc:
        message = exc.problems.get("file")
        found = _RECORD_REFUSAL.match(message or "")
        if found is None or set(exc.problems) != {"file"}:
            raise
        number = int(found.group(1))
        source = read.sources[number - 1] if 0 < number <= len(read.sources) else \
            found.group(0)
        raise checks.refusal(source + (message or "")[found.end():]) from None
    left_out = Counter(result.left_out)
    left_out.update(read.left_out)
    return Imported(result.email, result.added, dict(left_out))


def _validate(document: dict[str, Any]) -> None:
    try:
        validate_bundle(document)
    except FhirInvalid as exc:
        where = exc.where if exc.entry is None else \
            f"{_describe(document, exc.entry)}, {exc.where}"
        raise checks.refusal(f"Not a valid FHIR R4B bundle: {where}: {exc.why}. "
                             "Nothing was imported.") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise checks.refusal(f"Not a valid FHIR R4B bundle ({exc}). Nothing was imported.") \
            from None


def _embedded_json(text: object, name: str) -> Any:
    """JSON carried in an extension's valueString, read with the import's own limits
    (depth, repeated keys, no NaN): it is as untrusted as the file around it."""
    if not isinstance(text, str):
        raise _Refused(f"the {name} extension has no valueString")
    try:
        return checks.parse_json(text)
    except InvalidInput:
        raise _Refused(f"the {name} extension does not hold JSON BackTrack wrote") from None


def _describe(document: dict[str, Any], index: int) -> str:
    """'Entry 5 (Observation urn:uuid:…)', counted from 1 like the JSON import's records."""
    entries = document.get("entry")
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else {}
    resource = entry.get("resource") if isinstance(entry, dict) else None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    url = entry.get("fullUrl") if isinstance(entry, dict) else None
    return f"Entry {index + 1} ({kind or 'no resource'}{f' {url}' if url else ''})"


@dataclass
class _CheckIn:
    pain: dict[str, Any] | None = None
    worst: int | None = None
    psfs: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, codes: FhirCodes, document: dict[str, Any], now: datetime) -> None:
        self.codes = codes
        self.document = document
        self.now = now
        self.entries: list[dict[str, Any]] = list(document.get("entry") or [])
        self.by_url: dict[str, dict[str, Any]] = {}
        self.records: list[Record] = []
        self.sources: list[str] = []
        self.left_out: Counter[str] = Counter()
        self.patient_id = ""
        self.patient_url = ""
        self.check_ins: dict[str, _CheckIn] = {}

    def read(self) -> FhirRead:
        for index, entry in enumerate(self.entries):
            url = entry.get("fullUrl")
            where = _describe(self.document, index)
            if not isinstance(url, str) or not url.startswith("urn:uuid:"):
                raise checks.refusal(f"{where}: every entry needs a urn:uuid: fullUrl. "
                                     "Nothing was imported.")
            if url in self.by_url:
                raise checks.refusal(f"{where}: the fullUrl appears twice. "
                                     "Nothing was imported.")
            self.by_url[url] = entry.get("resource") or {}
        patients = [i for i, entry in enumerate(self.entries)
                    if (entry.get("resource") or {}).get("resourceType") == "Patient"]
        if len(patients) != 1:
            raise checks.refusal(f"The bundle has {len(patients)} Patient resources; "
                                 "BackTrack reads one patient's bundle. Nothing was imported.")
        email = self._guarded(patients[0], self._patient)
        readers: dict[str, Callable[[dict[str, Any], str], None]] = {
            "Practitioner": lambda resource, where: None,  # read through references
            "Questionnaire": self._questionnaire,
            "Procedure": self._procedure,
            "Observation": self._observation,
            "QuestionnaireResponse": self._response,
            "RiskAssessment": self._risk_assessment,
            "CommunicationRequest": self._reminder,
        }
        for index, entry in enumerate(self.entries):
            resource = entry.get("resource") or {}
            kind = resource.get("resourceType")
            if kind == "Patient":
                continue
            reader = readers.get(str(kind))
            if reader is None:
                raise checks.refusal(
                    f"{_describe(self.document, index)}: BackTrack does not read {kind} "
                    "resources. Nothing was imported.")
            self._guarded(index, reader)
        for check_in_id, parts in self.check_ins.items():
            self._add_check_in(check_in_id, parts)
        return FhirRead(checks.Export(self.patient_id, email, self.records), self.sources,
                        dict(self.left_out))

    def _guarded(self, index: int, read: Callable[[dict[str, Any], str], Any]) -> Any:
        where = _describe(self.document, index)
        try:
            return read(self.entries[index].get("resource") or {}, where)
        except (_Refused, KeyError, ValueError, TypeError, IndexError,
                AttributeError) as exc:
            why = str(exc) if isinstance(exc, _Refused) else \
                f"a part BackTrack writes is missing or malformed ({type(exc).__name__}: {exc})"
            raise checks.refusal(f"{where}: {why}. Nothing was imported.") from None

    # -- shared pieces ---------------------------------------------------------------------

    def _own_id(self, resource: dict[str, Any], kind: str) -> str:
        system = f"{self.codes.system('record_id')}/{kind}"
        identifiers = resource.get("identifier")
        if isinstance(identifiers, dict):
            identifiers = [identifiers]
        for identifier in identifiers or []:
            if identifier.get("system") == system and isinstance(identifier.get("value"), str):
                return str(identifier["value"])
        raise _Refused(f"no BackTrack identifier ({system})")

    def _check_subject(self, resource: dict[str, Any]) -> None:
        subject = (resource.get("subject") or {}).get("reference")
        if subject != self.patient_url:
            raise _Refused("its subject is not the bundle's Patient")

    @staticmethod
    def _when(value: object, what: str) -> datetime:
        if not isinstance(value, str):
            raise _Refused(f"{what} is missing")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise _Refused(f"{what} {value[:40]!r} is not a full date and time") from None

    def _saved_at(self, resource: dict[str, Any]) -> str:
        """When the other store accepted it (meta.lastUpdated), else now."""
        stamp = (resource.get("meta") or {}).get("lastUpdated")
        if isinstance(stamp, str) and is_aware(stamp):
            return stamp
        return self.now.astimezone(UTC).isoformat()

    def _add(self, kind: str, value: object, where: str, resource: dict[str, Any]) -> None:
        """Version 1 of a record (and its withdrawal, for entered-in-error)."""
        data = to_json(value)
        saved_at = self._saved_at(resource)
        record_id = str(data.get("id") if isinstance(data, dict) else "")
        self.records.append(Record(kind, record_id, 1, data, self.patient_id, saved_at))
        self.sources.append(where)
        if resource.get("status") == ENTERED_IN_ERROR:
            if kind not in _WITHDRAWABLE:
                raise _Refused("BackTrack never withdraws this kind of entry "
                               "(status entered-in-error)")
            self.records.append(Record(kind, record_id, 2, data, self.patient_id, saved_at,
                                       deleted=True))
            self.sources.append(where)

    def _code(self, concept: object) -> tuple[str | None, str | None]:
        if not isinstance(concept, dict):
            return None, None
        for coding in concept.get("coding") or []:
            for name, code in self.codes.codes.items():
                if coding.get("system") == code.system and coding.get("code") == code.code:
                    return name, code.code
        return None, None

    def _regions(self, concepts: list[Any]) -> tuple[str, ...]:
        regions = []
        for concept in concepts:
            key = self.codes.region_of(concept)
            if key is None:
                raise _Refused("a body site without a BackTrack region code")
            regions.append(key)
        return tuple(regions)

    def _extension(self, resource: dict[str, Any], name: str) -> dict[str, Any] | None:
        url = self.codes.extension_url(name)
        return next((x for x in resource.get("extension") or [] if x.get("url") == url), None)

    # -- resources -------------------------------------------------------------------------

    def _patient(self, resource: dict[str, Any], where: str) -> str:
        self.patient_id = self._own_id(resource, kinds.ACCOUNT)
        self.patient_url = next(url for url, r in self.by_url.items() if r is resource)
        email = next((t.get("value") for t in resource.get("telecom") or []
                      if t.get("system") == "email"), None)
        if not isinstance(email, str):
            raise _Refused("the Patient has no email address")
        names = resource.get("name") or []
        name = names[0].get("text") if names else None
        if not isinstance(name, str):
            raise _Refused("the Patient has no name (name.text)")
        zone = next((x.get("valueCode") for x in resource.get("extension") or []
                     if x.get("url") == self.codes.system("timezone_extension")), "UTC")
        created = self._extension(resource, EXT_ACCOUNT_CREATED)
        created_at = self._when(created.get("valueDateTime"), "account-created") \
            if created else self.now
        account = Account(self.patient_id, email, name, Role.PATIENT, "", created_at,
                          str(zone), bool(resource.get("active", True)))
        self._add(kinds.ACCOUNT, account, where, resource)
        return email

    def _questionnaire(self, resource: dict[str, Any], where: str) -> None:
        url = resource.get("url")
        if url in (self.codes.questionnaire_url("odi"), self.codes.questionnaire_url("pgic")):
            return  # the standard parts BackTrack writes; answers are read from responses
        if url != self.codes.questionnaire_url(f"psfs-{self.patient_id}"):
            raise _Refused(f"not a questionnaire BackTrack writes ({str(url)[:80]})")
        for item in resource.get("item") or []:
            created = self._extension(item, EXT_ACTIVITY_CREATED)
            retired = self._extension(item, EXT_ACTIVITY_RETIRED)
            activity = e.PsfsActivity(
                str(item["linkId"]), self.patient_id, str(item.get("text", "")),
                self._when(created.get("valueDateTime"), "psfs-activity-created")
                if created else self.now,
                bool(retired.get("valueBoolean")) if retired else False)
            self._add(kinds.ACTIVITY, activity, where, {})

    def _procedure(self, resource: dict[str, Any], where: str) -> None:
        self._check_subject(resource)
        if self._code(resource.get("code"))[0] != "needling":
            raise _Refused("not a dry needling procedure")
        recorder = (resource.get("recorder") or {}).get("reference")
        recorded_by = self.patient_id
        if recorder != self.patient_url:
            practitioner = self.by_url.get(str(recorder))
            if not practitioner or practitioner.get("resourceType") != "Practitioner":
                raise _Refused("recorder does not point at the Patient or a Practitioner "
                               "in the bundle")
            recorded_by = self._own_id(practitioner, kinds.ACCOUNT)
        note = (resource.get("note") or [{}])[0].get("text", "")
        session = e.NeedlingSession(
            self._own_id(resource, kinds.SESSION), self.patient_id,
            self._when(resource.get("performedDateTime"), "performedDateTime"),
            self._regions(resource.get("bodySite") or []), recorded_by, note)
        self._add(kinds.SESSION, session, where, resource)

    def _observation(self, resource: dict[str, Any], where: str) -> None:
        self._check_subject(resource)
        code, _ = self._code(resource.get("code"))
        note = (resource.get("note") or [{}])[0].get("text", "")
        if code in ("pain_now", "worst_24h"):
            own_id = self._own_id(resource, kinds.CHECK_IN)
            parts = self.check_ins.setdefault(own_id, _CheckIn())
            parts.sources.append(where)
            value = resource.get("valueInteger")
            if not isinstance(value, int):
                raise _Refused("the score (valueInteger) is missing")
            if (parts.worst if code == "worst_24h" else parts.pain) is not None:
                raise _Refused("a second score of the same kind for one check-in")
            if code == "worst_24h":
                parts.worst = value
            else:
                parts.pain = resource
            return
        if code == "soreness":
            part_of = [p.get("reference") for p in resource.get("partOf") or []]
            session = self.by_url.get(str(part_of[0])) if len(part_of) == 1 else None
            if not session or session.get("resourceType") != "Procedure":
                raise _Refused("partOf does not point at one needling session in the bundle")
            entry = e.SorenessEntry(
                self._own_id(resource, kinds.SORENESS), self.patient_id,
                self._own_id(session, kinds.SESSION),
                self._when(resource.get("effectiveDateTime"), "effectiveDateTime"),
                resource["valueInteger"], note)
            self._add(kinds.SORENESS, entry, where, resource)
            return
        if code == "milestone":
            day = resource.get("effectiveDateTime")
            milestone = e.Milestone(self._own_id(resource, kinds.MILESTONE), self.patient_id,
                                    date.fromisoformat(str(day)), str(resource["valueString"]),
                                    note)
            self._add(kinds.MILESTONE, milestone, where, resource)
            return
        local = self.codes.system("local")
        codings = (resource.get("code") or {}).get("coding") or []
        if any(c.get("system") == local and c.get("code") == "guidance-follow-up"
               for c in codings):
            self._follow_up(resource, where, note)
            return
        raise _Refused("an observation code BackTrack does not write")

    def _follow_up(self, resource: dict[str, Any], where: str, note: str) -> None:
        focus = [f.get("reference") for f in resource.get("focus") or []]
        answer = self.by_url.get(str(focus[0])) if len(focus) == 1 else None
        if not answer or answer.get("resourceType") != "RiskAssessment":
            raise _Refused("focus does not point at one 'Is this normal?' answer in the bundle")
        values: dict[str, str] = {}
        for component in resource.get("component") or []:
            part = component["code"]["coding"][0]["code"]
            value = component["valueCodeableConcept"]["coding"][0]["code"]
            values[part] = str(value).removeprefix(f"{part}-")
        follow_up = FollowUp(
            self._own_id(resource, kinds.FOLLOW_UP), self.patient_id,
            self._own_id(answer, kinds.ASSESSMENT),
            self._when(resource.get("effectiveDateTime"), "effectiveDateTime"),
            values.get("got-help", ""), values.get("feeling", ""), note)
        self._add(kinds.FOLLOW_UP, follow_up, where, resource)

    def _response(self, resource: dict[str, Any], where: str) -> None:
        self._check_subject(resource)
        questionnaire = resource.get("questionnaire")
        if questionnaire not in self.by_url_of_questionnaires():
            raise _Refused("its questionnaire is not one in the bundle")
        items = {str(i["linkId"]): i for i in resource.get("item") or []}
        when = self._when(resource.get("authored"), "authored")

        def answer(item: dict[str, Any], key: str) -> Any:
            answers = item.get("answer") or []
            if len(answers) != 1 or key not in answers[0]:
                raise _Refused(f"item {str(item.get('linkId'))[:40]} should have one {key}")
            return answers[0][key]

        if questionnaire == self.codes.questionnaire_url(f"psfs-{self.patient_id}"):
            parts = self.check_ins.setdefault(self._own_id(resource, kinds.CHECK_IN),
                                              _CheckIn())
            parts.sources.append(where)
            if parts.psfs:
                raise _Refused("a second PSFS response for one check-in")
            parts.psfs = {link: answer(item, "valueInteger") for link, item in items.items()}
        elif questionnaire == self.codes.questionnaire_url("odi"):
            items.pop(ODI_SCORE_LINK, None)  # worked out from the sections again
            links = [odi_link(i) for i in range(ODI_SECTIONS)]
            unknown = set(items) - set(links)
            if unknown:
                raise _Refused(f"ODI items BackTrack does not write: {sorted(unknown)[:3]}")
            sections = tuple(answer(items[link], "valueInteger") if link in items else None
                             for link in links)
            self._add(kinds.ODI, e.OdiAnswer(self._own_id(resource, kinds.ODI),
                                             self.patient_id, when, sections),
                      where, resource)
        else:
            coding = answer(items[PGIC_LINK], "valueCoding")
            if coding.get("system") != self.codes.system("pgic"):
                raise _Refused("the PGIC answer is not from BackTrack's PGIC codes")
            self._add(kinds.PGIC, e.PgicAnswer(self._own_id(resource, kinds.PGIC),
                                               self.patient_id, when, int(coding["code"])),
                      where, resource)

    def by_url_of_questionnaires(self) -> set[str]:
        return {str(r.get("url")) for r in self.by_url.values()
                if r.get("resourceType") == "Questionnaire"}

    def _add_check_in(self, check_in_id: str, parts: _CheckIn) -> None:
        where = " + ".join(parts.sources)
        if parts.pain is None:
            raise checks.refusal(f"{where}: belongs to a check-in without its pain score "
                                 "(LOINC 72514-3). Nothing was imported.")
        pain = parts.pain
        try:
            several = [x.get("valueCodeableConcept") for x in pain.get("extension") or []
                       if x.get("url") == self.codes.extension_url(EXT_PAIN_LOCATION)]
            if several and "bodySite" in pain:
                raise _Refused("both bodySite and pain-location extensions")
            regions = self._regions(several or ([pain["bodySite"]] if "bodySite" in pain
                                                else []))
            check_in = e.CheckIn(
                check_in_id, self.patient_id,
                self._when(pain.get("effectiveDateTime"), "effectiveDateTime"),
                pain["valueInteger"], parts.worst, regions, parts.psfs,
                (pain.get("note") or [{}])[0].get("text", ""))
        except _Refused as exc:
            raise checks.refusal(f"{where}: {exc}. Nothing was imported.") from None
        self._add(kinds.CHECK_IN, check_in, where, pain)

    def _risk_assessment(self, resource: dict[str, Any], where: str) -> None:
        self._check_subject(resource)
        report = self._extension(resource, EXT_GUIDANCE_REPORT)
        answer = self._extension(resource, EXT_GUIDANCE_ANSWER)
        if report is None or answer is None:
            raise _Refused("not an 'Is this normal?' answer BackTrack wrote (no symptom "
                           "report or answer extension)")
        result = _embedded_json(answer.get("valueString"), EXT_GUIDANCE_ANSWER)
        tier = self._tier(resource)
        if not isinstance(result, dict) or result.get("level") != tier:
            raise _Refused("the answer's tier and prediction.qualitativeRisk differ")
        data: dict[str, Any] = {
            "input": _embedded_json(report.get("valueString"), EXT_GUIDANCE_REPORT),
            "result": result,
            "assessed_at": self._when(resource.get("occurrenceDateTime"),
                                      "occurrenceDateTime").astimezone(UTC).isoformat(),
        }
        for coding in (resource.get("method") or {}).get("coding") or []:
            if coding.get("system") == self.codes.system("rulebook") and \
                    coding.get("code") == RULEBOOK_CODE:
                reviewed_on, _, fingerprint = str(coding.get("version", "")).partition(" ")
                data["rulebook"] = {"reviewed_on": reviewed_on, "fingerprint": fingerprint}
        record_id = self._own_id(resource, kinds.ASSESSMENT)
        self.records.append(Record(kinds.ASSESSMENT, record_id, 1, data, self.patient_id,
                                   self._saved_at(resource)))
        self.sources.append(where)

    def _tier(self, resource: dict[str, Any]) -> str | None:
        for prediction in resource.get("prediction") or []:
            for coding in (prediction.get("qualitativeRisk") or {}).get("coding") or []:
                if coding.get("system") == self.codes.system("guidance_tier"):
                    return str(coding.get("code"))
        return None

    def _reminder(self, resource: dict[str, Any], where: str) -> None:
        self._check_subject(resource)
        self.left_out[LEFT_OUT_REMINDERS] += 1
