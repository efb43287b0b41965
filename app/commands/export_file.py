"""Writing what `python -m app export` produces: a patient's whole record (JSON), their
progress report (HTML) or their record as a FHIR R4B bundle (for health records systems).
All are health data, so the file is private to the clinic's account (0600, like the store
and its backups) and appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.errors import InvalidInput
from app.store.journal.files import write_file_atomically

# `--format` on the command line → the export door's format (app.services.exports).
FORMATS: dict[str, str] = {"json": "json", "html": "report", "fhir": "fhir"}


def export_format(choice: str) -> str:
    """The ExportService format for a `--format` choice (html is the progress report)."""
    return FORMATS[choice]


def write_export(path: Path, text: str) -> None:
    """Write `text` to `path` (0600, atomically). A folder or device is refused: replacing
    one by renaming over it would destroy it."""
    if path.exists() and not path.is_file():
        raise InvalidInput.one("out", f"{path} is not a file. Choose a file name for --out.")
    write_file_atomically(path, [text.encode("utf-8")])
