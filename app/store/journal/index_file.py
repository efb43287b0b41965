"""The snapshot's index file: where every version in the snapshot lies, so opening reads an
index and the records' latest versions instead of decoding every version (issue 15).

    records.snapshot.index:
      one JSON line: {"format", "gen", "versions", "versions_crc32", "heads", "moved",
                      "ordinals", "byteorder", "body_crc32"}
      the body: Placements' seven arrays of 8-byte integers (placements.py), then the
      position of each record's highest version in ordinal order, then the ordinals of the
      records whose versions name more than one owner.

It is a cache of the snapshot, never the only copy of anything: it holds numbers only (no
record id, owner or data, so an erasure leaves nothing of a patient in it), it is written
atomically after each snapshot, and it is used only when it names the snapshot's
generation, version count and checksum and its own checksum holds. Otherwise (missing, from
another generation, damaged, another byte order) the snapshot is read entry by entry, as
before, and the index is written again.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.store.interfaces import Record, StoreCorrupt
from app.store.journal.files import write_file_atomically
from app.store.journal.lines import dumps
from app.store.journal.placements import FIELDS, Placed, Placements
from app.store.journal.schema import stored_record
from app.store.journal.snapshot import SnapshotSpan

INDEX_FORMAT = "backtrack-index"
_KEY = re.compile(r',?"(\d+)":')
_ITEM = 8  # bytes per array item ('q')


@dataclass
class SnapshotIndex:
    """A snapshot file's placements, and which records moved between owners."""

    placed: Placements
    moved: set[int]
    ordinals: int  # the highest ordinal handed out when it was written


def index_path(snapshot_path: Path) -> Path:
    return snapshot_path.with_name(snapshot_path.name.removesuffix(".json") + ".index")


def write_index(path: Path, index: SnapshotIndex, span: SnapshotSpan) -> None:
    """Write the index of the snapshot described by `span` (tmp + fsync + rename)."""
    placed = index.placed
    heads = array("q", (placed.head[o] for o in sorted(placed.head)))
    moved = array("q", sorted(index.moved))
    body = [a.tobytes() for a in placed.arrays()] + [heads.tobytes(), moved.tobytes()]
    crc = 0
    for part in body:
        crc = zlib.crc32(part, crc)
    header = {"format": INDEX_FORMAT, "gen": span.meta.gen, "versions": len(placed),
              "versions_crc32": span.meta.versions_crc32, "heads": len(heads),
              "moved": len(moved), "ordinals": index.ordinals, "byteorder": sys.byteorder,
              "body_crc32": f"{crc:08x}"}
    write_file_atomically(path, [dumps(header).encode() + b"\n", *body])


def read_index(path: Path, span: SnapshotSpan) -> SnapshotIndex | None:
    """The index, if it is there, whole, and of exactly this snapshot; None otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    newline = raw.find(b"\n")
    try:
        header = json.loads(raw[:newline])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT \
            or header.get("byteorder") != sys.byteorder \
            or header.get("gen") != span.meta.gen or header.get("versions") != span.versions \
            or header.get("versions_crc32") != span.meta.versions_crc32:
        return None
    n, heads, moved = header["versions"], header.get("heads"), header.get("moved")
    if not isinstance(heads, int) or not isinstance(moved, int) \
            or not isinstance(header.get("ordinals"), int):
        return None
    body = memoryview(raw)[newline + 1:]
    if len(body) != _ITEM * (len(FIELDS) * n + heads + moved) \
            or f"{zlib.crc32(body):08x}" != header.get("body_crc32"):
        return None
    placed = Placements()
    at = 0
    for a in placed.arrays():
        a.frombytes(body[at:at + _ITEM * n])
        at += _ITEM * n
    head_positions = array("q")
    head_positions.frombytes(body[at:at + _ITEM * heads])
    moved_ordinals = array("q")
    moved_ordinals.frombytes(body[at + _ITEM * heads:])
    if any(not 0 <= pos < n for pos in (min(head_positions, default=0),
                                        max(head_positions, default=0))):
        return None
    placed.head = {placed.ordinal[pos]: pos for pos in head_positions}
    return SnapshotIndex(placed, set(moved_ordinals), header["ordinals"])


def rebuild_index(versions: memoryview, span: SnapshotSpan, where: str) -> SnapshotIndex | None:
    """Read every version of the snapshot (its versions' bytes, already checked against the
    snapshot's CRC-32) and note where each lies: the slow way, for a missing or stale
    index. Each version is checked as a snapshot's versions always were (valid, once,
    in order). None if the file is not ASCII (offsets would not be character positions:
    BackTrack writes ASCII only, so then the snapshot is read whole and written anew)."""
    try:
        text = str(versions, "ascii")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    placed = Placements()
    ordinals: dict[tuple[str, str], int] = {}
    owners: dict[int, str | None] = {}
    moved: set[int] = set()
    last_seq = 0
    at = 0
    while at < len(text):
        key = _KEY.match(text, at)
        if key is None:
            raise StoreCorrupt(where, f"version {len(placed) + 1} is malformed")
        seq = int(key.group(1))
        if not last_seq < seq <= span.meta.last_seq:
            raise StoreCorrupt(where, f"document id {seq} is out of order or beyond "
                                      f"{span.meta.last_seq}")
        try:
            raw, end = decoder.raw_decode(text, key.end())
        except ValueError as exc:
            raise StoreCorrupt(where, f"version {len(placed) + 1} is malformed") from exc
        record = stored_record(raw, where)
        ordinal = ordinals.setdefault((record.kind, record.id), len(ordinals) + 1)
        if ordinal in owners:
            if owners[ordinal] != record.owner:
                moved.add(ordinal)
            if record.version in placed.versions_of(ordinal):
                raise StoreCorrupt(where, f"version {record.version} of {record.kind} "
                                          f"{record.id} is there twice")
        else:
            owners[ordinal] = record.owner
        start = key.end()
        body = versions[start:end]
        placed.add(Placed(ordinal, record.version, seq, span.start + start, end - start,
                          zlib.crc32(body)))
        last_seq = seq
        at = end
    if len(placed) != span.versions:
        raise StoreCorrupt(where, f"meta says {span.versions} versions, found {len(placed)}")
    return SnapshotIndex(placed, moved, len(ordinals))


def latest_versions(snapshot: memoryview | bytes, placed: Placements, where: str,
                    base: int = 0) -> Iterator[Record]:
    """Each record's highest version in the snapshot, in ordinal order, decoded in blocks
    of a few thousand (one json.loads each: much faster than one call per version).
    `snapshot` holds the file's bytes from offset `base`."""
    order = [placed.head[o] for o in sorted(placed.head)]
    for start in range(0, len(order), 4096):
        part = order[start:start + 4096]
        joined = b"[" + b",".join(
            snapshot[placed.offset[p] - base:placed.offset[p] - base + placed.length[p]]
            for p in part) + b"]"
        try:
            raws = json.loads(joined)
        except ValueError as exc:
            raise StoreCorrupt(where, f"a stored version is not JSON ({exc})") from exc
        for raw in raws:
            yield stored_record(raw, where)
