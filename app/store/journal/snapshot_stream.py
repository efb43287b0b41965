"""A snapshot's versions read block by block, in bounded memory (for backups).

`json.loads` of a whole snapshot holds the file, its text and every decoded version at once:
a backup of a million versions peaked at 7.4 GiB. Here the versions' bytes are read in
blocks of 1 MiB, each block is passed on unchanged (a backup copies the bytes exactly, so
the snapshot's checksum still holds) and decoded entry by entry meanwhile, so a damaged
or cut file is refused, not copied. Only a block and the entry being decoded are held.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from app.store.interfaces import StoreCorrupt
from app.store.journal.snapshot import SnapshotSpan

_BLOCK = 1 << 20
_LONGEST_ENTRY = 16 << 20  # an undecodable rest longer than this is damage, not a cut
_KEY = re.compile(r',?"(\d+)":')


@dataclass
class StreamCount:
    """What went by: versions, records (their first versions) and the last sequence number."""

    versions: int = 0
    records: int = 0
    last_seq: int = 0


def _blocks(fd: int, span: SnapshotSpan, where: str) -> Iterator[tuple[bytes, bool]]:
    """The snapshot's versions as read, block by block (with whether it is the last);
    StoreCorrupt when the file ends before they do."""
    offset = span.start
    while offset < span.end:
        block = os.pread(fd, min(_BLOCK, span.end - offset), offset)
        if not block:
            raise StoreCorrupt(where, "it ends before its versions do")
        offset += len(block)
        yield block, offset >= span.end


def stream_versions(fd: int, span: SnapshotSpan, where: str,
                    count: StreamCount) -> Iterator[bytes]:
    """The bytes of the snapshot's versions, checked entry by entry and against the
    snapshot's CRC-32; StoreCorrupt (after the blocks already passed on) otherwise."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    crc = 0
    for block, last in _blocks(fd, span, where):
        crc = zlib.crc32(block, crc)
        try:
            pending += text.decode(block, final=last)
        except UnicodeDecodeError as exc:
            raise StoreCorrupt(where, f"it is not UTF-8 text ({exc})") from exc
        pending = _take_entries(pending, decoder, span, where, count)
        yield block
    if pending:
        raise StoreCorrupt(where, "its last version is cut off or malformed")
    if count.versions != span.versions:
        raise StoreCorrupt(where, f"meta says {span.versions} versions, found {count.versions}")
    if f"{crc:08x}" != span.meta.versions_crc32:
        raise StoreCorrupt(where, "its checksum does not match: it was changed after it was "
                                  "written (disk damage, a copy or an edit)")


def _take_entries(pending: str, decoder: json.JSONDecoder, span: SnapshotSpan, where: str,
                  count: StreamCount) -> str:
    """Decode every whole `"seq":{...}` at the start of `pending`; return the rest."""
    at = 0
    while True:
        key = _KEY.match(pending, at)
        if key is None:
            break
        try:
            raw, end = decoder.raw_decode(pending, key.end())
        except ValueError:
            break  # cut at the block's end (or damaged: then it never decodes)
        _check_entry(int(key.group(1)), raw, span, where, count)
        at = end
    rest = pending[at:]
    if len(rest) > _LONGEST_ENTRY:
        raise StoreCorrupt(where, f"version {count.versions + 1} is malformed")
    return rest


def _check_entry(seq: int, raw: object, span: SnapshotSpan, where: str,
                 count: StreamCount) -> None:
    if not count.last_seq < seq <= span.meta.last_seq:
        raise StoreCorrupt(where, f"document id {seq} is out of order or beyond "
                                  f"{span.meta.last_seq}")
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str) \
            or not isinstance(raw.get("id"), str):
        raise StoreCorrupt(where, f"version {seq} is malformed")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreCorrupt(where, f"version {seq} has no valid version number")
    count.versions += 1
    # Every record has exactly one version 1 (saves start there, imports may not leave a
    # gap, erasure drops all of a record): counting them counts records without holding
    # every record's key.
    count.records += version == 1
    count.last_seq = seq


def copied_versions(fd: int, span: SnapshotSpan, where: str) -> Iterator[bytes]:
    """The bytes of the snapshot's versions, block by block, checked against the snapshot's
    CRC-32 only (StoreCorrupt at the end otherwise): for a compaction, which copies a file
    it wrote itself and whose every version it checked when it opened or wrote it. Decoding
    each entry again (stream_versions) cost a compaction seconds of CPU at a million."""
    crc = 0
    for block, _ in _blocks(fd, span, where):
        crc = zlib.crc32(block, crc)
        yield block
    if f"{crc:08x}" != span.meta.versions_crc32:
        raise StoreCorrupt(where, "its checksum does not match: it was changed after it was "
                                  "written (disk damage, a copy or an edit)")
