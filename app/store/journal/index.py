"""What the store holds in memory: each record's latest version, where its older versions
lie in the snapshot file, the versions saved since that snapshot, and the indexes queries
need (an owner index, one TinyDB table per kind holding each record's latest version).

Memory follows the records in use, not the history (issue 15): a version that is no longer
its record's latest and is in the snapshot file is only a row of integers (placements.py);
`history()` reads it back by offset, checking its CRC-32. The versions saved since the last
snapshot (`recent`) are held whole (their JSON and their Record): at most a compaction's
worth.

`find()` without an owner is a `tinydb.Query` search over the kind's table. The TinyDB
storage here reads the dict this class keeps up to date in O(1) per save: going through
TinyDB's insert/update would copy the whole table on every write (Table._update_table).
Not thread-safe on its own: the JournalStore's lock guards every call.
"""

from __future__ import annotations

import bisect
import logging
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.queries import QueryInstance
from tinydb.storages import Storage

from app.store.interfaces import JSONDict, Query, Record, StoreError
from app.store.journal.lines import dumps
from app.store.journal.placements import Placed, Placements
from app.store.journal.snapshot import VERSIONS_HEAD, Entry
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


def _no_file(pos: int) -> bytes:
    raise StoreError("no snapshot file to read an older version from")


class VersionIndex:
    """The store's memory (the store's lock guards every call)."""

    def __init__(self) -> None:
        self.latest_of: dict[Key, Record] = {}
        self._ordinals: dict[Key, int] = {}  # insertion order = first-save order
        self._keys_by_ordinal: dict[int, Key] = {}
        self._ordinal_counter = 0
        self.placed = Placements()  # the versions in the snapshot file
        # Versions since the last snapshot, as written and as read: what the next snapshot
        # adds to the previous one's (every version when there is no usable snapshot file).
        self.recent: list[Entry] = []
        self.recent_records: list[Record] = []
        self._recent_by_key: dict[Key, list[Record]] = {}
        self.moved: set[int] = set()  # records whose versions name more than one owner
        self.count = 0  # versions held, in the file and recent
        self.seq = 0
        # The JSON of the version at a position of the snapshot file, checked (store.py).
        self.read_json: Callable[[int], bytes] = _no_file
        self.decode: Callable[[bytes], Record] = _decode_unset
        self._tables: dict[str, dict[str, JSONDict]] = {}  # kind -> {ordinal: latest doc}
        self._index = TinyDB(self._tables, storage=_LiveIndexStorage)
        # (kind, owner of the latest version) -> ordinals in first-save order: a patient's
        # records without scanning every patient's (find with an owner).
        self._by_owner: dict[tuple[str, str | None], list[int]] = {}
        self.stamps = OwnerStamps()  # what changed since a caller last looked (stamps.py)

    # -- loading ---------------------------------------------------------------------------

    def load_snapshot(self, placed: Placements, latest: Sequence[Record], moved: set[int],
                      ordinals: int, last_seq: int) -> None:
        """Start from a snapshot file's placements and its records' latest versions (in
        ordinal order, the order `placed.head` sorted by ordinal gives)."""
        self.placed = placed
        ordinals_of, keys_of, latest_of = self._ordinals, self._keys_by_ordinal, self.latest_of
        by_owner, tables = self._by_owner, self._tables
        for ordinal, record in zip(sorted(placed.head), latest, strict=True):
            fields = vars(record)
            kind = fields["kind"]
            key = (kind, fields["id"])
            ordinals_of[key] = ordinal
            keys_of[ordinal] = key
            latest_of[key] = record
            group = by_owner.get((kind, fields["owner"]))
            if group is None:
                group = by_owner[(kind, fields["owner"])] = []
            group.append(ordinal)
            table = tables.get(kind)
            if table is None:
                table = tables[kind] = {}
            table[str(ordinal)] = fields
        # No stamps for what was there at open: a stamp is compared only within one process
        # (each starts from 0), and every change from now on moves it on.
        self.moved = moved
        self._ordinal_counter = max(ordinals, self._ordinal_counter)
        self.count = len(placed)
        self.seq = max(self.seq, last_seq)

    # -- saving ----------------------------------------------------------------------------

    def apply(self, seq: int, record: Record, rec_json: str | None = None) -> None:
        """Add one version saved after the snapshot (it stays in `recent` until the next
        snapshot holds it)."""
        key = (record.kind, record.id)
        latest = self.latest_of.get(key)
        if latest is None:
            # Ordinals are never reused (purged records leave gaps), so each kind's table
            # keeps first-save order, which is the order find() must return.
            self._ordinal_counter += 1
            ordinal = self._ordinal_counter
            self._ordinals[key] = ordinal
            self._keys_by_ordinal[ordinal] = key
            self._by_owner.setdefault((record.kind, record.owner), []).append(ordinal)
        else:
            ordinal = self._ordinals[key]
            if record.version <= latest.version and self.holds(key, record.version):
                log.warning("Ignoring a duplicate of %s %s v%d", *key, record.version)
                return
            if record.owner != latest.owner:
                self.moved.add(ordinal)
                self.stamps.saved(latest.owner, record.kind)
        self.recent.append(Entry(seq, key, dumps(record.to_json()) if rec_json is None
                                 else rec_json))
        self.recent_records.append(record)
        self._recent_by_key.setdefault(key, []).append(record)
        self.count += 1
        self.seq = max(self.seq, seq)
        self.stamps.saved(record.owner, record.kind)
        if latest is None or record.version > latest.version:
            self.latest_of[key] = record
            if latest is not None and latest.owner != record.owner:
                self._move_owner(key, latest.owner, record.owner)
            self._tables.setdefault(record.kind, {})[str(ordinal)] = _doc(record)

    def holds(self, key: Key, version: int) -> bool:
        latest = self.latest_of.get(key)
        if latest is None:
            return False
        return (latest.version == version
                or any(r.version == version for r in self._recent_by_key.get(key, ()))
                or version in self.placed.versions_of(self._ordinals[key]))

    def _move_owner(self, key: Key, before: str | None, after: str | None) -> None:
        """A record whose latest version names another owner moves in the owner index."""
        ordinal = self._ordinals[key]
        self._by_owner[(key[0], before)].remove(ordinal)
        bisect.insort(self._by_owner.setdefault((key[0], after), []), ordinal)

    # -- snapshots -------------------------------------------------------------------------

    def ordinal_of(self, key: Key) -> int:
        return self._ordinals[key]

    def settle(self, placed: Placements | Iterable[Placed], captured: int) -> None:
        """A snapshot holding the first `captured` recent versions replaced the file:
        `placed` is its whole placements (written anew) or the rows it added (built on the
        previous file). The rest stay recent."""
        if isinstance(placed, Placements):
            self.placed = placed
        else:
            for row in placed:
                self.placed.add(row)
        self.recent = self.recent[captured:]
        self.recent_records = self.recent_records[captured:]
        self._recent_by_key = {}
        for record in self.recent_records:
            self._recent_by_key.setdefault((record.kind, record.id), []).append(record)

    def versions_of_keys(self, keys: Iterable[Key]) -> int:
        """How many versions these records have (before an erasure drops them)."""
        return sum(len(self.placed.chain(self._ordinals[key]))
                   + len(self._recent_by_key.get(key, ())) for key in keys)

    def forget(self, doomed: set[Key], owner: str, count: int) -> None:
        """Drop `doomed` records (all owned by `owner`), once a snapshot without them and an
        empty journal replaced the files (and `settle` took their placements out)."""
        for key in doomed:
            ordinal = self._ordinals.pop(key)
            del self._keys_by_ordinal[ordinal]
            del self.latest_of[key]
            self._tables[key[0]].pop(str(ordinal), None)
            self._by_owner[(key[0], owner)].remove(ordinal)
            self.moved.discard(ordinal)
            self._recent_by_key.pop(key, None)
        self.stamps.purged(owner)
        self.count -= count

    def entries(self, upto: int, leaving_out: frozenset[Key] = frozenset()) -> CopiedEntries:
        """The first `upto` versions in seq order (the snapshot file's, then recent ones),
        their JSON read from the file when asked for: what a snapshot that cannot build on
        the file copies (the file is in an older layout, an erasure leaves records out).
        The caller holds the store's lock while calling (imports may insert meanwhile)."""
        left = {self._ordinals[key] for key in leaving_out if key in self._ordinals}
        from_file = min(upto, len(self.placed))
        sources = array("q", (pos for pos in range(from_file)
                              if self.placed.ordinal[pos] not in left)
                        if left else range(from_file))
        take = upto - from_file
        recent = [(entry, self._ordinals[entry.key], record.version)
                  for entry, record in zip(self.recent[:take], self.recent_records[:take],
                                           strict=True)
                  if entry.key not in leaving_out]
        return CopiedEntries(self, sources, recent)

    def key_of(self, ordinal: int) -> Key:
        return self._keys_by_ordinal[ordinal]

    # -- reading ---------------------------------------------------------------------------

    def latest(self, kind: str, record_id: str) -> Record | None:
        return self.latest_of.get((kind, record_id))

    def history(self, key: Key) -> list[Record]:
        latest = self.latest_of.get(key)
        if latest is None:
            return []
        found: dict[int, Record] = {latest.version: latest}
        for record in self._recent_by_key.get(key, ()):
            found[record.version] = record
        for pos in self.placed.chain(self._ordinals[key]):
            version = self.placed.version[pos]
            if version not in found:
                found[version] = self.decode(self.read_json(pos))
        return [found[v] for v in sorted(found)]

    def owner_history(self, owner: str) -> list[Record]:
        ordinals = {o for (_, who), held in self._by_owner.items() if who == owner
                    for o in held}
        ordinals.update(o for o in self.moved if o in self._keys_by_ordinal)
        every = [r for o in sorted(ordinals) for r in self.history(self._keys_by_ordinal[o])
                 if r.owner == owner]
        return sorted(every, key=lambda r: r.saved_at)

    def find(self, query: Query) -> list[Record]:
        if query.owner is not None:
            # One patient's records through the owner index, the same test as the
            # in-memory store applies.
            ordinals = self._by_owner.get((query.kind, query.owner), ())
            latest = (self.latest_of[self._keys_by_ordinal[o]] for o in ordinals)
            return [record for record in latest if matches(record, query)]
        table = self._index.table(query.kind, cache_size=0)
        docs = table.search(tiny_condition(query))
        return [self.latest_of[self._keys_by_ordinal[doc.doc_id]] for doc in docs]

    def records(self) -> int:
        return len(self.latest_of)

    def ordinals(self) -> int:
        return self._ordinal_counter


