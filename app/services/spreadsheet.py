"""A patient's record for spreadsheets: one ZIP with a CSV per kind of entry (check-ins,
needling sessions, soreness, milestones), latest versions, times in the patient's zone.

Opening a CSV in a spreadsheet can run text that starts like a formula; notes and names
are the patient's own words, so such cells get a leading apostrophe (the usual defence
against CSV injection). The JSON export stays the restorable, complete one.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

from app.domain.accounts import Account
from app.domain.entries import hours_since
from app.domain.kinds import CHECK_IN, CSV_TABLES, MILESTONE, SESSION, SORENESS
from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.domain.zones import to_local
from app.services.logbook import Logbook, PatientData

PURPOSE: Final = "export:csv"
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class CsvZipExport:
    """The spreadsheet export (app.services.exports.Exporter). Reads the record as the
    patient's own: ExportService checked and audited the actor before calling it."""

    name = "csv"
    media_type = "application/zip"
    file_suffix = ".zip"

    def __init__(self, logbook: Logbook) -> None:
        self.logbook = logbook

    def export(self, actor: Account | None, patient: Account) -> bytes:
        return _zip(self.logbook.load(patient, patient.id, PURPOSE))


def export_csv_zip(logbook: Logbook, actor: Account, patient_id: str) -> bytes:
    """The ZIP's bytes, access-checked here (a clinician's export is audited once). Kept
    for callers that predate ExportService.export(actor, patient, "csv")."""
    return _zip(logbook.load(actor, patient_id, PURPOSE))


def _zip(data: PatientData) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _tables(data).items():
            archive.writestr(name, _csv(rows))
    return out.getvalue()


def _csv(rows: Iterable[Sequence[object]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    # A byte-order mark so spreadsheet programs read the file as UTF-8 (names, accents).
    return "\ufeff" + text.getvalue()


def _tables(data: PatientData) -> dict[str, list[list[object]]]:
    zone = data.patient.timezone

    def stamp(moment: datetime) -> list[object]:
        local = to_local(moment, zone)
        return [f"{local:%Y-%m-%d}", f"{local:%H:%M}"]

    names = {a.id: a.name for a in data.activities}
    for check_in in data.check_ins:
        for activity_id in check_in.value.psfs:
            names.setdefault(activity_id, "Earlier activity")
    activity_ids = list(names)
    check_ins: list[list[object]] = [[
        "date", "time", "pain now (0-10)", "worst in 24 h (0-10)", "where it hurts",
        *(safe(f"{names[a]} (0-10)") for a in activity_ids), "note"]]
    for c in (v.value for v in data.check_ins):
        check_ins.append([
            *stamp(c.recorded_at), c.pain_now, "" if c.worst_24h is None else c.worst_24h,
            "; ".join(PAIN_REGIONS.get(r, r) for r in c.regions),
            *(c.psfs.get(a, "") for a in activity_ids), safe(c.note)])
    sessions: list[list[object]] = [["date", "time", "areas needled", "note"]]
    for s in (v.value for v in data.sessions):
        sessions.append([*stamp(s.performed_at),
                         "; ".join(NEEDLING_REGIONS.get(r, r) for r in s.regions),
                         safe(s.note)])
    soreness: list[list[object]] = [[
        "date", "time", "soreness (0-10)", "hours after the session", "session date", "note"]]
    for e in (v.value for v in data.soreness):
        session = data.session(e.session_id)
        soreness.append([
            *stamp(e.recorded_at), e.soreness,
            "" if session is None else f"{hours_since(session, e.recorded_at):.0f}",
            "" if session is None else stamp(session.performed_at)[0], safe(e.note)])
    milestones: list[list[object]] = [["date", "milestone", "note"]]
    for m in (v.value for v in data.milestones):
        milestones.append([f"{m.achieved_on:%Y-%m-%d}", safe(m.text), safe(m.note)])
    tables = {CHECK_IN: check_ins, SESSION: sessions, SORENESS: soreness,
              MILESTONE: milestones}
    # Each table under its kind's file name in the registry (tests/services/test_kinds.py
    # checks that every kind the registry gives a table has one here).
    return {CSV_TABLES[kind]: rows for kind, rows in tables.items()}
