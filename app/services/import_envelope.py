"""Steps 1–4 of reading a patient export (app.services.import_checks lists all six):
the bytes, the JSON, the document and each record's envelope, all without the store.

Also the shared parts of every step: `refusal` (one message for the file), `Export` (what
passed these steps) and the patterns for ids and times. Nothing here writes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from app.domain import kinds
from app.domain.accounts import is_valid_email, normalise_email
from app.domain.errors import InvalidInput
from app.store.interfaces import Record

# A year of daily check-ins with a few corrections is about 1 MB; this leaves room for
# decades while keeping a crafted file from filling the server's memory.
MAX_IMPORT_BYTES: Final = 64 * 1024 * 1024
# The deepest real export is 5 levels (document → records → record → data → list).
MAX_NESTING: Final = 16
# Far beyond any real number of corrections; keeps version numbers plain small integers.
MAX_VERSION: Final = 1_000_000
# Ids the app makes are uuid hex, invite codes (AB12-CD34-EF56) or patient ids.
ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
_DOCUMENT_KEYS: Final = {"format", "format_version", "exported_at", "patient", "records"}
_PATIENT_KEYS: Final = {"id", "email", "name"}
_RECORD_KEYS: Final = {"kind", "id", "version", "owner", "saved_at", "deleted", "data"}

# The kinds an export may hold and the type each decodes into: app.domain.kinds.
PATIENT_KINDS: Final[dict[str, type]] = kinds.EXPORTED_ENTRIES
KNOWN_KINDS: Final = kinds.EXPORTED
ASSESSMENT_KIND: Final = kinds.ASSESSMENT


def refusal(message: str) -> InvalidInput:
    return InvalidInput.one("file", message)


@dataclass(frozen=True)
class Export:
    """A document that passed steps 1–4: whose it claims to be and its records."""

    patient_id: str
    email: str
    records: list[Record]


# -- 1-2: bytes and JSON ------------------------------------------------------------------


def decode_bytes(raw: bytes) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise refusal(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; "
                      "a patient export is far smaller. Nothing was imported.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusal(f"The file is not UTF-8 text (byte {exc.start}). This is not a "
                      "BackTrack export. Nothing was imported.") from None


def parse_json(text: str) -> object:
    if len(text) > MAX_IMPORT_BYTES:
        raise refusal(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; "
                      "a patient export is far smaller. Nothing was imported.")
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite,
                              object_pairs_hook=_no_repeats)
    except json.JSONDecodeError as exc:
        raise refusal(f"This is not a BackTrack export: not JSON (line {exc.lineno}, "
                      f"column {exc.colno}: {exc.msg}). Nothing was imported.") from None
    except RecursionError:
        raise refusal("The file is nested far deeper than an export. "
                      "Nothing was imported.") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise refusal(f"This is not a BackTrack export ({exc}). Nothing was imported.") \
            from None
    if _too_deep(document):
        raise refusal(f"The file is nested more than {MAX_NESTING} levels deep, far "
                      "deeper than an export. Nothing was imported.")
    return document


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number an export can contain")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e5000 reads as infinity
        raise ValueError(f"{text[:20]} is not a number an export can contain")
    return number


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return found


def _too_deep(document: object) -> bool:
    """Without recursion: the checks below and the store walk values recursively."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


# -- 3-4: the document and each record's envelope -------------------------------------


def read_export(document: object, fmt: str, version: int) -> Export:
    if not isinstance(document, dict) or document.get("format") != fmt:
        raise refusal("This is not a BackTrack patient export.")
    found = document.get("format_version")
    if isinstance(found, int) and not isinstance(found, bool) and found > version:
        raise refusal("This export was made by a newer BackTrack.")
    if found != version or isinstance(found, bool):
        raise refusal(f"format_version should be {version}. Nothing was imported.")
    unknown = set(document) - _DOCUMENT_KEYS
    if unknown:
        raise refusal(f"The export has fields BackTrack does not write: "
                      f"{field_names(unknown)}. Nothing was imported.")
    patient = document.get("patient")
    if not isinstance(patient, dict) or set(patient) - _PATIENT_KEYS or \
            not isinstance(patient.get("id"), str) or \
            not isinstance(patient.get("email"), str):
        raise refusal("The export's patient block (id, email, name) is missing or "
                      "damaged. Nothing was imported.")
    patient_id, email = patient["id"], patient["email"]
    if not ID.fullmatch(patient_id):
        raise refusal("The patient id in the export is not an id BackTrack makes.")
    if email != normalise_email(email) or not is_valid_email(email):
        raise refusal("The patient's email in the export is not a valid email address.")
    raw_records = document.get("records")
    if not isinstance(raw_records, list):
        raise refusal("The export's records are missing (no list of records).")
    records = [_record(n, raw, patient_id) for n, raw in enumerate(raw_records, start=1)]
    return Export(patient_id, email, records)


def field_names(keys: set[str]) -> str:
    return ", ".join(sorted(repr(k[:40]) for k in keys)[:5])


def _record(number: int, raw: object, patient_id: str) -> Record:
    """One record's envelope. Refusals read "Record 6 (check_in 3fa…), version: …", like
    those about its data (see `_refuse_record`)."""
    def bad(why: str, field: str = "", where: str = "") -> InvalidInput:
        return refusal(f"Record {number}{f' ({where})' if where else ''}"
                       f"{f', {field}' if field else ''}: {why}. Nothing was imported.")

    if not isinstance(raw, dict):
        raise bad("Not an object")
    unknown = set(raw) - _RECORD_KEYS
    if unknown:
        raise bad(f"Fields BackTrack does not write ({field_names(unknown)})")
    kind, record_id, version = raw.get("kind"), raw.get("id"), raw.get("version")
    if not isinstance(kind, str) or kind not in KNOWN_KINDS:
        raise bad("Not a kind of record a patient's export holds", "kind")
    if not isinstance(record_id, str) or not ID.fullmatch(record_id):
        raise bad("Not an id BackTrack makes", "id", kind)
    where = f"{kind} {record_id}"
    if isinstance(version, bool) or not isinstance(version, int) or \
            not 1 <= version <= MAX_VERSION:
        raise bad(f"Should be a whole number from 1 to {MAX_VERSION:,}", "version", where)
    if raw.get("owner") != patient_id:
        raise bad("Someone else than the patient of this export", "owner", where)
    saved_at = raw.get("saved_at")
    if not isinstance(saved_at, str) or not is_aware(saved_at):
        raise bad("Should be a time with a time zone", "saved_at", where)
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise bad("Should be true or false", "deleted", where)
    data = raw.get("data")
    if not isinstance(data, dict):
        raise bad("Should be an object", "data", where)
    return Record(kind, record_id, version, data, patient_id, saved_at, deleted)


def is_aware(text: str) -> bool:
    try:
        return len(text) <= 40 and datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
