"""An in-memory RecordStore: the reference semantics of the contract, and a fast fake for
service tests. Not durable."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from app.store.interfaces import JSONDict, Query, Record, VersionConflict


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def next_version(kind: str, record_id: str, latest: Record | None, data: JSONDict, *,
                 owner: str | None, expected_version: int | None,
                 deleted: bool) -> Record:
    """A record's next version, not yet stored (shared by every implementation). Raises
    VersionConflict unless `expected_version` is None or the latest version's number
    (0 = the record must not exist yet)."""
    current = latest.version if latest is not None else 0
    if expected_version is not None and expected_version != current:
        raise VersionConflict(
            f"{kind} {record_id} is at version {current}, expected {expected_version}"
        )
    return Record(kind=kind, id=record_id, version=current + 1, data=dict(data), owner=owner,
                  saved_at=utc_now_iso(), deleted=deleted)


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
        with self._lock:
            key = (kind, record_id)
            versions = self._versions.get(key, [])
            record = next_version(kind, record_id, versions[-1] if versions else None, data,
                                  owner=owner, expected_version=expected_version,
                                  deleted=deleted)
            if not versions:
                self._order.append(key)
            self._versions.setdefault(key, []).append(record)
            return record

    def latest(self, kind: str, record_id: str) -> Record | None:
        with self._lock:
            versions = self._versions.get((kind, record_id))
            return versions[-1] if versions else None

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
        added = 0
        with self._lock:
            for record in records:
                key = (record.kind, record.id)
                versions = self._versions.setdefault(key, [])
                if any(v.version == record.version for v in versions):
                    continue
                if not versions:
                    self._order.append(key)
                versions.append(record)
                versions.sort(key=lambda v: v.version)
                added += 1
        return added

    def purge_owner(self, owner: str) -> int:
        with self._lock:
            doomed = [k for k in self._order if self._versions[k][-1].owner == owner]
            count = sum(len(self._versions.pop(k)) for k in doomed)
            self._order = [k for k in self._order if k not in set(doomed)]
            return count

    def close(self) -> None:
        pass
