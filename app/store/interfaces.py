"""The store contract the services depend on: an append-only, versioned record store.

Every save appends a *version* of a record; nothing is overwritten. A correction is a
new version of the same record id, so the original stays in history (CareKit's model).
Records are plain JSON-able dicts tagged with a kind ("pain_entry", "account", ...)
and, for patient data, the owning patient's id. No TinyDB type crosses this boundary,
so another implementation (PostgreSQL for larger clinics) can stand in later.

Exceptions::

    StoreError
    ├── StoreCorrupt      a data file is damaged, missing or rolled back; names the
    │                     file and the restore command
    ├── StoreLocked       another process has this data folder open
    └── VersionConflict   a save expected version N but the record has moved on
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.domain.errors import Conflict

JSONDict = dict[str, Any]


class StoreError(Exception):
    """Base class of every store failure."""


RESTORE_COMMAND = "python -m app restore BACKUP_FILE"


class StoreCorrupt(StoreError):
    """A data file is damaged, missing or stale (rolled back). The message names the file and
    the restore command; the store has not started and has changed no file."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"The data file {path} is not usable: {detail}. BackTrack did not start and "
            f"changed no file. Restore the last backup with: {RESTORE_COMMAND} (add "
            f"--data-dir if you use one); the files found now are kept aside, not deleted."
        )


class StoreLocked(StoreError):
    """Another BackTrack process already has this data folder open."""


class VersionConflict(StoreError, Conflict):
    """The record was changed by someone else since it was read."""


@dataclass(frozen=True)
class Record:
    """One stored version of one record."""

    kind: str
    id: str
    version: int  # 1 for the first save, +1 for each correction
    data: JSONDict
    owner: str | None = None  # the patient whose data this is; None for clinic-level records
    saved_at: str = ""  # ISO-8601 UTC time the store accepted this version
    deleted: bool = False  # a tombstone version: the record was withdrawn

    def to_json(self) -> JSONDict:
        return {
            "kind": self.kind,
            "id": self.id,
            "version": self.version,
            "owner": self.owner,
            "saved_at": self.saved_at,
            "deleted": self.deleted,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Record:
        return cls(
            kind=str(raw["kind"]),
            id=str(raw["id"]),
            version=int(raw["version"]),
            data=dict(raw["data"]),
            owner=raw.get("owner"),
            saved_at=str(raw.get("saved_at", "")),
            deleted=bool(raw.get("deleted", False)),
        )


@dataclass(frozen=True)
class Query:
    """Which latest versions to return. Every given field must match exactly."""

    kind: str
    owner: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)  # top-level keys of `data`
    include_deleted: bool = False


class RecordStore(Protocol):
    """A durable, thread-safe, append-only store of versioned records.

    `save` returns only after the version is on disk (fsynced): it survives a crash.
    """

    def save(
        self,
        kind: str,
        record_id: str,
        data: JSONDict,
        *,
        owner: str | None = None,
        expected_version: int | None = None,
        deleted: bool = False,
    ) -> Record:
        """Append a new version. With `expected_version`, raise VersionConflict unless the
        latest stored version is exactly that (0 = the record must not exist yet)."""
        ...

    def latest(self, kind: str, record_id: str) -> Record | None:
        """The newest version of a record, or None (tombstones are returned as such)."""
        ...

    def history(self, kind: str, record_id: str) -> list[Record]:
        """Every version of a record, oldest first."""
        ...

    def find(self, query: Query) -> list[Record]:
        """Latest versions matching the query, in save order."""
        ...

    def owner_history(self, owner: str) -> list[Record]:
        """Every version of every record owned by one patient, in save order (for export)."""
        ...

    def import_versions(self, records: Iterable[Record]) -> int:
        """Add versions made elsewhere (import/restore of one patient); skip ones already
        present. Returns how many were added."""
        ...

    def purge_owner(self, owner: str) -> int:
        """Erase every version owned by a patient (deletion on request). Returns the count."""
        ...

    def close(self) -> None: ...
