"""Reading the file for `python -m app import FILE`.

The file is read and parsed before the store is opened, so a missing, unreadable, huge,
non-UTF-8, non-JSON or damaged file is refused (one line, exit 2) without touching the
data folder.
What needs the store (ids already taken, the patient's sessions) is checked by
Portability.import_export, still before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.domain.errors import InvalidInput
from app.services import import_checks as checks
from app.services.portability import read_export


def read_export_file(path: Path) -> checks.Export:
    """The file's export, checked as far as can be without the store. Raises InvalidInput
    (field "file") naming the problem."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(checks.MAX_IMPORT_BYTES + 1)  # one more byte tells "too big"
    except FileNotFoundError:
        raise checks.refusal(f"There is no file {path}. Nothing was imported.") from None
    except IsADirectoryError:
        raise checks.refusal(f"{path} is a folder, not an export file. "
                             "Nothing was imported.") from None
    except OSError as exc:
        raise checks.refusal(f"{path} cannot be read ({exc.strerror}). "
                             "Nothing was imported.") from None
    return read_export(raw)


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
