"""Every stored version in memory, with the indexes queries need: per-record version lists,
an owner index, and one TinyDB table per kind holding each record's latest version.

`find()` without an owner is a `tinydb.Query` search over the kind's table. The TinyDB
storage here reads the dict this class keeps up to date in O(1) per save: going through
TinyDB's insert/update would copy the whole table on every write (Table._update_table).
Not thread-safe on its own: the JournalStore's lock guards every call.
"""

from __future__ import annotations

import bisect
import logging
from typing import Any

from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.queries import QueryInstance
from tinydb.storages import Storage

from app.store.interfaces import JSONDict, Query, Record, StoreError
from app.store.journal.lines import dumps
from app.store.journal.snapshot import Entry
from app.store.memory import matches
from app.store.stamps import OwnerStamps

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (kind, record id)


class _LiveIndexStorage(Storage):
    """A TinyDB storage over the index's own dict of latest versions, one table per kind.

    TinyDB only reads here, and query caching is off, so it always sees the current data.
    """

    def __init__(self, tables: dict[str, dict[str, JSONDict]]) -> None:
        self._tables = tables

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise StoreError("the query index is read-only; save through the store")


def _data_equals(key: str, value: Any) -> QueryInstance:
    # Same rule as memory.matches: a missing key reads as None.
    return TinyQuery().data.test(lambda data: data.get(key) == value)


def tiny_condition(query: Query) -> QueryInstance:
    parts: list[QueryInstance] = []
    if query.owner is not None:
        parts.append(TinyQuery().owner == query.owner)
    if not query.include_deleted:
        parts.append(TinyQuery().deleted.test(lambda deleted: not deleted))
    parts.extend(_data_equals(key, value) for key, value in query.where.items())
    condition = TinyQuery().noop()
    for part in parts:
        condition = condition & part
    return condition


class VersionIndex:
    """Every version held in memory (the store's lock guards every call)."""

    def __init__(self) -> None:
        self.versions: dict[Key, list[Record]] = {}
        self._ordinals: dict[Key, int] = {}  # insertion order = first-save order
        self._keys_by_ordinal: dict[int, Key] = {}
        self._ordinal_counter = 0
        self.log: list[Entry] = []  # every version in seq order: the next snapshot
        self.seq = 0
        self._tables: dict[str, dict[str, JSONDict]] = {}  # kind -> {ordinal: latest doc}
        self._index = TinyDB(self._tables, storage=_LiveIndexStorage)
        # (kind, owner of the latest version) -> ordinals in first-save order: a patient's
        # records without scanning every patient's (find with an owner).
        self._by_owner: dict[tuple[str, str | None], list[int]] = {}
        self.stamps = OwnerStamps()  # what changed since a caller last looked (stamps.py)

    def apply(self, seq: int, record: Record, rec_json: str | None = None) -> None:
        """Add one version."""
        key = (record.kind, record.id)
        versions = self.versions.get(key)
        owner_before = versions[-1].owner if versions else None
        if versions is None:
            versions = self.versions[key] = []
            # Ordinals are never reused (purged records leave gaps), so each kind's table
            # keeps first-save order, which is the order find() must return.
            self._ordinal_counter += 1
            ordinal = self._ordinal_counter
            self._ordinals[key] = ordinal
            self._keys_by_ordinal[ordinal] = key
            self._by_owner.setdefault((record.kind, record.owner), []).append(ordinal)
        if not versions or versions[-1].version < record.version:
            versions.append(record)
        else:
            if any(v.version == record.version for v in versions):
                log.warning("Ignoring a duplicate of %s %s v%d", *key, record.version)
                return
            bisect.insort(versions, record, key=lambda v: v.version)
        if rec_json is None:
            rec_json = dumps(record.to_json())
        self.stamps.saved(record.owner, record.kind)
        if owner_before != record.owner and owner_before is not None:
            self.stamps.saved(owner_before, record.kind)
        self.log.append(Entry(seq, key, rec_json))
        self.seq = max(self.seq, seq)
        newest = versions[-1]
        if newest.owner != owner_before and len(versions) > 1:
            self._move_owner(key, owner_before, newest.owner)
        self._tables.setdefault(newest.kind, {})[str(self._ordinals[key])] = {
            "owner": newest.owner,
            "deleted": newest.deleted,
            "data": newest.data,
        }

    def _move_owner(self, key: Key, before: str | None, after: str | None) -> None:
        """A record whose latest version names another owner moves in the owner index."""
        ordinal = self._ordinals[key]
        self._by_owner[(key[0], before)].remove(ordinal)
        bisect.insort(self._by_owner.setdefault((key[0], after), []), ordinal)

    def forget(self, doomed: set[Key], owner: str, kept: list[Entry]) -> int:
        """Drop every version of `doomed` records (all owned by `owner`); `kept` is the log
        without them. Returns how many versions went."""
        count = 0
        for key in doomed:
            count += len(self.versions.pop(key))
            ordinal = self._ordinals.pop(key)
            del self._keys_by_ordinal[ordinal]
            self._tables[key[0]].pop(str(ordinal), None)
            self._by_owner[(key[0], owner)].remove(ordinal)
        self.stamps.purged(owner)
        self.log = kept
        return count

    def latest(self, kind: str, record_id: str) -> Record | None:
        versions = self.versions.get((kind, record_id))
        return versions[-1] if versions else None

    def find(self, query: Query) -> list[Record]:
        if query.owner is not None:
            # One patient's records through the owner index, the same test as the
            # in-memory store applies.
            ordinals = self._by_owner.get((query.kind, query.owner), ())
            latest = (self.versions[self._keys_by_ordinal[o]][-1] for o in ordinals)
            return [record for record in latest if matches(record, query)]
        table = self._index.table(query.kind, cache_size=0)
        docs = table.search(tiny_condition(query))
        return [self.versions[self._keys_by_ordinal[doc.doc_id]][-1] for doc in docs]

    def every_version(self) -> list[Record]:
        """Every version, record by record in first-save order."""
        return [v for key in self._ordinals for v in self.versions[key]]
