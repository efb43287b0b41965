"""Reading the file for `python -m app import [--format json|fhir] FILE`.

The file is read and parsed before the store is opened, so a missing, unreadable, huge,
non-UTF-8, non-JSON or damaged file is refused (one line, exit 2) without touching the
data folder. A FHIR bundle is also mapped back to records then (every resource it does
not understand refused by name: app.services.fhir_import).
What needs the store (ids already taken, the patient's sessions) is checked by
Portability.import_export, still before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.domain.errors import InvalidInput
from app.services import import_checks as checks
from app.services.fhir_import import LEFT_OUT_REMINDERS, FhirRead, import_bundle, read_bundle
from app.services.portability import Imported, Portability, read_export

FORMATS = ("json", "fhir")


def read_import_file(path: Path, fmt: str = "json") -> checks.Export | FhirRead:
    """The file's export (`fmt` json) or bundle (`fmt` fhir), checked as far as can be
    without the store. Raises InvalidInput (field "file") naming the problem."""
    raw = _read_bytes(path)
    if fmt == "fhir":
        return read_bundle(raw, datetime.now(UTC))
    return read_export(raw)


def read_export_file(path: Path) -> checks.Export:
    """A JSON export file (see `read_import_file`)."""
    return read_export(_read_bytes(path))


def run_import(portability: Portability, read: checks.Export | FhirRead) -> Imported:
    """Write what `read_import_file` read (all or nothing, after the store's checks)."""
    if isinstance(read, FhirRead):
        return import_bundle(portability, read)
    return portability.import_export(read)


def left_out_line(kind: str, count: int) -> str:
    """What the command says about records an import left out on purpose."""
    if kind == LEFT_OUT_REMINDERS:
        return (f"Left out {count} reminder(s) (CommunicationRequest): a reminder plan "
                "belongs to the clinic that made it; the care team here sets new ones.")
    return (f"Left out {count} {kind} version(s): an import never changes an existing "
            "account, its sharing or its audit trail, and sharing codes stay where they "
            "were made.")


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(checks.MAX_IMPORT_BYTES + 1)  # one more byte tells "too big"
    except FileNotFoundError:
        raise checks.refusal(f"There is no file {path}. Nothing was imported.") from None
    except IsADirectoryError:
        raise checks.refusal(f"{path} is a folder, not an export file. "
                             "Nothing was imported.") from None
    except OSError as exc:
        raise checks.refusal(f"{path} cannot be read ({exc.strerror}). "
                             "Nothing was imported.") from None


@contextmanager
def naming_the_file(path: Path) -> Iterator[None]:
    """A refusal of the file starts with the file's name ("FILE: Record 6 (…) …"), the
    way compilers name the file a problem is in."""
    try:
        yield
    except InvalidInput as exc:
        if set(exc.problems) != {"file"}:
            raise
        raise InvalidInput.one(str(path), exc.problems["file"]) from None