def _decode_unset(raw: bytes) -> Record:
    raise StoreError("no decoder set")


def _doc(record: Record) -> JSONDict:
    """The record as the kind's TinyDB table holds it: its own attribute dict (owner,
    deleted and data are what queries test), shared, not copied: TinyDB only reads it,
    and a copy per record cost a million versions' open 80 MB and 0.3 s."""
    return vars(record)


class CopiedEntries(Sequence[Entry]):
    """Versions for a snapshot written anew, in seq order, each version's JSON read from the
    current snapshot file only when the writer reaches it (so memory stays bounded)."""

    def __init__(self, index: VersionIndex, sources: array[int],
                 recent: list[tuple[Entry, int, int]]) -> None:
        self._index = index
        self._sources = sources
        self._recent = recent

    def __len__(self) -> int:
        return len(self._sources) + len(self._recent)

    @overload
    def __getitem__(self, i: int) -> Entry: ...

    @overload
    def __getitem__(self, i: slice) -> list[Entry]: ...

    def __getitem__(self, i: int | slice) -> Entry | list[Entry]:
        if isinstance(i, slice):
            return [self._one(n) for n in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._one(i)

    def _one(self, n: int) -> Entry:
        if n >= len(self._sources):
            return self._recent[n - len(self._sources)][0]
        pos = self._sources[n]
        placed = self._index.placed
        return Entry(placed.seq[pos], self._index.key_of(placed.ordinal[pos]),
                     self._index.read_json(pos).decode("ascii"))

    def placements(self) -> Placements:
        """Where each of these versions lands in a snapshot written by snapshot_chunks
        (offsets follow from the lengths alone; a version's bytes and CRC do not change)."""
        out = Placements()
        placed = self._index.placed
        at = len(VERSIONS_HEAD)
        first = True
        for pos in self._sources:
            seq = placed.seq[pos]
            at += (0 if first else 1) + len(f'"{seq}":')
            out.add(Placed(placed.ordinal[pos], placed.version[pos], seq, at,
                           placed.length[pos], placed.crc[pos]))
            at += placed.length[pos]
            first = False
        for entry, ordinal, version in self._recent:
            raw = entry.rec_json.encode()
            at += (0 if first else 1) + len(f'"{entry.seq}":')
            out.add(Placed(ordinal, version, entry.seq, at, len(raw), zlib.crc32(raw)))
            at += len(raw)
            first = False
        return out

