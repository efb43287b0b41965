"""Snapshots: the whole store as one stock TinyDB JSON file, written atomically.

    {"versions": {"<seq>": Record.to_json(), ...},
     "meta": {"1": {format, schema, gen, based_on, generation, last_seq, versions,
                    versions_crc32, written_at}}}

`TinyDB(path, access_mode="r")` opens it, so the data stays readable without BackTrack.
`versions_crc32` is the CRC-32 of the bytes between `{"versions":{` and `},"meta":`: a
changed value that is still valid JSON (a flipped digit) is refused, not believed. The
meta table comes last so the checksum can be written after the versions stream by.
Snapshots written before the checksum existed (meta first, no checksum) are read as they are.
The same parser checks backups before a restore touches anything.
"""

from __future__ import annotations

import json
import os
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from app.store.interfaces import Record, StoreCorrupt
from app.store.journal.files import JOURNAL_FILE, SNAPSHOT_FILE, write_file_atomically
from app.store.journal.lines import dumps, header_line
from app.store.journal.schema import SCHEMA_VERSION, check_schema, record_from
from app.store.memory import utc_now_iso

SNAPSHOT_FORMAT = "backtrack-snapshot"
SNAPSHOT_META_TABLE = "meta"
SNAPSHOT_VERSIONS_TABLE = "versions"
_SNAPSHOT_CHUNK = 2_000  # versions per write() so a compaction yields the GIL often
_VERSIONS_HEAD = f'{{"{SNAPSHOT_VERSIONS_TABLE}":{{'.encode()
_META_MARK = f'}},"{SNAPSHOT_META_TABLE}":{{"1":'.encode()


class Entry(NamedTuple):
    """One version as held for the next snapshot: its JSON is frozen at save time."""

    seq: int
    key: tuple[str, str]
    rec_json: str


@dataclass
class SnapshotData:
    """A parsed, validated snapshot."""

    schema: int
    gen: str
    based_on: str
    generation: int | None  # None in snapshots written before the counter existed
    versions_crc32: str | None  # None in snapshots written before the checksum existed
    last_seq: int
    records: list[tuple[int, Record]]  # (seq, record) in seq order


def snapshot_chunks(
    entries: Sequence[Entry], *, gen: str, based_on: str, generation: int, last_seq: int
) -> Iterator[bytes]:
    """The snapshot as stock TinyDB JSON, in chunks (so a writer thread yields the GIL)."""
    meta = snapshot_meta(gen=gen, based_on=based_on, generation=generation,
                         last_seq=last_seq, versions=len(entries))
    crc = 0
    yield VERSIONS_HEAD
    for start in range(0, len(entries), _SNAPSHOT_CHUNK):
        part = entries[start : start + _SNAPSHOT_CHUNK]
        text = ",".join(f'"{e.seq}":{e.rec_json}' for e in part)
        chunk = (("," if start else "") + text).encode()
        crc = zlib.crc32(chunk, crc)
        yield chunk
    yield snapshot_end(meta, crc)


VERSIONS_HEAD = _VERSIONS_HEAD  # a snapshot's first bytes; its versions follow


def snapshot_meta(*, gen: str, based_on: str, generation: int, last_seq: int,
                  versions: int) -> dict[str, Any]:
    """The meta table's document, without the checksum (written after the versions)."""
    return {
        "format": SNAPSHOT_FORMAT,
        "schema": SCHEMA_VERSION,
        "gen": gen,
        "based_on": based_on,
        "generation": generation,
        "last_seq": last_seq,
        "versions": versions,
        "written_at": utc_now_iso(),
    }


def snapshot_end(meta: dict[str, Any], versions_crc: int) -> bytes:
    """The bytes after the last version: the meta table with the versions' CRC-32."""
    meta["versions_crc32"] = f"{versions_crc:08x}"
    return _META_MARK + dumps(meta).encode() + b"}}\n"


def entry_text(seq: int, rec_json: str) -> str:
    """One version as it stands among the snapshot's versions (commas go between)."""
    return f'"{seq}":{rec_json}'


_TAIL_READ = 1 << 16  # the meta document is a few hundred bytes


@dataclass
class SnapshotSpan:
    """A current snapshot's meta and where its versions' bytes lie (versions_span)."""

    meta: SnapshotData  # records left empty: they are streamed (snapshot_stream.py)
    versions: int
    start: int
    end: int


def versions_span(fd: int, where: str) -> SnapshotSpan | None:
    """For a snapshot written meta-last with a checksum (every current one): its meta
    (records left empty) and where its versions' bytes start and end, read from its tail
    only. None for the older layouts, which are read whole instead."""
    size = os.fstat(fd).st_size
    if os.pread(fd, len(_VERSIONS_HEAD), 0) != _VERSIONS_HEAD:
        return None
    tail_at = max(0, size - _TAIL_READ)
    tail = os.pread(fd, size - tail_at, tail_at)
    mark = tail.rfind(_META_MARK)
    if mark < 0 or not tail.endswith(b"}}\n"):
        return None
    try:
        meta = json.loads(tail[mark + len(_META_MARK) : -3])
    except ValueError as exc:
        raise StoreCorrupt(where, f"its meta table is not JSON ({exc})") from exc
    shell = parse_snapshot({SNAPSHOT_VERSIONS_TABLE: {}, SNAPSHOT_META_TABLE: {"1": {
        **meta, "versions": None}}} if isinstance(meta, dict) else None, where)
    if shell.versions_crc32 is None or shell.schema != SCHEMA_VERSION:
        return None
    count = meta.get("versions")
    if not isinstance(count, int) or count < 0:
        raise StoreCorrupt(where, "meta.versions is missing")
    end = tail_at + mark
    if end < len(_VERSIONS_HEAD):
        raise StoreCorrupt(where, "its tables are not in the order BackTrack writes them")
    return SnapshotSpan(shell, count, len(_VERSIONS_HEAD), end)


