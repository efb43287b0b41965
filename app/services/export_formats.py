"""The clinic's export formats wired into one ExportService (the composition root calls
`build_exports`; a new format such as FHIR is one more exporter in this list)."""

from __future__ import annotations

from app.services.access import AccessService
from app.services.accounts import AccountService
from app.services.base import Clock, system_clock
from app.services.exports import ExportService
from app.services.fhir_export import FhirExport
from app.services.guidance import GuidanceService
from app.services.logbook import Logbook
from app.services.portability import JsonExport
from app.services.progress import ProgressService
from app.services.report import ProgressReport
from app.services.spreadsheet import CsvZipExport
from app.store.interfaces import RecordStore


def build_exports(store: RecordStore, accounts: AccountService, access: AccessService,
                  logbook: Logbook, progress: ProgressService, guidance: GuidanceService,
                  clock: Clock = system_clock) -> ExportService:
    return ExportService(accounts, access, [
        JsonExport(store, clock),
        CsvZipExport(logbook),
        ProgressReport(logbook, progress, guidance),
        FhirExport(store, clock),
    ], clock)
