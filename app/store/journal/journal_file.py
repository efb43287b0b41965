"""Reading the journal file back: header, checksummed lines, and a torn last write.

Only the last write can tear (a crash in the middle of an append), and a torn write has no
newline at its end: every append ends with one. So the bytes after the last newline are an
unfinished write (set aside on open), and a complete line whose checksum fails is damage,
which is refused whatever follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.store.interfaces import JSONDict, Record, StoreCorrupt
from app.store.journal.lines import JOURNAL_FORMAT, parse_line
from app.store.journal.schema import check_schema, record_from


@dataclass
class JournalData:
    schema: int
    base_gen: str
    base_seq: int
    generation: int | None  # None in journals written before the counter existed
    records: list[tuple[int, Record]]
    good_length: int  # bytes up to the end of the last intact line
    torn: bytes  # what follows it (an unacknowledged write), usually b""


def read_journal(path: Path) -> JournalData:
    # OSError (no permission, disk error) is not damage: see open()
    return parse_journal(path.read_bytes(), str(path))


def parse_journal(raw: bytes, where: str) -> JournalData:
    """The journal held in `raw` (a whole file, or the prefix a backup captured)."""
    lines = raw.split(b"\n")
    # Bytes after the last newline: b"" unless the last write tore. Each append ends with
    # its newline, so a line that has one was written whole, and if its checksum fails now
    # the file was damaged after it was written (disk, copy, editor): refused, never dropped.
    fragment = lines.pop()
    parsed: list[JSONDict] = []
    for number, line in enumerate(lines, start=1):
        obj = parse_line(line)
        if obj is None:
            raise StoreCorrupt(
                where,
                f"line {number} is damaged: it is complete but its checksum does not match "
                "(an unfinished write would have no newline at its end)",
            )
        parsed.append(obj)
    good_length = len(raw) - len(fragment)
    if not parsed or not isinstance(parsed[0].get("journal"), dict):
        raise StoreCorrupt(where, "the journal header is missing or damaged")
    header = parsed[0]["journal"]
    if header.get("format") != JOURNAL_FORMAT:
        raise StoreCorrupt(where, "not a BackTrack journal")
    schema = check_schema(header.get("schema"), where)
    base_seq = header.get("base_seq")
    if not isinstance(base_seq, int) or base_seq < 0:
        raise StoreCorrupt(where, "header.base_seq is missing")
    records: list[tuple[int, Record]] = []
    expected = base_seq + 1
    for obj in parsed[1:]:
        seq = obj.get("seq")
        if seq != expected:
            raise StoreCorrupt(where, f"sequence number {seq!r} where {expected} was expected")
        batch = obj.get("recs")
        if batch is None:
            batch = [obj.get("rec")]
        elif not isinstance(batch, list) or not batch:
            raise StoreCorrupt(where, f"the versions from {seq} on are malformed")
        for raw_record in batch:
            records.append((expected, record_from(raw_record, schema, where)))
            expected += 1
    return JournalData(
        schema=schema,
        base_gen=str(header.get("base_gen", "")),
        base_seq=base_seq,
        generation=_generation(header.get("generation"), where),
        records=records,
        good_length=good_length,
        torn=raw[good_length:],
    )


def _generation(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise StoreCorrupt(where, f"the generation {value!r} in its header is not valid")
    return value