def parse_snapshot(tables: Any, where: str) -> SnapshotData:
    """Validate a snapshot's decoded JSON completely (also used to check backups)."""
    if not isinstance(tables, dict):
        raise StoreCorrupt(where, "not a TinyDB JSON document")
    meta_table = tables.get(SNAPSHOT_META_TABLE)
    versions = tables.get(SNAPSHOT_VERSIONS_TABLE)
    if not isinstance(meta_table, dict) or not isinstance(versions, dict):
        raise StoreCorrupt(where, "the meta or versions table is missing")
    meta = meta_table.get("1")
    if not isinstance(meta, dict) or meta.get("format") != SNAPSHOT_FORMAT:
        raise StoreCorrupt(where, "not a BackTrack snapshot")
    schema = check_schema(meta.get("schema"), where)
    last_seq = meta.get("last_seq")
    if not isinstance(last_seq, int) or last_seq < 0:
        raise StoreCorrupt(where, "meta.last_seq is missing")
    generation = meta.get("generation")
    if generation is not None and (
        not isinstance(generation, int) or isinstance(generation, bool) or generation < 1
    ):
        raise StoreCorrupt(where, f"meta.generation {generation!r} is not valid")
    if meta.get("versions") is not None and meta.get("versions") != len(versions):
        raise StoreCorrupt(
            where, f"meta says {meta.get('versions')} versions, found {len(versions)}"
        )
    records: list[tuple[int, Record]] = []
    seen: set[tuple[str, str, int]] = set()
    for doc_id, raw in versions.items():
        try:
            seq = int(doc_id)
        except ValueError as exc:
            raise StoreCorrupt(where, f"bad document id {doc_id!r}") from exc
        if seq < 1 or seq > last_seq:
            raise StoreCorrupt(where, f"document id {seq} is outside 1..{last_seq}")
        record = record_from(raw, schema, where)
        marker = (record.kind, record.id, record.version)
        if marker in seen:
            # A store never writes one version twice; which copy is right cannot be told.
            raise StoreCorrupt(
                where, f"version {record.version} of {record.kind} {record.id} is there twice"
            )
        seen.add(marker)
        records.append((seq, record))
    records.sort(key=lambda pair: pair[0])
    return SnapshotData(
        schema=schema,
        gen=str(meta.get("gen", "")),
        based_on=str(meta.get("based_on", "")),
        generation=generation,
        versions_crc32=_crc_field(meta.get("versions_crc32"), where),
        last_seq=last_seq,
        records=records,
    )


def read_snapshot(path: Path) -> SnapshotData:
    raw = path.read_bytes()  # OSError (no permission, disk error) is not damage: see open()
    try:
        tables = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise StoreCorrupt(str(path), f"not valid JSON: {exc}") from exc
    snapshot = parse_snapshot(tables, str(path))
    check_versions_crc(raw, snapshot, str(path))
    return snapshot


def check_versions_crc(raw: bytes, snapshot: SnapshotData, where: str) -> None:
    """StoreCorrupt unless the versions' bytes match the checksum the writer put in meta."""
    if snapshot.versions_crc32 is None:
        return  # written before the checksum existed
    end = raw.rfind(_META_MARK)  # the real meta is the last table; data may contain the mark
    if not raw.startswith(_VERSIONS_HEAD) or end < len(_VERSIONS_HEAD):
        raise StoreCorrupt(where, "its tables are not in the order BackTrack writes them")
    if f"{zlib.crc32(raw[len(_VERSIONS_HEAD):end]):08x}" != snapshot.versions_crc32:
        raise StoreCorrupt(where, "its checksum does not match: it was changed after it was "
                                  "written (disk damage, a copy or an edit)")


def _crc_field(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 8:
        raise StoreCorrupt(where, f"meta.versions_crc32 {value!r} is not valid")
    return value


def install_snapshot(data_dir: Path, records: Sequence[tuple[int, Record]], last_seq: int) -> None:
    """Make `records` the whole content of a new data folder (a restore's staging folder):
    a snapshot, then a journal continuing it. Until both are in place the folder does not
    open (a snapshot without its journal is refused)."""
    entries = [Entry(seq, (r.kind, r.id), dumps(r.to_json())) for seq, r in records]
    gen = uuid.uuid4().hex
    write_file_atomically(
        data_dir / SNAPSHOT_FILE,
        snapshot_chunks(entries, gen=gen, based_on="restored", generation=1,
                        last_seq=last_seq),
    )
    write_file_atomically(
        data_dir / JOURNAL_FILE,
        [header_line(schema=SCHEMA_VERSION, base_gen=gen, base_seq=last_seq, generation=1)],
    )
