"""Everything a patient export must pass before any of it is written.

An import file is untrusted: a patient mailed it, or someone edited it. It is read in
layers, each refusing with one message that names the record and the field:

1. the bytes: at most MAX_IMPORT_BYTES, UTF-8;
2. the JSON: no NaN/Infinity (nor 1e5000), no repeated keys, nested at most MAX_NESTING deep;
3. the document: the known top-level keys, the patient block, a list of records;
4. each record's envelope: a known kind, a plain id, a version from 1 to MAX_VERSION,
   the patient as owner, a saved-at time with a zone, deleted true/false;
5. each record's data, decoded strictly into its domain type (app.domain.codec) and
   checked by the same domain rules as a save from the screens: scores and ranges,
   lengths, known regions, times with a zone between EARLIEST_TIME and now, valid
   guidance answers;
6. across records: the record's id is the one in its data, no version twice nor a gap,
   soreness belongs to one of the patient's sessions, check-ins rate the patient's
   activities, follow-ups and acknowledgements belong to one of the patient's guidance
   answers, at most PSFS_MAX_ACTIVITIES current activities.

Steps 1–4 are in app.services.import_envelope, 5–6 here. Nothing here writes;
`Portability.import_json` writes only what passed all of it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Final

from app.domain import entries as e
from app.domain import kinds
from app.domain.accounts import Account, Role, is_valid_email, normalise_email
from app.domain.codec import DecodeError, from_json
from app.domain.errors import DomainError, InvalidInput
from app.domain.followup import FEELING, GOT_HELP, Acknowledgement, FollowUp
from app.domain.guidance import parse_report
from app.domain.guidance.engine import Assessment
from app.domain.guidance.rulebook import TIERS
from app.domain.reminders import ReminderPrefs, check_prefs
from app.domain.scales import NAME_MAX_CHARS, NOTE_MAX_CHARS, ODI_SECTIONS, PSFS_MAX_ACTIVITIES
from app.domain.sharing import AuditEvent
from app.domain.validation import Problems, check_timezone
from app.services.import_envelope import (
    ASSESSMENT_KIND,
    ID,
    KNOWN_KINDS,
    MAX_IMPORT_BYTES,
    MAX_NESTING,
    MAX_VERSION,
    PATIENT_KINDS,
    Export,
    decode_bytes,
    field_names,
    is_aware,
    parse_json,
    read_export,
    refusal,
)
from app.store.interfaces import Query, Record, RecordStore

# Steps 1-4 live in app.services.import_envelope; their names are part of this module's
# interface (portability and the command line read a file through here).
__all__ = ["ASSESSMENT_KIND", "KNOWN_KINDS", "MAX_IMPORT_BYTES", "MAX_NESTING",
           "MAX_VERSION", "PATIENT_KINDS", "Export", "check_records", "decode_bytes",
           "parse_json", "read_export", "refusal"]

_ACTION: Final = re.compile(r"[a-z_]{1,30}(:[a-z_]{1,30}){0,3}")
_ASSESSMENT_KEYS: Final = {"input", "result", "assessed_at", "rulebook"}


# -- 5-6: each record's data, and the records together -----------------------------------


class _Problem(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def check_records(export: Export, now: datetime, store: RecordStore) -> None:
    """Steps 5 and 6, against the store the import adds to (read only). Raises one
    refusal naming the first bad record and field."""
    seen: set[tuple[str, str, int]] = set()
    decoded: dict[tuple[str, str], list[tuple[Record, object]]] = {}
    for number, record in enumerate(export.records, start=1):
        marker = (record.kind, record.id, record.version)
        try:
            if marker in seen:
                raise _Problem("version", f"version {record.version} appears twice")
            seen.add(marker)
            value = _check_value(record, export, now)
        except _Problem as problem:
            raise _refuse_record(number, record, problem.field, problem.message) from None
        decoded.setdefault((record.kind, record.id), []).append((record, value))
    _check_version_numbers(export, decoded, store)
    _check_references(export, decoded, store)


def _refuse_record(number: int, record: Record, field: str, message: str) -> InvalidInput:
    return refusal(f"Record {number} ({record.kind} {record.id}, version {record.version}), "
                   f"{field}: {message} Nothing was imported.")


def _check_value(record: Record, export: Export, now: datetime) -> object:
    if record.kind == ASSESSMENT_KIND:
        _check_assessment(record.data, now)
        return record.data
    cls = PATIENT_KINDS[record.kind]
    try:
        value: Any = from_json(cls, record.data, strict=True)
    except DecodeError as exc:
        raise _Problem(exc.field, exc.message[:1].upper() + exc.message[1:] + ".") from None
    own_id = export.patient_id if cls in (Account, ReminderPrefs) else record.id
    if value.id != record.id or value.id != own_id:
        # The services correct a record by the id in its data: a mismatch would let a
        # later correction land on whatever record that id names.
        raise _Problem("id", "The id in the data is not the record's own id.")
    if getattr(value, "patient_id", export.patient_id) != export.patient_id:
        raise _Problem("patient_id", "It names another patient.")
    _check_plain_values(value, now)
    problems = Problems()
    try:
        _KIND_RULES.get(cls, _no_more)(value, problems, export)
        problems.raise_if_any()
    except InvalidInput as exc:
        field, message = next(iter(exc.problems.items()))
        raise _Problem(field, message) from None
    return value


def _check_plain_values(value: object, now: datetime) -> None:
    """Rules every field of every kind shares: ids look like ids, text has a sane length,
    times and dates lie between EARLIEST_TIME and now."""
    problems = Problems()
    # Another zone's "today" can be a day ahead of the clinic's clock.
    today = (now + timedelta(days=1)).date()
    for spec in dataclasses.fields(value):  # type: ignore[arg-type]
        item = getattr(value, spec.name)
        name = spec.name
        if isinstance(item, datetime):
            problems.when(name, item, now)
        elif isinstance(item, date):
            problems.day(name, item, today)
        elif isinstance(item, str) and (name == "id" or name.endswith("_id")
                                        or name == "recorded_by"):
            if not ID.fullmatch(item):
                problems.add(name, "This is not an id BackTrack makes.")
        elif isinstance(item, str) and len(item) > NOTE_MAX_CHARS:
            problems.add(name, f"Text can be up to {NOTE_MAX_CHARS:,} characters; this has "
                               f"{len(item):,}.")
        elif isinstance(item, tuple) and all(isinstance(x, str) for x in item) \
                and len(set(item)) != len(item):
            problems.add(name, "The same region is listed twice.")
    try:
        problems.raise_if_any()
    except InvalidInput as exc:
        field, message = next(iter(exc.problems.items()))
        raise _Problem(field, message) from None


def _no_more(value: Any, p: Problems, export: Export) -> None:
    """Kinds whose every field is covered by the shared rules (grants)."""


def _entry(value: Any, p: Problems, export: Export) -> None:
    """What the screens check when the entry is typed (app.domain.entries)."""
    e.recheck(value)
    if isinstance(value, e.CheckIn):
        if value.worst_24h is not None and value.worst_24h < value.pain_now:
            p.add("worst_24h", "Worst pain in the last 24 hours can't be lower than pain now.")
        if len(value.psfs) > PSFS_MAX_ACTIVITIES:
            p.add("psfs", f"A check-in rates at most {PSFS_MAX_ACTIVITIES} activities.")
    elif isinstance(value, e.NeedlingSession) and not value.regions:
        p.add("regions", "Pick at least one region that was needled.")
    elif isinstance(value, e.OdiAnswer):
        if len(value.sections) != ODI_SECTIONS:
            p.add("sections", f"The questionnaire has {ODI_SECTIONS} sections.")
        elif all(s is None for s in value.sections):
            p.add("sections", "Answer at least one section.")


def _account(value: Account, p: Problems, export: Export) -> None:
    if value.role is not Role.PATIENT:
        p.add("role", "An export holds only the patient's own account.")
    if value.email != normalise_email(value.email) or not is_valid_email(value.email):
        p.add("email", "This is not a valid email address.")
    p.name("name", value.name, NAME_MAX_CHARS, "a name")
    check_timezone(p, value.timezone)


def _audit(value: AuditEvent, p: Problems, export: Export) -> None:
    if value.actor_role not in {r.value for r in Role}:
        p.add("actor_role", "This is not a role BackTrack knows.")
    if not _ACTION.fullmatch(value.action):
        p.add("action", "This is not an action BackTrack records.")


def _prefs(value: ReminderPrefs, p: Problems, export: Export) -> None:
    check_prefs(value)


def _follow_up(value: FollowUp | Acknowledgement, p: Problems, export: Export) -> None:
    """What app.domain.followup checks when the patient or clinician answers."""
    if isinstance(value, FollowUp):
        if value.got_help not in GOT_HELP:
            p.add("got_help", "Not one of the answers to 'Did you get help?'.")
        if value.feeling not in FEELING:
            p.add("feeling", "Not one of the answers to 'How are you now?'.")
    else:
        p.name("clinician_name", value.clinician_name, NAME_MAX_CHARS, "a name")
    p.note("note", value.note)


_KIND_RULES: Final[dict[type, Callable[[Any, Problems, Export], None]]] = {
    e.CheckIn: _entry, e.NeedlingSession: _entry, e.SorenessEntry: _entry,
    e.PsfsActivity: _entry, e.Milestone: _entry, e.OdiAnswer: _entry, e.PgicAnswer: _entry,
    Account: _account, AuditEvent: _audit, ReminderPrefs: _prefs, FollowUp: _follow_up,
    Acknowledgement: _follow_up,
}


def _check_assessment(data: dict[str, Any], now: datetime) -> None:
    """A saved guidance answer: the report as the checker accepts it, the answer in the
    shape the history and the report read back, and a time with a zone."""
    unknown = set(data) - _ASSESSMENT_KEYS
    if unknown:
        raise _Problem(field_names(unknown), "Not a field of a guidance answer.")
    try:
        parse_report(data.get("input"))
    except DomainError as exc:
        raise _Problem("input", f"Not a valid symptom report ({exc}).") from None
    _check_result(data.get("result"))
    assessed_at = data.get("assessed_at")
    if not isinstance(assessed_at, str) or not is_aware(assessed_at):
        raise _Problem("assessed_at", "Should be a time with a time zone.")
    p = Problems()
    p.when("assessed_at", datetime.fromisoformat(assessed_at), now)
    if p.has("assessed_at"):
        raise _Problem("assessed_at", "Is before 1900 or in the future.")
    rulebook = data.get("rulebook")
    if rulebook is not None and (
            not isinstance(rulebook, dict) or set(rulebook) - {"reviewed_on", "fingerprint"}
            or not all(isinstance(v, str) and len(v) <= 100 for v in rulebook.values())):
        raise _Problem("rulebook", "Should name the rulebook's review date and fingerprint.")


def _check_result(result: object) -> None:
    field = "result"
    if not isinstance(result, dict) or set(result) != {"level", "reasons", "advice",
                                                       "check_again_hours"}:
        raise _Problem(field, "Not a guidance answer (level, reasons, advice, "
                              "check_again_hours).")
    reasons = result["reasons"]
    hours = result["check_again_hours"]
    if result["level"] not in TIERS:
        raise _Problem("result.level", f"Should be one of {', '.join(TIERS)}.")
    if not isinstance(reasons, list) or not reasons or not all(
            isinstance(r, dict) and set(r) == {"rule", "text", "source"}
            and all(isinstance(v, str) and len(v) <= NOTE_MAX_CHARS for v in r.values())
            for r in reasons):
        raise _Problem("result.reasons", "Should list each reason's rule, text and source.")
    if not isinstance(result["advice"], str) or len(result["advice"]) > NOTE_MAX_CHARS:
        raise _Problem("result.advice", "Should be the advice as text.")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= 24 * 30:
        raise _Problem("result.check_again_hours", "Should be whole hours, 0 to 720.")
    Assessment.from_json(result)  # the reader the history uses: must accept it


def _check_references(export: Export,
                      decoded: dict[tuple[str, str], list[tuple[Record, object]]],
                      store: RecordStore) -> None:
    """Soreness belongs to one of this patient's sessions; check-ins rate this patient's
    activities (either already here or in the file); the patient keeps at most
    PSFS_MAX_ACTIVITIES activities, as the screens allow."""

    def exists(kind: str, record_id: str) -> bool:
        if (kind, record_id) in decoded:
            return True
        held = store.latest(kind, record_id)
        return held is not None and held.owner == export.patient_id

    _check_activity_count(export, decoded, store)
    for number, record in enumerate(export.records, start=1):
        value = next(v for r, v in decoded[(record.kind, record.id)] if r is record)
        answer = value.assessment_id if isinstance(value, FollowUp) else \
            value.id if isinstance(value, Acknowledgement) else None
        if answer is not None and not exists(ASSESSMENT_KIND, answer):
            raise _refuse_record(number, record, "assessment_id" if isinstance(
                value, FollowUp) else "id", "Not one of the patient's guidance answers.")
        if isinstance(value, e.SorenessEntry) and not exists(kinds.SESSION, value.session_id):
            raise _refuse_record(number, record, "session_id",
                                 "Not one of the patient's needling sessions.")
        if isinstance(value, e.CheckIn):
            for activity_id in value.psfs:
                if not exists(kinds.ACTIVITY, activity_id):
                    raise _refuse_record(number, record, f"psfs.{activity_id[:40]}",
                                         "Not one of the patient's activities.")


def _check_activity_count(export: Export,
                          decoded: dict[tuple[str, str], list[tuple[Record, object]]],
                          store: RecordStore) -> None:
    """After the import, each activity's newest version (here or in the file) decides
    whether it is current; no more may be current than the screens let a patient pick."""
    newest: dict[str, tuple[Record, object]] = {}
    for held in store.find(Query(kinds.ACTIVITY, owner=export.patient_id)):
        newest[held.id] = (held, from_json(e.PsfsActivity, held.data))
    for (kind, record_id), versions in decoded.items():
        if kind != kinds.ACTIVITY:
            continue
        candidate = max(versions, key=lambda pair: pair[0].version)
        if record_id not in newest or newest[record_id][0].version < candidate[0].version:
            newest[record_id] = candidate
    current = sum(1 for record, value in newest.values()
                  if not record.deleted and isinstance(value, e.PsfsActivity)
                  and not value.retired)
    if current > PSFS_MAX_ACTIVITIES:
        raise refusal(f"After this import the patient would have {current} activities in "
                      f"their functional scale; the screens allow at most "
                      f"{PSFS_MAX_ACTIVITIES}. Nothing was imported.")


def _check_version_numbers(export: Export,
                           decoded: dict[tuple[str, str], list[tuple[Record, object]]],
                           store: RecordStore) -> None:
    """A record's versions, here and in the file together, go 1, 2, 3… without a gap:
    the store refuses to open over a gap, so it refuses to write one."""
    for (kind, record_id), versions in decoded.items():
        numbers = sorted({r.version for r in store.history(kind, record_id)}
                         | {r.version for r, _ in versions})
        gap = next((n for n, v in enumerate(numbers, start=1) if v != n), None)
        if gap is not None:
            record = versions[0][0]
            raise _refuse_record(export.records.index(record) + 1, record, "version",
                                 f"This record would have no version {gap} (versions go "
                                 "1, 2, 3…).")
