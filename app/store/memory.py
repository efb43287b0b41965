"""An in-memory RecordStore: the reference semantics of the contract, and a fast fake for
service tests. Not durable.

The rules every implementation shares live here too (next_version, checked_import,
encoded, matches), so the durable store cannot drift from the reference.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from app.store.interfaces import (
    Change,
    JSONDict,
    Query,
    Record,
    RecordRefused,
    VersionConflict,
)
from app.store.stamps import OwnerStamps

# Strict JSON (no NaN/Infinity, only JSON types): what the durable store can write and read.
_STRICT = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def encoded(record: Record) -> str:
    """The version as compact strict JSON; RecordRefused if it is not plain JSON."""
    try:
        return _STRICT.encode(record.to_json())
    except (TypeError, ValueError) as exc:
        raise RecordRefused(record.kind, record.id, record.version,
                            f"holds a value that is not plain JSON ({exc})") from exc


def _check_data(kind: str, record_id: str, version: int | None, data: object) -> None:
    if not isinstance(data, dict):
        raise RecordRefused(kind, record_id, version, "has data that is not a JSON object")
    if "id" in data and data["id"] != record_id:
        # The services find an entry by the id in its data: a record filed under one id
        # but naming another would let it take that other record over on a correction.
        raise RecordRefused(kind, record_id, version,
                            f"names another id in its data ({data['id']!r})")


def next_version(kind: str, record_id: str, latest: Record | None, data: JSONDict, *,
                 owner: str | None, expected_version: int | None,
                 deleted: bool) -> Record:
    """A record's next version, not yet stored (shared by every implementation). Raises
    VersionConflict unless `expected_version` is None or the latest version's number
    (0 = the record must not exist yet); RecordRefused if the data names another id."""
    _check_data(kind, record_id, None, data)
    current = latest.version if latest is not None else 0
    if expected_version is not None and expected_version != current:
        raise VersionConflict(
            f"{kind} {record_id} is at version {current}, expected {expected_version}"
        )
    return Record(kind=kind, id=record_id, version=current + 1, data=dict(data), owner=owner,
                  saved_at=utc_now_iso(), deleted=deleted)


def next_versions(changes: Sequence[Change],
                  latest: Callable[[str, str], Record | None]) -> list[Record]:
    """The next version of each changed record, every check done before any is stored
    (save_all: all or none)."""
    keys = [(c.kind, c.record_id) for c in changes]
    if len(set(keys)) != len(keys):
        raise ValueError("save_all changes each record at most once")
    return [next_version(c.kind, c.record_id, latest(c.kind, c.record_id), c.data,
                         owner=c.owner, expected_version=c.expected_version,
                         deleted=c.deleted)
            for c in changes]


def checked_import(records: Iterable[Record],
                   held: Callable[[str, str], list[Record]]) -> list[Record]:
    """The versions of `records` not held yet, in the order given, once the whole batch has
    passed the checks the store applies when it opens and those that keep one record from
    taking over another (RecordRefused otherwise; shared by every implementation)."""
    fresh: list[Record] = []
    seen: dict[tuple[str, str, int], Record] = {}
    added: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        kind, record_id, version = record.kind, record.id, record.version
        if not isinstance(kind, str) or not kind or not isinstance(record_id, str) \
                or not record_id:
            raise RecordRefused(str(kind), str(record_id), None, "has no kind or no id")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RecordRefused(kind, record_id, None,
                                f"has version {version!r}; versions start at 1")
        _check_data(kind, record_id, version, record.data)
        if not isinstance(record.deleted, bool) or not isinstance(record.saved_at, str) \
                or not (record.owner is None or isinstance(record.owner, str)):
            raise RecordRefused(kind, record_id, version, "has a malformed envelope")
        marker = (kind, record_id, version)
        if marker in seen:
            if seen[marker] != record:
                raise RecordRefused(kind, record_id, version, "is there twice, differently")
            continue
        seen[marker] = record
        if any(v.version == version for v in held(kind, record_id)):
            continue  # already imported: importing again is harmless
        fresh.append(record)
        added.setdefault((kind, record_id), []).append(record)
    for (kind, record_id), new in added.items():
        stored = held(kind, record_id)
        numbers = sorted([v.version for v in stored] + [v.version for v in new])
        gap = next((n for n, v in enumerate(numbers, start=1) if v != n), None)
        if gap is not None:
            raise RecordRefused(kind, record_id, None,
                                f"would have no version {gap} (versions go 1, 2, 3...)")
        owners = {v.owner for v in new} | ({stored[-1].owner} if stored else set())
        if len(owners) > 1:
            raise RecordRefused(kind, record_id, None,
                                "names another owner than the record's other versions")
    return fresh


def matches(record: Record, query: Query) -> bool:
    """Whether a latest version answers a query (shared by every implementation)."""
    if record.kind != query.kind:
        return False
    if query.owner is not None and record.owner != query.owner:
        return False
    if record.deleted and not query.include_deleted:
        return False
    return all(record.data.get(key) == value for key, value in query.where.items())


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._versions: dict[tuple[str, str], list[Record]] = {}
        self._order: list[tuple[str, str]] = []  # first-save order of records
        self._stamps = OwnerStamps()

    def _add(self, record: Record) -> None:
        key = (record.kind, record.id)
        versions = self._versions.get(key)
        if versions is None:
            versions = self._versions[key] = []
            self._order.append(key)
        elif versions[-1].owner != record.owner:
            self._stamps.saved(versions[-1].owner, record.kind)
        self._stamps.saved(record.owner, record.kind)
        versions.append(record)
        versions.sort(key=lambda v: v.version)

    def _latest(self, kind: str, record_id: str) -> Record | None:
        versions = self._versions.get((kind, record_id))
        return versions[-1] if versions else None

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
        return self.save_all([Change(kind, record_id, data, owner, expected_version,
                                     deleted)])[0]

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        with self._lock:
            records = next_versions(changes, self._latest)
            for record in records:
                encoded(record)  # what the durable store could not write is refused here too
            for record in records:
                self._add(record)
            return records

    def latest(self, kind: str, record_id: str) -> Record | None:
        with self._lock:
            return self._latest(kind, record_id)

    def history(self, kind: str, record_id: str) -> list[Record]:
        with self._lock:
            return list(self._versions.get((kind, record_id), []))

    def find(self, query: Query) -> list[Record]:
        with self._lock:
            latest = (self._versions[key][-1] for key in self._order)
            return [record for record in latest if matches(record, query)]

    def owner_history(self, owner: str) -> list[Record]:
        with self._lock:
            everything = [v for key in self._order for v in self._versions[key]]
        return sorted((r for r in everything if r.owner == owner), key=lambda r: r.saved_at)

    def import_versions(self, records: Iterable[Record]) -> int:
        with self._lock:
            fresh = checked_import(records, lambda k, i: self._versions.get((k, i), []))
            for record in fresh:
                encoded(record)
            for record in fresh:
                self._add(record)
            return len(fresh)

    def purge_owner(self, owner: str) -> int:
        with self._lock:
            doomed = [k for k in self._order if self._versions[k][-1].owner == owner]
            count = sum(len(self._versions.pop(k)) for k in doomed)
            self._order = [k for k in self._order if k not in set(doomed)]
            self._stamps.purged(owner)
            return count

    def owner_stamp(self, owner: str, ignoring: frozenset[str] = frozenset()) -> int:
        with self._lock:
            return self._stamps.stamp(owner, ignoring)

    def close(self) -> None:
        pass
