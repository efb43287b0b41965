"""The store contract the services depend on: an append-only, versioned record store.

Every save appends a *version* of a record; nothing is overwritten. A correction is a
new version of the same record id, so the original stays in history (CareKit's model).
Records are plain JSON-able dicts tagged with a kind ("pain_entry", "account", ...)
and, for patient data, the owning patient's id. No TinyDB or psycopg type crosses this
boundary: the embedded journal (app/store/journal) and PostgreSQL (app/store/postgres,
several app servers on one database) both implement it, and run the same contract tests.

Exceptions::

    StoreError
    ├── StoreCorrupt      a data file is damaged, missing or rolled back; names the
    │                     file and the restore command
    ├── StoreLocked       another process has this data folder open
    ├── StoreUnavailable  the data folder cannot be opened or written (disk full,
    │                     permissions), or the database cannot be reached or is newer
    │                     than this code; one line for the operator, no data changed
    └── VersionConflict   a save expected version N but the record has moved on
                          (also a domain Conflict)

    RecordRefused         a domain InvalidInput, raised before anything is written: a
                          version the store would not open again, or one that contradicts
                          what it holds (an import's version 0, a gap, another owner...)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.domain.errors import Conflict, InvalidInput

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


class StoreUnavailable(StoreError):
    """The data folder cannot be opened or written (full disk, no permission, read-only)."""


class VersionConflict(StoreError, Conflict):
    """The record was changed by someone else since it was read."""


class RecordRefused(InvalidInput):
    """The store refused a version before writing anything of the call.

    Raised for what could later stop the store from opening or let one record take over
    another: a version below 1, versions that skip a number, a record id that is not the
    one in its data, a version naming another owner than the record's other versions.
    Callers that import files catch it (it is an InvalidInput) to name the file."""

    def __init__(self, kind: str, record_id: str, version: int | None, why: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.version = version
        which = f"{kind} {record_id}" + (f" version {version}" if version is not None else "")
        super().__init__({"record": f"{which} {why}; nothing was saved"})


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
class Change:
    """One new version in a batch saved all at once (RecordStore.save_all)."""

    kind: str
    record_id: str
    data: JSONDict
    owner: str | None = None
    expected_version: int | None = None
    deleted: bool = False


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
        latest stored version is exactly that (0 = the record must not exist yet).
        RecordRefused if `data` carries an "id" other than `record_id`."""
        ...

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        """Append one new version per change, all or none. Every `expected_version` is
        checked before anything is written (VersionConflict: nothing saved), and the
        versions are written in one atomic step: after a crash all of them are there or
        none. Each record may appear once per call (ValueError otherwise)."""
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

    def owner_stamp(self, owner: str, ignoring: frozenset[str] = frozenset()) -> int:
        """A number that grows whenever a version owned by `owner` is saved, imported or
        erased (kinds in `ignoring` aside), and stays put otherwise: whatever was worked
        out from the owner's records at stamp N still holds while the stamp is N. Kept in
        memory: compare stamps within one process only.

        Across processes (PostgresStore, several app servers on one database) it also
        grows when another process changes the owner's versions: each write sends a
        notification in its transaction and every store's listener bumps its stamps
        (app/store/postgres/listener.py). That lags the other process's commit by the
        notification's trip (milliseconds); after a lost connection every stamp moves on.
        A process sees its own writes at once."""
        ...

    def import_versions(self, records: Iterable[Record]) -> int:
        """Add versions made elsewhere (import/restore of one patient), all or none; skip
        ones already present. Returns how many were added. Every version is checked first,
        and RecordRefused (nothing written) unless: version >= 1; the record's versions,
        held and added, are 1..n without a gap; its id is the one in its data; every
        version names the same owner as the record's others."""
        ...

    def purge_owner(self, owner: str) -> int:
        """Erase every version owned by a patient (deletion on request). Returns the count."""
        ...

    def close(self) -> None: ...
