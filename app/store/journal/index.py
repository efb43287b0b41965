"""Every stored version in memory, with the indexes queries need: per-record version lists,
an owner index, and one TinyDB table per kind holding each record's latest version.

The compact JSON of a version is kept only until a snapshot holds it (`recent`): the next
compaction streams the older ones from the snapshot file (store.py), so a clinic's whole
history is not held twice (issue 15).

`find()` without an owner is a `tinydb.Query` search over the kind's table. The TinyDB
storage here reads the dict this class keeps up to date in O(1) per save: going through
TinyDB's insert/update would copy the whole table on every write (Table._update_table).
Not thread-safe on its own: the JournalStore's lock guards every call.
"""

from __future__ import annotations

import bisect
import logging
from typing import Any, NamedTuple

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


class Placed(NamedTuple):
    """Where one version stands in the store's order (its data is in `versions`)."""

    seq: int
    key: Key
    version: int


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
        self.log: list[Placed] = []  # every version in seq order
        # Versions since the last snapshot, as written: what the next snapshot adds to the
        # previous one's (every version when there is no usable snapshot file).
        self.recent: list[Entry] = []
        self.seq = 0
        self._tables: dict[str, dict[str, JSONDict]] = {}  # kind -> {ordinal: latest doc}
        self._index = TinyDB(self._tables, storage=_LiveIndexStorage)
        # (kind, owner of the latest version) -> ordinals in first-save order: a patient's
        # records without scanning every patient's (find with an owner).
        self._by_owner: dict[tuple[str, str | None], list[int]] = {}
        self.stamps = OwnerStamps()  # what changed since a caller last looked (stamps.py)

    def apply(self, seq: int, record: Record, rec_json: str | None = None, *,
              in_snapshot: bool = False) -> None:
        """Add one version (`in_snapshot`: read from the snapshot file, so not recent)."""
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
        if not in_snapshot:
            if rec_json is None:
                rec_json = dumps(record.to_json())
            self.recent.append(Entry(seq, key, rec_json))
        self.stamps.saved(record.owner, record.kind)
        if owner_before != record.owner and owner_before is not None:
            self.stamps.saved(owner_before, record.kind)
        self.log.append(Placed(seq, key, record.version))
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

    def forget(self, doomed: set[Key], owner: str) -> int:
        """Drop every version of `doomed` records (all owned by `owner`), once a snapshot
        without them and an empty journal replaced the files. Returns how many went."""
        count = 0
        for key in doomed:
            count += len(self.versions.pop(key))
            ordinal = self._ordinals.pop(key)
            del self._keys_by_ordinal[ordinal]
            self._tables[key[0]].pop(str(ordinal), None)
            self._by_owner[(key[0], owner)].remove(ordinal)
        self.stamps.purged(owner)
        self.log = [placed for placed in self.log if placed.key not in doomed]
        self.recent = []
        return count

    def entries(self, upto: int, leaving_out: frozenset[Key] = frozenset()) -> list[Entry]:
        """The first `upto` versions in seq order, encoded again from memory: for a snapshot
        that cannot build on the file (none yet of the current layout, an erasure). The
        caller holds the store's lock (imports may insert older versions meanwhile)."""
        by_version = {}
        for placed in self.log[:upto]:
            if placed.key in leaving_out:
                continue
            if placed.key not in by_version:
                by_version[placed.key] = {v.version: v for v in self.versions[placed.key]}
        return [Entry(p.seq, p.key, dumps(by_version[p.key][p.version].to_json()))
                for p in self.log[:upto] if p.key not in leaving_out]

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
