"""Writing what `python -m app export` produces: a patient's whole record (JSON) or their
progress report (HTML). Both are health data, so the file is private to the clinic's
account (0600, like the store and its backups) and appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.errors import InvalidInput
from app.store.journal.files import write_file_atomically


def write_export(path: Path, text: str) -> None:
    """Write `text` to `path` (0600, atomically). A folder or device is refused: replacing
    one by renaming over it would destroy it."""
    if path.exists() and not path.is_file():
        raise InvalidInput.one("out", f"{path} is not a file. Choose a file name for --out.")
    write_file_atomically(path, [text.encode("utf-8")])
